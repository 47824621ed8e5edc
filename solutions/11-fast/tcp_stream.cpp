#include "tcp_stream.hpp"

#include <arpa/inet.h>
#include <errno.h>

#include <charconv>
#include <stdexcept>
#include <utility>

#include "budget.hpp"

namespace rt {

SocketAddress SocketAddress::parse(std::string_view text) {
    SocketAddress parsed;
    parsed.text = std::string(text);
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        throw std::invalid_argument("rt: not an address of the form host:port: '" + parsed.text + "'");
    std::string host(text.substr(0, colon));
    std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        throw std::invalid_argument("rt: not a port number in '" + parsed.text + "'");
    if (host == "localhost") host = "127.0.0.1";
    parsed.address.sin_family = AF_INET;
    parsed.address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &parsed.address.sin_addr) != 1)
        throw std::invalid_argument("rt: not an IPv4 address or localhost: '" + host + "' in '" + parsed.text + "'");
    return parsed;
}

ConnectFuture TcpStream::connect(std::string_view address) { return ConnectFuture(SocketAddress::parse(address)); }

TcpStream TcpStream::adopt(sys::Fd socket, std::string peer) {
    std::shared_ptr<detail::Driver> driver = detail::current_driver("rt::TcpStream::adopt");
    sys::set_non_blocking(socket.get());
    std::shared_ptr<Reactor::Registration> registration = driver->reactor().add(socket.get());
    return TcpStream(std::move(socket), std::move(registration), std::move(driver), std::move(peer));
}

TcpStream::TcpStream(sys::Fd fd, std::shared_ptr<Reactor::Registration> registration,
                     std::shared_ptr<detail::Driver> driver, std::string peer)
    : fd_(std::move(fd)), registration_(std::move(registration)), driver_(std::move(driver)), peer_(std::move(peer)) {}

TcpStream::~TcpStream() {
    // After shut_down the reactor has forgotten us already; remove() knows.
    if (registration_ != nullptr) driver_->reactor().remove(registration_);
}

TcpStream::Read TcpStream::read(std::span<char> buffer) { return Read(*this, buffer); }
TcpStream::WriteAll TcpStream::write_all(std::string_view bytes) { return WriteAll(*this, bytes); }

Poll<std::size_t> TcpStream::poll_read(Context& cx, std::span<char> buffer) {
    driver_->check_running("rt::TcpStream::read");
    // Every attempt spends a unit of the task's budget: a stream that always
    // has data would otherwise keep the thread for as long as data comes.
    if (!detail::budget::poll_proceed(cx)) return pending;
    for (;;) {
        sys::Result got = sys::read(fd_.get(), buffer);
        if (got.ok()) return static_cast<std::size_t>(got.value);  // 0: the peer closed, end of stream
        if (got.error == EINTR) continue;                          // a signal came first: just try again
        if (!got.would_block()) sys::throw_error(got.error, "read from " + peer_);
        // Nothing to read. Wait for the next edge, unless one came since
        // the read failed: then read again.
        if (driver_->reactor().poll_ready(*registration_, Reactor::Direction::read, cx).is_pending()) return pending;
    }
}

Poll<std::size_t> TcpStream::poll_write(Context& cx, std::string_view bytes) {
    driver_->check_running("rt::TcpStream::write");
    if (!detail::budget::poll_proceed(cx)) return pending;
    for (;;) {
        sys::Result wrote = sys::write(fd_.get(), bytes);
        if (wrote.ok()) return static_cast<std::size_t>(wrote.value);
        if (wrote.error == EINTR) continue;
        if (!wrote.would_block()) sys::throw_error(wrote.error, "write to " + peer_);
        if (driver_->reactor().poll_ready(*registration_, Reactor::Direction::write, cx).is_pending()) return pending;
    }
}

ConnectFuture::~ConnectFuture() {
    if (registration_ != nullptr) driver_->reactor().remove(registration_);
}

Poll<TcpStream> ConnectFuture::poll(Context& cx) {
    if (driver_ == nullptr) driver_ = detail::current_driver("rt::TcpStream::connect");
    driver_->check_running("rt::TcpStream::connect");
    if (!socket_) {
        socket_ = sys::tcp_socket();
        sys::Result started = sys::connect(socket_.get(), address_.address);
        if (!started.ok() && started.error != EINPROGRESS) sys::throw_error(started.error, "connect to " + address_.text);
        registration_ = driver_->reactor().add(socket_.get());
    }
    // Writable means the handshake is over; SO_ERROR says how it went. A
    // reset, unlike a refusal, means it went well and the server dropped the
    // connection since: say so, not that the connect failed.
    if (driver_->reactor().poll_ready(*registration_, Reactor::Direction::write, cx).is_pending()) return pending;
    if (int error = sys::socket_error(socket_.get()); error == ECONNRESET)
        sys::throw_error(error, "reset by " + address_.text + " right after connecting");
    else if (error != 0)
        sys::throw_error(error, "connect to " + address_.text);
    return TcpStream(std::move(socket_), std::move(registration_), driver_, address_.text);
}

}  // namespace rt
