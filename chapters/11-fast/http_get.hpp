// http_get: a future of an HTTP response, as a coroutine; HttpGet, the same
// as chapter 05's explicit state machine, stays beside it for comparison.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "async.hpp"
#include "future.hpp"
#include "http.hpp"
#include "tcp_stream.hpp"

namespace rt {

// GET one URL with HTTP/1.1 and Connection: close: connect, send the
// request, receive the response. Errors come out as exceptions: a refused
// connection or a reset as std::system_error, a malformed or cut-short
// response as std::runtime_error.
class HttpGet {
public:
    using Output = HttpResponse;

    enum class State { connecting, sending, receiving, done };

    // Throws std::invalid_argument for a URL it cannot get (see Url::parse).
    // A body over max_body_bytes is an error (see ResponseParser).
    // Making it needs no runtime: its first poll binds it to the executor
    // running on this thread (std::logic_error if none).
    explicit HttpGet(std::string_view url, std::size_t max_body_bytes = ResponseParser::default_max_body_bytes);

    Poll<HttpResponse> poll(Context& cx);

    State state() const noexcept { return state_; }

private:
    HttpGet(const Url& url, std::size_t max_body_bytes);

    State state_ = State::connecting;
    std::string request_;
    std::size_t sent_ = 0;           // bytes of request_ written
    ConnectFuture connect_;          // used while connecting
    std::optional<TcpStream> stream_;  // once connected, until done
    ResponseParser parser_;
    std::array<char, 8192> buffer_;  // for reads
};

// A future of the response to GET `url` (http://IPv4-or-localhost:port/path?query),
// whose body may be at most max_body_bytes long: HttpGet's work, written as
// a coroutine. The URL is taken by value: a coroutine keeps copies of its
// parameters, not what a reference points to. A URL it cannot get throws
// std::invalid_argument at the first poll (the call runs nothing).
Async<HttpResponse> http_get(std::string url, std::size_t max_body_bytes = ResponseParser::default_max_body_bytes);

}  // namespace rt
