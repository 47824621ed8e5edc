#include "tcp_stream.hpp"

#include <arpa/inet.h>
#include <errno.h>

#include <charconv>
#include <stdexcept>
#include <utility>

#include "todo.hpp"

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

ConnectFuture TcpStream::connect(std::string_view address, Reactor& reactor) {
    return ConnectFuture(SocketAddress::parse(address), reactor);
}

TcpStream TcpStream::adopt(sys::Fd socket, std::string peer, Reactor& reactor) {
    sys::set_non_blocking(socket.get());
    std::shared_ptr<Reactor::Registration> registration = reactor.add(socket.get());
    return TcpStream(std::move(socket), std::move(registration), &reactor, std::move(peer));
}

TcpStream::TcpStream(sys::Fd fd, std::shared_ptr<Reactor::Registration> registration, Reactor* reactor,
                     std::string peer)
    : fd_(std::move(fd)), registration_(std::move(registration)), reactor_(reactor), peer_(std::move(peer)) {}

TcpStream::~TcpStream() {
    if (registration_ != nullptr) reactor_->remove(registration_);
}

TcpStream::Read TcpStream::read(std::span<char> buffer) { return Read(*this, buffer); }
TcpStream::WriteAll TcpStream::write_all(std::string_view bytes) { return WriteAll(*this, bytes); }

Poll<std::size_t> TcpStream::poll_read(Context& cx, std::span<char> buffer) {
    // BEGIN EXERCISE ex2: read what is there, or wait for the next readable edge
    rt::todo("ex2: read what is there, or wait for the next readable edge");
    // END EXERCISE ex2
}

Poll<std::size_t> TcpStream::poll_write(Context& cx, std::string_view bytes) {
    for (;;) {
        sys::Result wrote = sys::write(fd_.get(), bytes);
        if (wrote.ok()) return static_cast<std::size_t>(wrote.value);
        if (wrote.error == EINTR) continue;
        if (!wrote.would_block()) sys::throw_error(wrote.error, "write to " + peer_);
        if (reactor_->poll_ready(*registration_, Reactor::Direction::write, cx).is_pending()) return pending;
    }
}

ConnectFuture::~ConnectFuture() {
    if (registration_ != nullptr) reactor_->remove(registration_);
}

Poll<TcpStream> ConnectFuture::poll(Context& cx) {
    // BEGIN EXERCISE ex3: start the connect, wait until writable, read SO_ERROR
    rt::todo("ex3: start the connect, wait until writable, read SO_ERROR");
    // END EXERCISE ex3
}

}  // namespace rt
