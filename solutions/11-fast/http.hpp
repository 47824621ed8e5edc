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

// http://host:port/path?query, host an IPv4 address or localhost. The
// scheme may be in any case; a #fragment is dropped, as it is never sent.
struct Url {
    std::string host;       // as written
    std::string authority;  // host:port, what to connect to and the Host header
    std::string path;       // the request target: starts with '/', query included

    // Throws std::invalid_argument: another scheme, no host, a bad port, or
    // a byte that a request target may not hold (CR, LF, space, ...).
    static Url parse(std::string_view url);
};

// Reads a response as it arrives: the status line, the header section, then
// the body, framed by Content-Length, by chunked transfer coding, or by the
// end of the connection. Throws std::runtime_error on a malformed response,
// and on one bigger than its limits: a server must not be able to make the
// client store, or scan, more than it agreed to.
class ResponseParser {
public:
    // The head (status line, header lines and the empty line, line ends
    // included), and then the trailer section, each at most this.
    static constexpr std::size_t max_header_bytes = 64 * 1024;
    // A chunk-size line, with its extensions and its line end.
    static constexpr std::size_t max_chunk_line_bytes = 4 * 1024;
    // The body is held in memory, whole: 16 MiB by default, sixteen times
    // the largest body this course fetches. A caller that expects more says so.
    static constexpr std::size_t default_max_body_bytes = 16 * 1024 * 1024;

    explicit ResponseParser(std::size_t max_body_bytes = default_max_body_bytes) noexcept
        : max_body_bytes_(max_body_bytes) {}

    // The next bytes from the connection. Bytes after a complete response are ignored.
    void feed(std::string_view bytes);
    // The server closed the connection: ends a body that runs until then, or
    // throws if the response was cut short.
    void finish();

    bool done() const noexcept { return state_ == State::done; }
    HttpResponse take() { return std::move(response_); }

private:
    enum class State { head, fixed_length, chunk_size, chunk_data, chunk_data_end, trailers, until_close, done };

    void parse_head();  // the status line and headers, a line at a time
    void end_head();    // after the empty line: skip an interim response, or decide how the body ends
    // Takes what it can of the body; leaves an incomplete piece unparsed.
    void parse_body();

    // For both: the bytes received and not parsed yet.
    std::string_view unparsed() const noexcept { return std::string_view(buffer_).substr(parsed_); }
    // The next line, without its line end (CRLF, or a bare LF), once it has
    // all come; its bytes, line end included, are taken from `budget`. A
    // line that cannot fit throws `too_long` as soon as it cannot.
    std::optional<std::string_view> take_line(std::size_t& budget, const char* too_long);
    // Moves up to `most` unparsed bytes to the body; returns how many.
    // Throws if the body would grow past its limit.
    std::size_t take_body(std::size_t most);
    // The size a chunk-size line gives (1*HEXDIG, then extensions, ignored).
    // Throws if it is malformed, or if the chunk would take the body past its limit.
    std::size_t chunk_size(std::string_view line) const;

    State state_ = State::head;
    std::size_t max_body_bytes_;
    std::string buffer_;              // received; its first parsed_ bytes are parsed, and go at the end of a feed
    std::size_t parsed_ = 0;
    std::size_t line_scanned_ = 0;    // unparsed bytes already searched for a line end: none is there
    std::size_t section_budget_ = max_header_bytes;  // left for the head, then for the trailers
    std::size_t remaining_ = 0;       // bytes left of the body (fixed_length) or of a chunk (chunk_data)
    HttpResponse response_;
};

}  // namespace rt
