// HTTP/1.1 responses: the parts of a URL, and a parser that takes a response
// in whatever pieces the socket hands over.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rt {

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // in the order received, names as sent
    std::string body;

    // The first header of that name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
};

// http://host:port/path, host an IPv4 address or localhost.
struct Url {
    std::string host;  // as written
    std::string authority;  // host:port, what to connect to and the Host header
    std::string path;       // starts with '/'

    // Throws std::invalid_argument: another scheme, no host, a bad port.
    static Url parse(std::string_view url);
};

// Reads a response as it arrives: the status line, the header section, then
// the body, framed by Content-Length, by chunked transfer coding, or by the
// end of the connection. Throws std::runtime_error on a malformed response.
class ResponseParser {
public:
    static constexpr std::size_t max_header_bytes = 64 * 1024;

    // The next bytes from the connection.
    void feed(std::string_view bytes);
    // The server closed the connection: ends a body that runs until then, or
    // throws if the response was cut short.
    void finish();

    bool done() const noexcept { return state_ == State::done; }
    HttpResponse take() { return std::move(response_); }

private:
    enum class State { head, fixed_length, chunk_size, chunk_data, chunk_data_end, trailers, until_close, done };

    void parse_head();  // the status line and headers, once all have arrived
    // Takes what it can of the body from buffer_; leaves an incomplete piece there.
    void parse_body();

    State state_ = State::head;
    std::string buffer_;          // received, not parsed yet
    std::size_t head_scanned_ = 0;  // where the search for the head's end resumes
    std::size_t remaining_ = 0;   // bytes left of the body (fixed_length) or of a chunk (chunk_data)
    HttpResponse response_;
};

}  // namespace rt
