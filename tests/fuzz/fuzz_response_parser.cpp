// A libFuzzer harness for rt::ResponseParser (solutions/05-epoll-reactor/http.cpp).
//
// scripts/check builds it with Debian's clang 14 and runs it for 60 s over the
// seeds in tests/fuzz/corpus. By hand, from the top of the repository:
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
//       -Isolutions/05-epoll-reactor tests/fuzz/fuzz_response_parser.cpp \
//       solutions/05-epoll-reactor/http.cpp -o /tmp/fuzz_response_parser
//   mkdir -p /tmp/corpus && /tmp/fuzz_response_parser -max_total_time=60 /tmp/corpus tests/fuzz/corpus
//
// libFuzzer writes the inputs it finds into the first folder: keep that one
// out of the repository. The input's first byte picks one of two games:
//
// - raw (even): the rest is any bytes at all, fed in pieces whose sizes the
//   input gives. The parser may refuse them, with std::runtime_error and
//   nothing else. A body it accepts is no longer than what it was fed, nor
//   than its limit.
// - encoded (odd): the input gives a body, cut into chunks, and a framing.
//   The harness writes a valid response around it (Content-Length, chunked,
//   or until the close; CRLF or bare LF; interim responses, extensions,
//   trailers, a Content-Length that Transfer-Encoding overrides) and feeds it
//   in pieces. The parser must give back exactly that body: for chunked, the
//   chunks one after the other.
//
// Crashes, sanitizer reports and hangs (-timeout) are libFuzzer's to report.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "http.hpp"

namespace {

[[noreturn]] void broken(const char* invariant, const std::string& detail = "") {
    std::fprintf(stderr, "\ninvariant broken: %s %s\n", invariant, detail.c_str());
    std::abort();
}

// Feeds `response` in pieces of 1 to 300 bytes, their sizes drawn from `input`
// (1 byte at a time once the input runs out).
void feed_in_pieces(rt::ResponseParser& parser, std::string_view response, FuzzedDataProvider& input) {
    while (!response.empty()) {
        std::size_t piece = std::min(input.ConsumeIntegralInRange<std::size_t>(1, 300), response.size());
        parser.feed(response.substr(0, piece));
        response.remove_prefix(piece);
    }
}

void raw(FuzzedDataProvider& input) {
    std::size_t limit = input.ConsumeBool() ? 100 : rt::ResponseParser::default_max_body_bytes;
    rt::ResponseParser parser(limit);
    std::size_t fed = 0;
    try {
        while (input.remaining_bytes() > 0) {
            std::size_t piece = input.ConsumeIntegralInRange<std::size_t>(1, 300);
            std::string bytes = input.ConsumeBytesAsString(piece);
            fed += bytes.size();
            parser.feed(bytes);
        }
        parser.finish();
    } catch (const std::runtime_error&) {
        return;  // refused, as a malformed response must be; any other exception escapes and is a crash
    }
    if (!parser.done()) broken("finish() neither completed the response nor threw");
    std::size_t body = parser.take().body.size();
    if (body > fed) broken("a body longer than the input");
    if (body > limit) broken("a body longer than the limit");
}

std::string hex(std::size_t size, bool upper, int zeros) {
    char digits[32];
    auto end = std::to_chars(digits, digits + sizeof digits, size, 16).ptr;
    std::string text = std::string(static_cast<std::size_t>(zeros), '0') + std::string(digits, end);
    if (upper) std::transform(text.begin(), text.end(), text.begin(), [](char c) { return std::toupper(c); });
    return text;
}

void encoded(FuzzedDataProvider& input) {
    const std::string eol = input.ConsumeBool() ? "\r\n" : "\n";
    int framing = input.ConsumeIntegralInRange(0, 2);  // Content-Length, chunked, until the close
    std::vector<std::string> chunks(input.ConsumeIntegralInRange(0, 6));
    for (std::string& chunk : chunks) chunk = input.ConsumeRandomLengthString(400);
    std::string body;
    for (const std::string& chunk : chunks) body += chunk;

    std::string response;
    for (int interim = input.ConsumeIntegralInRange(0, 2); interim > 0; --interim)
        response += "HTTP/1.1 100 Continue" + eol + eol;
    response += "HTTP/1.1 200 OK" + eol + "Server: fuzz" + eol;
    if (input.ConsumeBool()) response += "X-Folded: one" + eol + " two" + eol;  // obs-fold
    if (framing == 0) {
        std::string length = std::to_string(body.size());
        response += "Content-Length: " + length + (input.ConsumeBool() ? ", " + length : "") + eol + eol + body;
    } else if (framing == 1) {
        response += input.ConsumeBool() ? "Transfer-Encoding: chunked" + eol
                                        : "Transfer-Encoding: gzip" + eol + "Content-Length: 1" + eol +
                                              "transfer-encoding: Chunked" + eol;
        response += eol;
        for (const std::string& chunk : chunks) {
            if (chunk.empty()) continue;  // a size of 0 would end the body
            response += hex(chunk.size(), input.ConsumeBool(), input.ConsumeIntegralInRange(0, 3));
            response += (input.ConsumeBool() ? " ;name=\"value\"" : "") + eol + chunk + eol;
        }
        response += "0" + eol + (input.ConsumeBool() ? "X-Trailer: yes" + eol : "") + eol;
    } else {
        if (input.ConsumeBool()) response += "Transfer-Encoding: chunked, gzip" + eol + "Content-Length: 3" + eol;
        response += eol + body;
    }

    // A limit of exactly the body's size must let it through.
    rt::ResponseParser parser(input.ConsumeBool() ? body.size() : rt::ResponseParser::default_max_body_bytes);
    try {
        feed_in_pieces(parser, response, input);
        if (framing == 2) parser.finish();
    } catch (const std::exception& error) {
        broken("a valid response was refused:", error.what());
    }
    if (!parser.done()) broken("a complete response is not done");
    if (parser.take().body != body) broken("the body is not the one encoded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FuzzedDataProvider input(data + 1, size - 1);
    if (data[0] % 2 == 0) raw(input);
    else encoded(input);
    return 0;
}
