// TcpStream: a non-blocking TCP connection whose operations are futures.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "future.hpp"
#include "driver.hpp"
#include "reactor.hpp"
#include "sys.hpp"

namespace rt {

// An IPv4 address and port, parsed from "127.0.0.1:8080" or "localhost:8080".
struct SocketAddress {
    sockaddr_in address{};
    std::string text;  // as given, for error messages

    // Throws std::invalid_argument on anything else.
    static SocketAddress parse(std::string_view text);
};

class ConnectFuture;

// A connected socket, registered with the reactor of the executor that
// connected it. Move-only; destroying it deregisters the socket, then
// closes it. Its operations throw std::logic_error once that executor has
// gone, or on a thread where it does not run.
class TcpStream {
public:
    // A future of the connected stream. Making it needs no runtime; its
    // first poll binds it to the executor running on this thread. Errors
    // (refused, unreachable) come out of it as std::system_error.
    static ConnectFuture connect(std::string_view address);

    // A stream over a socket that is connected already (accepted, say):
    // makes it non-blocking and registers it with the executor running on
    // this thread (std::logic_error if none). `peer` names it in errors.
    static TcpStream adopt(sys::Fd socket, std::string peer);

    TcpStream(TcpStream&&) noexcept = default;
    TcpStream& operator=(TcpStream&&) = delete;  // would have to deregister the old socket first
    ~TcpStream();

    // Reads what is there, at most buffer.size() bytes; 0 means the peer has
    // closed its side (end of stream). Pending while there is nothing to read,
    // and when the task's budget is spent (see budget.hpp).
    Poll<std::size_t> poll_read(Context& cx, std::span<char> buffer);

    // Writes as much of `bytes` as the socket takes now, at least one byte;
    // pending while it takes none, and when the task's budget is spent.
    Poll<std::size_t> poll_write(Context& cx, std::string_view bytes);

    // Futures over those: read() of how many bytes it read, write_all() of nothing.
    class Read;
    class WriteAll;
    Read read(std::span<char> buffer);
    WriteAll write_all(std::string_view bytes);

    const std::string& peer() const noexcept { return peer_; }

private:
    friend class ConnectFuture;
    TcpStream(sys::Fd fd, std::shared_ptr<Reactor::Registration> registration,
              std::shared_ptr<detail::Driver> driver, std::string peer);

    // Member order: the registration goes before the fd closes.
    sys::Fd fd_;
    std::shared_ptr<Reactor::Registration> registration_;
    std::shared_ptr<detail::Driver> driver_;
    std::string peer_;
};

// Connects without blocking: connect() answers EINPROGRESS at once; the
// socket turns writable when the handshake is done, well or badly, and
// SO_ERROR says which.
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
    sys::Fd socket_;                          // made at the first poll
    std::shared_ptr<Reactor::Registration> registration_;
};

class TcpStream::Read {
public:
    using Output = std::size_t;
    Read(TcpStream& stream, std::span<char> buffer) noexcept : stream_(&stream), buffer_(buffer) {}
    Poll<std::size_t> poll(Context& cx) { return stream_->poll_read(cx, buffer_); }

private:
    TcpStream* stream_;
    std::span<char> buffer_;
};

// Writes every byte, over as many polls as it takes: a socket may take part
// of a write (a partial write) when its send buffer is nearly full.
class TcpStream::WriteAll {
public:
    using Output = void;
    WriteAll(TcpStream& stream, std::string_view bytes) noexcept : stream_(&stream), rest_(bytes) {}

    Poll<void> poll(Context& cx) {
        while (!rest_.empty()) {
            Poll<std::size_t> wrote = stream_->poll_write(cx, rest_);
            if (wrote.is_pending()) return pending;
            rest_.remove_prefix(wrote.value());
        }
        return ready();
    }

private:
    TcpStream* stream_;
    std::string_view rest_;  // not written yet
};

}  // namespace rt
