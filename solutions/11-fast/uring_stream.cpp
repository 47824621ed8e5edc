#include "uring_stream.hpp"

#include <errno.h>

#include <utility>

#include "report.hpp"

namespace rt::uring {

ConnectFuture TcpStream::connect(std::string_view address) { return ConnectFuture(SocketAddress::parse(address)); }

TcpStream TcpStream::adopt(sys::Fd socket, std::string peer) {
    std::shared_ptr<detail::Driver> driver = detail::current_driver("rt::uring::TcpStream::adopt");
    sys::set_blocking(socket.get());
    return TcpStream(std::make_shared<sys::Fd>(std::move(socket)), std::move(driver), std::move(peer));
}

TcpStream::Read TcpStream::read(std::vector<char> buffer) { return Read(*this, std::move(buffer)); }
TcpStream::WriteAll TcpStream::write_all(std::string bytes) { return WriteAll(*this, std::move(bytes)); }

// A future dropped with its operation in flight cannot wait for the kernel:
// it hands the operation to the ring, which cancels it and keeps its buffer
// until its completion. abandon() may throw (no room to submit the cancel);
// a destructor cannot, so the failure is reported, and the ring still frees
// the operation at its completion or at shut-down.
namespace {
void abandon(detail::Driver& driver, const std::shared_ptr<detail::Op>& op) noexcept {
    try {
        driver.uring().abandon(op);
    } catch (...) {
        detail::report_exception("rt::uring: cancelling an operation in flight failed");
    }
}
}  // namespace

ConnectFuture::~ConnectFuture() {
    if (op_ != nullptr) abandon(*driver_, op_);
}

Poll<TcpStream> ConnectFuture::poll(Context& cx) {
    if (driver_ == nullptr) driver_ = detail::current_driver("rt::uring::TcpStream::connect");
    driver_->check_running("rt::uring::TcpStream::connect");
    if (op_ == nullptr) {
        // A blocking socket: io_uring waits for the handshake itself.
        op_ = std::make_shared<detail::Op>(detail::Op::Kind::connect,
                                           std::make_shared<sys::Fd>(sys::tcp_socket_blocking()));
        op_->address = address_.address;
        driver_->uring().start(op_);
    }
    Poll<int> result = driver_->uring().poll_op(*op_, cx);
    if (result.is_pending()) return pending;
    std::shared_ptr<sys::Fd> socket = op_->socket;
    op_.reset();
    if (int error = -result.value(); error == ECONNRESET)
        sys::throw_error(error, "reset by " + address_.text + " right after connecting");
    else if (error > 0)
        sys::throw_error(error, "connect to " + address_.text);
    return TcpStream(std::move(socket), driver_, address_.text);
}

TcpStream::Read::~Read() {
    if (op_ != nullptr) abandon(*stream_->driver_, op_);
}

Poll<TcpStream::Read::Output> TcpStream::Read::poll(Context& cx) {
    detail::Driver& driver = *stream_->driver_;
    driver.check_running("rt::uring::TcpStream::read");
    if (op_ == nullptr) {
        // The first poll: the buffer becomes the operation's, for the kernel to fill.
        op_ = std::make_shared<detail::Op>(detail::Op::Kind::recv, stream_->socket_);
        op_->buffer = std::move(buffer_);
        driver.uring().start(op_);
    }
    Poll<int> result = driver.uring().poll_op(*op_, cx);
    if (result.is_pending()) return pending;
    int got = result.value();
    // Completed: the kernel is done with the buffer, and it goes back to the
    // caller, moved (the same allocation, its size unchanged).
    std::vector<char> buffer = std::move(op_->buffer);
    op_.reset();
    if (got < 0) sys::throw_error(-got, "read from " + stream_->peer_);
    return Output(static_cast<std::size_t>(got), std::move(buffer));  // 0: the end of the stream
}

TcpStream::WriteAll::~WriteAll() {
    if (op_ != nullptr && in_flight_) abandon(*stream_->driver_, op_);
}

Poll<void> TcpStream::WriteAll::poll(Context& cx) {
    detail::Driver& driver = *stream_->driver_;
    driver.check_running("rt::uring::TcpStream::write_all");
    if (op_ == nullptr) {
        op_ = std::make_shared<detail::Op>(detail::Op::Kind::send, stream_->socket_);
        op_->bytes = std::move(bytes_);
    }
    for (;;) {
        if (!in_flight_) {
            if (sent_ == op_->bytes.size()) return ready();
            op_->offset = sent_;  // the rest, from where the kernel stopped
            driver.uring().start(op_);
            in_flight_ = true;
        }
        Poll<int> result = driver.uring().poll_op(*op_, cx);
        if (result.is_pending()) return pending;
        in_flight_ = false;
        int wrote = result.value();
        if (wrote < 0) sys::throw_error(-wrote, "write to " + stream_->peer_);
        // A short send (the socket's buffer took only part): go round and send the rest.
        sent_ += static_cast<std::size_t>(wrote);
    }
}

}  // namespace rt::uring
