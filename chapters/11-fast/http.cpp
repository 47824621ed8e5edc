#include "http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

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
std::string excerpt(std::string_view text, std::size_t most = 60) {
    std::string out;
    for (char c : text.substr(0, most)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The bytes a request target may hold as they are (RFC 9112 §3.2, RFC 3986
// §3.3-3.4): letters, digits, "-._~", "!$&'()*+,;=", ":@" and "/?". Anything
// else, CR, LF and space first of all, would change the request on the wire.
bool target_byte(char c) {
    return is_alpha(c) || is_digit(c) || std::string_view("-._~!$&'()*+,;=:@/?").find(c) != std::string_view::npos;
}

bool host_byte(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-'; }

// "0x0d": a byte, for an error message.
std::string hex_byte(char c) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(c));
    return text;
}

// A field name is a token (RFC 9110 §5.1): no space, no colon, no control byte.
bool token_byte(char c) {
    return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9110 §5.5: CR, LF and NUL in a field value are "invalid and dangerous".
bool dangerous(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// HTTP/1.x, a space, three digits, then a space and a reason or nothing.
int parse_status_line(std::string_view line) {
    auto digit = [&](std::size_t i) { return is_digit(line[i]); };
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !digit(7) || line[8] != ' ' || !digit(9) ||
        !digit(10) || !digit(11) || (line.size() > 12 && line[12] != ' ') || dangerous(line))
        malformed("malformed status line: '" + excerpt(line) + "'");
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status < 100 || status > 599) malformed("status code " + std::to_string(status) + " is not in 100-599");
    return status;
}

// Name: value. The name is a token right up to the colon: a space before
// it is an error (RFC 9112 §5.1), not part of another name. The value loses
// the whitespace around it.
void add_field(HttpResponse& response, std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) malformed("malformed header line: '" + excerpt(line) + "'");
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), token_byte)) malformed("malformed header name: '" + excerpt(name) + "'");
    std::string_view value = trim(line.substr(colon + 1));
    if (dangerous(value)) malformed("a header value holds CR, LF or NUL: '" + excerpt(line) + "'");
    response.headers.emplace_back(std::string(name), std::string(value));
}

// A line that starts with whitespace continues the previous field's value
// (obs-fold). RFC 9112 §5.2 has a client replace the fold with a space.
void add_folded_line(HttpResponse& response, std::string_view line) {
    if (response.headers.empty()) malformed("a folded header line with no header before it: '" + excerpt(line) + "'");
    std::string_view more = trim(line);
    if (dangerous(more)) malformed("a header value holds CR, LF or NUL: '" + excerpt(line) + "'");
    std::string& value = response.headers.back().second;
    if (!more.empty()) value += value.empty() ? std::string(more) : " " + std::string(more);
}

// Every value of the fields named `name`, in order, as one comma-separated
// list (RFC 9110 §5.3): two lines are one list. Elements are trimmed, and
// empty ones dropped.
std::vector<std::string_view> list(const HttpResponse& response, std::string_view name) {
    std::vector<std::string_view> elements;
    for (const auto& [key, value] : response.headers) {
        if (!same_name(key, name)) continue;
        for (std::string_view rest = value; !rest.empty();) {
            std::size_t comma = rest.find(',');
            if (std::string_view element = trim(rest.substr(0, comma)); !element.empty()) elements.push_back(element);
            rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
        }
    }
    return elements;
}

// The number that decimal digits spell, or SIZE_MAX if it does not fit.
std::size_t decimal(std::string_view digits) {
    std::size_t value = 0;
    for (char c : digits) {
        auto digit = static_cast<std::size_t>(c - '0');
        if (value > (SIZE_MAX - digit) / 10) return SIZE_MAX;
        value = value * 10 + digit;
    }
    return value;
}

}  // namespace

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (same_name(key, name)) return std::string_view(value);
    return std::nullopt;
}

Url Url::parse(std::string_view url) {
    auto refuse = [&](const std::string& why) {
        throw std::invalid_argument("rt::http_get: " + why + " in '" + excerpt(url, 200) + "'");
    };
    constexpr std::string_view scheme = "http://";  // in any case (RFC 3986 §3.1)
    if (!same_name(url.substr(0, scheme.size()), scheme))
        throw std::invalid_argument("rt::http_get: only http:// URLs are supported, not '" + excerpt(url, 200) + "'");
    std::string_view rest = url.substr(scheme.size());
    rest = rest.substr(0, rest.find('#'));  // the fragment is for the client: never sent
    std::size_t target = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, target);
    std::string_view path = target == std::string_view::npos ? "/" : rest.substr(target);

    // host[:port]. The host goes into the Host line: letters, digits, dots and dashes only.
    std::size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    std::string_view port = colon == std::string_view::npos ? "" : authority.substr(colon + 1);
    if (host.empty()) refuse("no host");
    if (!std::all_of(host.begin(), host.end(), host_byte)) refuse("a host that is not an IPv4 address or a name");
    if (port.empty()) port = "80";  // "http://host:" means port 80 too (RFC 3986 §3.2.3)
    bool port_ok = port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit) && decimal(port) >= 1 &&
                   decimal(port) <= 65535;
    if (!port_ok) refuse("a bad port");

    // The request target goes on the wire as it is: each byte must be one a target may hold.
    for (std::size_t i = 0; i < path.size(); ++i) {
        bool escape = i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2]);
        if (path[i] == '%' && !escape) refuse("a '%' without two hex digits after it");
        if (path[i] != '%' && !target_byte(path[i]))
            refuse("byte " + hex_byte(path[i]) + ", which a request target may not hold,");
    }
    Url parsed{std::string(host), std::string(host) + ":" + std::string(port), std::string(path)};
    if (parsed.path.front() == '?') parsed.path.insert(0, "/");  // http://host?q asks for /?q
    return parsed;
}

void ResponseParser::feed(std::string_view bytes) {
    if (state_ == State::done) return;  // Connection: close; nothing can follow
    buffer_.append(bytes);
    if (state_ == State::head) parse_head();
    if (state_ != State::head && state_ != State::done) parse_body();
    // Drop what was parsed once per feed, not once per line: a read that
    // brings a thousand short lines must not copy the rest a thousand times.
    buffer_.erase(0, parsed_);
    parsed_ = 0;
}

std::optional<std::string_view> ResponseParser::take_line(std::size_t& budget, const char* too_long) {
    std::string_view rest = unparsed();
    // Search on from where the last search stopped: a line that trickles in
    // a byte at a time is not scanned again and again.
    std::size_t end = rest.find('\n', line_scanned_);
    if (end == std::string_view::npos) {
        // No line end yet. The line will be longer than what has come, by
        // its LF at least: refuse it as soon as that cannot fit.
        if (rest.size() >= budget) malformed(too_long);
        line_scanned_ = rest.size();
        return std::nullopt;
    }
    if (end + 1 > budget) malformed(too_long);
    budget -= end + 1;
    parsed_ += end + 1;
    line_scanned_ = 0;
    std::string_view line = rest.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF; RFC 9112 §2.2 allows a bare LF
    return line;
}

std::size_t ResponseParser::take_body(std::size_t most) {
    std::string_view piece = unparsed().substr(0, most);
    if (piece.size() > max_body_bytes_ - response_.body.size())
        malformed("the body is over the limit of " + std::to_string(max_body_bytes_) + " bytes");
    response_.body.append(piece);
    parsed_ += piece.size();
    line_scanned_ = 0;
    return piece.size();
}

std::size_t ResponseParser::chunk_size(std::string_view line) const {
    // 1*HEXDIG: no sign, no 0x, no space first, and nothing but extensions after.
    std::size_t digits = 0;
    while (digits < line.size() && is_hex(line[digits])) ++digits;
    std::size_t size = 0;
    auto [end, error] = std::from_chars(line.data(), line.data() + digits, size, 16);
    std::string_view after = line.substr(digits);
    std::string_view extensions = trim(after);  // ";name=value", maybe after whitespace
    bool extensions_ok = after.empty() || (extensions.substr(0, 1) == ";" && !dangerous(extensions));
    if (digits == 0 || error != std::errc() || !extensions_ok)
        malformed("malformed chunk size: '" + excerpt(line) + "'");
    if (size > max_body_bytes_ - response_.body.size())
        malformed("the body is over the limit of " + std::to_string(max_body_bytes_) + " bytes");
    return size;
}

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

void ResponseParser::parse_head() {
    // A line at a time, each charged to the head's 64 KiB as it is taken: the
    // limit is the same however the reads split the bytes.
    while (state_ == State::head) {
        std::optional<std::string_view> line = take_line(section_budget_, "the header section is over 64 KiB");
        if (!line) return;  // not all there yet
        if (response_.status == 0) response_.status = parse_status_line(*line);
        else if (line->empty()) end_head();
        else if (line->front() == ' ' || line->front() == '\t') add_folded_line(response_, *line);
        else add_field(response_, *line);
    }
}

void ResponseParser::end_head() {
    // An interim response (1xx, "100 Continue") comes before the real one:
    // start over, and parse_head's loop reads the next head. A loop, not a
    // recursion: a server may send thousands. 101 switches to another
    // protocol, which a GET never asks for.
    if (response_.status / 100 == 1) {
        if (response_.status == 101) malformed("the server switched protocols (101), which this client never asks for");
        response_ = HttpResponse{};
        section_budget_ = max_header_bytes;
        return;
    }
    section_budget_ = max_header_bytes;  // from now on, for the trailer section

    // How the body ends (RFC 9112 §6.3): none for 204 and 304. With a
    // Transfer-Encoding, by chunks if chunked is its last coding, else by
    // the end of the connection; Content-Length is then ignored. Else by
    // Content-Length, or with neither, by the end of the connection.
    std::vector<std::string_view> codings = list(response_, "Transfer-Encoding");
    std::vector<std::string_view> lengths = list(response_, "Content-Length");
    if (response_.status == 204 || response_.status == 304) {
        state_ = State::done;
    } else if (!codings.empty()) {
        state_ = same_name(codings.back(), "chunked") ? State::chunk_size : State::until_close;
    } else if (response_.header("Content-Length")) {
        // 1*DIGIT each; "5, 5" (or two lines of 5) is 5, but two different lengths are an error.
        if (lengths.empty()) malformed("an empty Content-Length");
        for (std::string_view length : lengths) {
            if (!std::all_of(length.begin(), length.end(), is_digit))
                malformed("malformed Content-Length: '" + excerpt(length) + "'");
            if (decimal(length) != decimal(lengths.front()))
                malformed("two different Content-Length values: '" + excerpt(lengths.front()) + "' and '" +
                          excerpt(length) + "'");
        }
        remaining_ = decimal(lengths.front());
        if (remaining_ > max_body_bytes_)  // refused before reading a byte of it
            malformed("a Content-Length of " + excerpt(lengths.front()) + " bytes is over the limit of " +
                      std::to_string(max_body_bytes_) + " bytes");
        // Room for the whole body now: grown by doubling instead, a 100 MiB
        // body would be copied whole at each growth, in one poll no budget
        // can split (chapter 08). Within the limit, so a server that claims
        // much and sends little costs address space, not memory.
        response_.body.reserve(remaining_);
        state_ = State::fixed_length;
    } else {
        state_ = State::until_close;
    }
}

void ResponseParser::parse_body() {
    for (;;) {
        switch (state_) {
            case State::fixed_length:
                remaining_ -= take_body(remaining_);
                if (remaining_ > 0) return;  // wait for more
                state_ = State::done;
                break;
            case State::chunk_size: {  // hex size, maybe ";extensions", a line end
                std::size_t budget = max_chunk_line_bytes;
                std::optional<std::string_view> line = take_line(budget, "a chunk-size line is over 4 KiB");
                if (!line) return;
                remaining_ = chunk_size(*line);
                state_ = remaining_ == 0 ? State::trailers : State::chunk_data;
                break;
            }
            case State::chunk_data:
                remaining_ -= take_body(remaining_);
                if (remaining_ > 0) return;
                state_ = State::chunk_data_end;
                break;
            case State::chunk_data_end: {  // the chunk's data ends with an empty line: CRLF, or a bare LF
                std::size_t budget = 2;
                std::optional<std::string_view> end = take_line(budget, "a chunk does not end with CRLF");
                if (!end) return;
                if (!end->empty()) malformed("a chunk does not end with CRLF");
                state_ = State::chunk_size;
                break;
            }
            case State::trailers: {  // trailer lines, ignored, up to an empty line
                std::optional<std::string_view> line = take_line(section_budget_, "the trailer section is over 64 KiB");
                if (!line) return;
                if (line->empty()) state_ = State::done;
                break;
            }
            case State::until_close:
                take_body(unparsed().size());
                return;
            case State::head:
            case State::done:
                return;
        }
    }
}

}  // namespace rt
