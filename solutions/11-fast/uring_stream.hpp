// rt::uring::TcpStream: a TCP connection whose reads and writes are io_uring operations.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driver.hpp"
#include "future.hpp"
#include "sys.hpp"
#include "tcp_stream.hpp"
#include "uring.hpp"

namespace rt::uring {

class ConnectFuture;

// A connected socket whose operations go through the ring of the executor
// that connected it: the same three verbs as rt::TcpStream, but a read
// takes its buffer by value and gives it back, and write_all takes its
// bytes by value. The kernel uses them until the completion, so they must
// belong to the operation, not to the caller (see the book: why a borrowed
// std::span cannot be sound here).
//
// Move-only. It must outlive its read and write futures, as rt::TcpStream.
// Destroying it closes the socket once no operation holds it.
class TcpStream {
public:
    // A future of the connected stream, as rt::TcpStream::connect: making it
    // needs no runtime; errors (refused) come out as std::system_error.
    static ConnectFuture connect(std::string_view address);

    // A stream over a socket that is connected already (accepted, say),
    // on the executor running on this thread (std::logic_error if none).
    // The socket is made blocking: io_uring waits for it (see sys.cpp).
    static TcpStream adopt(sys::Fd socket, std::string peer);

    TcpStream(TcpStream&&) noexcept = default;
    TcpStream& operator=(TcpStream&&) noexcept = default;
    ~TcpStream() = default;

    class Read;
    class WriteAll;
    // A future of (count, buffer): complete as soon as some bytes have
    // arrived, at most buffer.size() of them, in buffer[0, count); 0 is the
    // end of the stream. The buffer comes back as the same allocation, its
    // size unchanged. Errors: std::system_error with the errno.
    Read read(std::vector<char> buffer);
    // A future that sends every byte of `bytes` (over as many sends as it
    // takes). Dropped, it stops: bytes not yet handed to the kernel are never sent.
    WriteAll write_all(std::string bytes);

    const std::string& peer() const noexcept { return peer_; }
    int fd() const noexcept { return socket_->get(); }  // tests look

private:
    friend class ConnectFuture;
    TcpStream(std::shared_ptr<sys::Fd> socket, std::shared_ptr<detail::Driver> driver, std::string peer) noexcept
        : socket_(std::move(socket)), driver_(std::move(driver)), peer_(std::move(peer)) {}

    std::shared_ptr<sys::Fd> socket_;  // shared with the operations in flight
    std::shared_ptr<detail::Driver> driver_;
    std::string peer_;
};

// Connects through the ring (IORING_OP_CONNECT).
class ConnectFuture {
public:
    using Output = TcpStream;
    explicit ConnectFuture(SocketAddress address) : address_(std::move(address)) {}
    ConnectFuture(ConnectFuture&&) noexcept = default;
    ~ConnectFuture();
    Poll<TcpStream> poll(Context& cx);

private:
    SocketAddress address_;
    std::shared_ptr<detail::Driver> driver_;  // bound at the first poll
    std::shared_ptr<detail::Op> op_;          // made at the first poll
};

class TcpStream::Read {
public:
    using Output = std::pair<std::size_t, std::vector<char>>;
    Read(TcpStream& stream, std::vector<char> buffer) noexcept : stream_(&stream), buffer_(std::move(buffer)) {}
    Read(Read&&) noexcept = default;
    ~Read();  // in flight: cancels it (Uring::abandon)
    Poll<Output> poll(Context& cx);

private:
    TcpStream* stream_;
    std::vector<char> buffer_;        // until the first poll hands it to the op
    std::shared_ptr<detail::Op> op_;  // from the first poll until its result
};

class TcpStream::WriteAll {
public:
    using Output = void;
    WriteAll(TcpStream& stream, std::string bytes) noexcept : stream_(&stream), bytes_(std::move(bytes)) {}
    WriteAll(WriteAll&&) noexcept = default;
    ~WriteAll();  // a send in flight: cancels it
    Poll<void> poll(Context& cx);

private:
    TcpStream* stream_;
    std::string bytes_;                // until the first poll hands them to the op
    std::shared_ptr<detail::Op> op_;   // from the first poll; its bytes, and its offset: what is sent
    std::size_t sent_ = 0;             // bytes the kernel has taken
    bool in_flight_ = false;           // a send is started and not yet polled to its result
};

}  // namespace rt::uring
