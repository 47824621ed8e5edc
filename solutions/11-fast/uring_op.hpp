// Op: one io_uring operation's state, which the kernel may use until its completion.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sys.hpp"
#include "waker.hpp"

namespace rt::detail {

// What an operation hands the kernel, and what the kernel answers. It lives
// on the heap, shared by the future that started it and by the ring: while
// the operation is in flight the ring holds a reference (named by the
// submission's user_data), so that the buffer, the bytes, the address and
// the socket outlive a future dropped meanwhile. The ring drops its
// reference when it reaps the operation's own completion, not before: until
// then the kernel may still write into `buffer`.
//
// Fields marked "ring" are guarded by the ring's mutex (Uring::mutex_): the
// future and the thread reaping completions may be different threads.
struct Op {
    enum class Kind { connect, recv, send };

    Op(Kind k, std::shared_ptr<sys::Fd> s) noexcept : kind(k), socket(std::move(s)) {
        live.fetch_add(1, std::memory_order_relaxed);
    }
    ~Op() { live.fetch_sub(1, std::memory_order_relaxed); }
    Op(const Op&) = delete;
    Op& operator=(const Op&) = delete;

    const Kind kind;
    // The socket stays open while any operation on it is in flight, even
    // once its stream is gone: closing an fd does not cancel an io_uring
    // operation on it, and the number could be reused meanwhile.
    const std::shared_ptr<sys::Fd> socket;

    // What the kernel reads or writes until the completion: owned here.
    std::vector<char> buffer;  // recv: bytes arrive in [0, size())
    std::string bytes;         // send: bytes[offset, size()) go out
    std::size_t offset = 0;
    sockaddr_in address{};     // connect

    std::uint64_t id = 0;            // ring: the user_data of its submission; 0 while not in flight
    bool done = false;               // ring: its completion has been reaped since it last started
    int result = 0;                  // ring: the completion's res: a count, or -errno
    std::optional<Waker> waker;      // ring: who to wake at the completion
    bool abandoned = false;          // ring: its future is gone; a cancel is on its way

    // Ops alive in the process (tests look: an abandoned op lives until its completion).
    static inline std::atomic<long> live{0};
};

}  // namespace rt::detail
