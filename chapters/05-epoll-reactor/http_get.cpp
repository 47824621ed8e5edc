#include "http_get.hpp"

#include <stdexcept>

#include "todo.hpp"

namespace rt {

namespace {

ConnectFuture connect_to(const Url& url, Reactor& reactor) { return TcpStream::connect(url.authority, reactor); }

}  // namespace

HttpGet::HttpGet(std::string_view url, Reactor& reactor, std::size_t max_body_bytes)
    : HttpGet(Url::parse(url), reactor, max_body_bytes) {}

HttpGet::HttpGet(const Url& url, Reactor& reactor, std::size_t max_body_bytes)
    : request_("GET " + url.path + " HTTP/1.1\r\nHost: " + url.authority +
               "\r\nUser-Agent: rt-tutorial\r\nConnection: close\r\n\r\n"),
      connect_(connect_to(url, reactor)),
      parser_(max_body_bytes) {}

Poll<HttpResponse> HttpGet::poll(Context& cx) {
    // BEGIN EXERCISE ex5: connect, send the request, receive until the parser is done
    rt::todo("ex5: connect, send the request, receive until the parser is done");
    // END EXERCISE ex5
}

}  // namespace rt
