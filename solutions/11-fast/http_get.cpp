#include "http_get.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rt {

namespace {

ConnectFuture connect_to(const Url& url) { return TcpStream::connect(url.authority); }

std::string request_for(const Url& url) {
    return "GET " + url.path + " HTTP/1.1\r\nHost: " + url.authority +
           "\r\nUser-Agent: rt-tutorial\r\nConnection: close\r\n\r\n";
}

}  // namespace

HttpGet::HttpGet(std::string_view url, std::size_t max_body_bytes) : HttpGet(Url::parse(url), max_body_bytes) {}

HttpGet::HttpGet(const Url& url, std::size_t max_body_bytes)
    : request_(request_for(url)),
      connect_(connect_to(url)),
      parser_(max_body_bytes) {}

Poll<HttpResponse> HttpGet::poll(Context& cx) {
    for (;;) {
        switch (state_) {
            case State::connecting: {
                Poll<TcpStream> connected = connect_.poll(cx);
                if (connected.is_pending()) return pending;
                stream_.emplace(std::move(connected).value());
                state_ = State::sending;
                break;
            }
            case State::sending: {
                while (sent_ < request_.size()) {
                    Poll<std::size_t> wrote = stream_->poll_write(cx, std::string_view(request_).substr(sent_));
                    if (wrote.is_pending()) return pending;
                    sent_ += wrote.value();
                }
                state_ = State::receiving;
                break;
            }
            case State::receiving: {
                Poll<std::size_t> got = stream_->poll_read(cx, buffer_);
                if (got.is_pending()) return pending;
                if (got.value() == 0) parser_.finish();  // the server closed: a body may end here, or be cut short
                else parser_.feed(std::string_view(buffer_.data(), got.value()));
                if (!parser_.done()) break;
                state_ = State::done;
                stream_.reset();  // close the connection now, not when the future goes
                return parser_.take();
            }
            case State::done:
                throw std::logic_error("rt::HttpGet: polled after it completed");
        }
    }
}

Async<HttpResponse> http_get(std::string url, std::size_t max_body_bytes) {
    Url parsed = Url::parse(url);
    std::string request = request_for(parsed);
    TcpStream stream = co_await TcpStream::connect(parsed.authority);
    co_await stream.write_all(request);
    ResponseParser parser(max_body_bytes);
    std::array<char, 8192> buffer;
    while (!parser.done()) {
        std::size_t got = co_await stream.read(buffer);
        if (got == 0) parser.finish();  // the server closed: a body may end here, or be cut short
        else parser.feed(std::string_view(buffer.data(), got));
    }
    co_return parser.take();
}

}  // namespace rt
