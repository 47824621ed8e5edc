#include "http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "todo.hpp"

namespace rt {

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

[[noreturn]] void malformed(const std::string& what) { throw std::runtime_error("rt::http_get: " + what); }

// A short, printable excerpt of bad input for an error message.
std::string excerpt(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 60)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return out;
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (same_name(key, name)) return std::string_view(value);
    return std::nullopt;
}

Url Url::parse(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme)
        throw std::invalid_argument("rt::http_get: only http:// URLs are supported, not '" + std::string(url) + "'");
    std::string_view rest = url.substr(scheme.size());
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    Url parsed;
    parsed.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::size_t colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (parsed.host.empty()) throw std::invalid_argument("rt::http_get: no host in '" + std::string(url) + "'");
    parsed.authority = colon == std::string_view::npos ? parsed.host + ":80" : std::string(authority);
    return parsed;
}

// ANCHOR: feed
void ResponseParser::feed(std::string_view bytes) {
    buffer_.append(bytes);
    if (state_ == State::head) parse_head();
    if (state_ != State::head && state_ != State::done) parse_body();
}
// ANCHOR_END: feed

// ANCHOR: finish
void ResponseParser::finish() {
    switch (state_) {
        case State::done:
            return;
        case State::until_close:
            state_ = State::done;
            return;
        case State::head:
            malformed("the server closed the connection before the header section ended");
        case State::fixed_length:
            malformed("the server closed the connection " + std::to_string(remaining_) +
                      " bytes before the end of the body");
        default:
            malformed("the server closed the connection in the middle of a chunked body");
    }
}
// ANCHOR_END: finish

// ANCHOR: head-lines
void ResponseParser::parse_head() {
    // Search on from where the last search stopped: a head that trickles in
    // a byte at a time is not scanned again and again.
    std::size_t end = buffer_.find("\r\n\r\n", head_scanned_);
    if (end == std::string::npos) {
        if (buffer_.size() > max_header_bytes) malformed("the header section is over 64 KiB");
        head_scanned_ = buffer_.size() < 3 ? 0 : buffer_.size() - 3;
        return;  // not all there yet
    }
    head_scanned_ = 0;
    if (end > max_header_bytes) malformed("the header section is over 64 KiB");
    std::string_view head(buffer_.data(), end);

    // The status line: HTTP/1.x 200 Reason
    std::size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(status_line[i])) != 0; };
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || !digit(7) || status_line[8] != ' ' ||
        !digit(9) || !digit(10) || !digit(11) || (status_line.size() > 12 && status_line[12] != ' '))
        malformed("malformed status line: '" + excerpt(status_line) + "'");
    response_.status = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');

    // Header lines: Name: value
    std::string_view lines = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
    while (!lines.empty()) {
        std::size_t next = lines.find("\r\n");
        std::string_view line = lines.substr(0, next);
        lines = next == std::string_view::npos ? "" : lines.substr(next + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) malformed("malformed header line: '" + excerpt(line) + "'");
        response_.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
    }
    buffer_.erase(0, end + 4);
    // ANCHOR_END: head-lines

    // ANCHOR: head-framing
    // An interim response (1xx, "100 Continue") comes before the real one: skip it.
    if (response_.status / 100 == 1) {
        response_ = HttpResponse{};
        return parse_head();
    }
    // How the body ends: none for 204 and 304; chunked coding (the last one
    // listed) wins over a length; with neither, the connection's end.
    std::optional<std::string_view> coding = response_.header("Transfer-Encoding");
    std::optional<std::string_view> length = response_.header("Content-Length");
    if (response_.status == 204 || response_.status == 304) {
        state_ = State::done;
    } else if (coding && same_name(trim(coding->substr(coding->rfind(',') + 1)), "chunked")) {  // npos + 1 is 0
        state_ = State::chunk_size;
    } else if (length) {
        auto [ptr, error] = std::from_chars(length->data(), length->data() + length->size(), remaining_);
        if (error != std::errc() || ptr != length->data() + length->size())
            malformed("malformed Content-Length: '" + excerpt(*length) + "'");
        state_ = State::fixed_length;
    } else {
        state_ = State::until_close;
    }
    // ANCHOR_END: head-framing
}

// ANCHOR: parse-body
void ResponseParser::parse_body() {
    // BEGIN EXERCISE ex4: take the body from buffer_: by length, by chunks, or to the end
    for (;;) {
        switch (state_) {
            case State::fixed_length: {
                std::size_t take = std::min(remaining_, buffer_.size());
                response_.body.append(buffer_, 0, take);
                buffer_.erase(0, take);
                remaining_ -= take;
                if (remaining_ > 0) return;  // wait for more
                state_ = State::done;
                break;
            }
            case State::chunk_size: {  // hex size, maybe ";extensions", CRLF
                std::size_t end = buffer_.find("\r\n");
                if (end == std::string::npos) return;
                std::string_view line(buffer_.data(), end);
                line = line.substr(0, line.find(';'));
                auto [ptr, error] = std::from_chars(line.data(), line.data() + line.size(), remaining_, 16);
                if (error != std::errc() || ptr == line.data()) malformed("malformed chunk size: '" + excerpt(line) + "'");
                buffer_.erase(0, end + 2);
                state_ = remaining_ == 0 ? State::trailers : State::chunk_data;
                break;
            }
            case State::chunk_data: {
                std::size_t take = std::min(remaining_, buffer_.size());
                response_.body.append(buffer_, 0, take);
                buffer_.erase(0, take);
                remaining_ -= take;
                if (remaining_ > 0) return;
                state_ = State::chunk_data_end;
                break;
            }
            case State::chunk_data_end: {  // the CRLF after a chunk's data
                if (buffer_.size() < 2) return;
                if (buffer_.compare(0, 2, "\r\n") != 0) malformed("a chunk does not end with CRLF");
                buffer_.erase(0, 2);
                state_ = State::chunk_size;
                break;
            }
            case State::trailers: {  // trailer lines, ignored, up to an empty line
                std::size_t end = buffer_.find("\r\n");
                if (end == std::string::npos) return;
                buffer_.erase(0, end + 2);
                if (end == 0) state_ = State::done;
                break;
            }
            case State::until_close:
                response_.body += buffer_;
                buffer_.clear();
                return;
            case State::head:
            case State::done:
                return;
        }
    }
    // END EXERCISE ex4
}
// ANCHOR_END: parse-body

}  // namespace rt
