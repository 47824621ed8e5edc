#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rt.hpp"

namespace {

// Feeds a whole response in pieces of `piece` bytes, then ends the connection if asked.
rt::HttpResponse parse(const std::string& raw, std::size_t piece, bool close_after = false) {
    rt::ResponseParser parser;
    for (std::size_t at = 0; at < raw.size() && !parser.done(); at += piece) parser.feed(raw.substr(at, piece));
    if (close_after) parser.finish();
    REQUIRE(parser.done());
    return parser.take();
}

// Feeds `raw` to `parser` in pieces of `piece` bytes, then ends the
// connection if asked; returns the message of the std::runtime_error it
// throws, or "no error". Anything else (a stub's rt::NotImplemented) goes on.
std::string error_of(rt::ResponseParser& parser, const std::string& raw, std::size_t piece, bool close_after = false) {
    try {
        for (std::size_t at = 0; at < raw.size() && !parser.done(); at += piece)
            parser.feed(std::string_view(raw).substr(at, piece));
        if (close_after) parser.finish();
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

std::string error_of(const std::string& raw, std::size_t piece = 1 << 30, bool close_after = false) {
    rt::ResponseParser parser;
    return error_of(parser, raw, piece, close_after);
}

const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

const std::string chunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n"
    "7;name=value\r\n, world\r\n"
    "0\r\nX-Trailer: yes\r\n\r\n";

}  // namespace

TEST_SUITE("ex4: ResponseParser::parse_body") {
    TEST_CASE("a body framed by Content-Length, in one piece and byte by byte") {
        std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: test\r\n\r\nhello";
        for (std::size_t piece : {raw.size(), std::size_t(1), std::size_t(7)}) {
            rt::HttpResponse response = parse(raw, piece);
            CHECK(response.status == 200);
            CHECK(response.body == "hello");
            CHECK(response.header("server") == "test");
        }
    }

    TEST_CASE("a chunked body, with an extension and a trailer, in pieces of every size") {
        for (std::size_t piece = 1; piece <= chunked.size(); ++piece) {
            CAPTURE(piece);
            CHECK(parse(chunked, piece).body == "hello, world");
        }
    }

    TEST_CASE("chunked as the last of several codings still frames the body") {
        std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        CHECK(parse(raw, raw.size()).body == "ok");
    }

    TEST_CASE("a body that runs until the server closes the connection") {
        std::string raw = "HTTP/1.1 200 OK\r\n\r\nall of this, until the end";
        rt::HttpResponse response = parse(raw, 4, true);
        CHECK(response.body == "all of this, until the end");
    }

    TEST_CASE("an empty body: Content-Length 0, and a chunked body of no chunk") {
        CHECK(parse("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 100).body.empty());
        CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 3).body.empty());
    }

    TEST_CASE("a body cut short is an error that says how much was missing") {
        rt::ResponseParser parser;
        parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        CHECK_FALSE(parser.done());
        CHECK_THROWS_WITH_AS(parser.finish(), "rt::http_get: the server closed the connection 7 bytes before the end of the body",
                             std::runtime_error);
        rt::ResponseParser chunks;
        chunks.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        CHECK_THROWS_AS(chunks.finish(), std::runtime_error);
    }

    TEST_CASE("a malformed chunk is an error") {
        rt::ResponseParser size;
        CHECK_THROWS_WITH_AS(size.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
                             "rt::http_get: malformed chunk size: 'zz'", std::runtime_error);
        rt::ResponseParser ending;
        CHECK_THROWS_WITH_AS(ending.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY"),
                             "rt::http_get: a chunk does not end with CRLF", std::runtime_error);
        INFO("the line after a chunk's data must be empty: a short line that ends is not enough");
        CHECK(error_of(chunked_head + "2\r\nabX\n0\r\n\r\n") == "rt::http_get: a chunk does not end with CRLF");
    }

    TEST_CASE("the trailer section ends at its empty line, not at its first trailer") {
        rt::ResponseParser parser;
        parser.feed(chunked_head + "5\r\nhello\r\n0\r\nA: 1\r\n");
        CHECK_FALSE(parser.done());
        parser.feed("B: 2\r\n\r\n");
        REQUIRE(parser.done());
        CHECK(parser.take().body == "hello");
    }

    TEST_CASE("a chunk size is hex digits, then only extensions: 0x5, 5xyz, -5 and ' 5' are errors") {
        REQUIRE(error_of(chunked_head + "0x5\r\nhello\r\n0\r\n\r\n") == "rt::http_get: malformed chunk size: '0x5'");
        // Each bad line, and how the error message shows it.
        std::vector<std::pair<std::string, std::string>> bad = {
            {"5xyz", "5xyz"}, {"-5", "-5"}, {"+5", "+5"}, {" 5", " 5"}, {"5 ", "5 "}, {"5\r", "5?"},
            {"5;a\rb", "5;a?b"}, {"", ""}, {"11111111111111111", "11111111111111111"}};
        for (const auto& line : bad) {
            CAPTURE(line.first);
            CHECK(error_of(chunked_head + line.first + "\r\nhello\r\n0\r\n\r\n") ==
                  "rt::http_get: malformed chunk size: '" + line.second + "'");
        }
        CHECK(parse(chunked_head + "5 ; name=value\r\nhello\r\n00000000000000000000\r\n\r\n", 1).body == "hello");
    }

    TEST_CASE("a chunk-size line is at most 4 KiB, and a line that never ends is refused once it cannot fit") {
        std::string at_limit = "5;" + std::string(rt::ResponseParser::max_chunk_line_bytes - 4, 'x') + "\r\n";
        REQUIRE(at_limit.size() == rt::ResponseParser::max_chunk_line_bytes);
        CHECK(parse(chunked_head + at_limit + "hello\r\n0\r\n\r\n", 1000).body == "hello");
        std::string over = "5;" + std::string(rt::ResponseParser::max_chunk_line_bytes - 3, 'x') + "\r\n";
        CHECK(error_of(chunked_head + over + "hello\r\n0\r\n\r\n", 1000) ==
              "rt::http_get: a chunk-size line is over 4 KiB");
        // A line without an end, 1 KiB at a time: refused after 4 KiB, not buffered and rescanned for ever.
        rt::ResponseParser endless;
        std::string piece(1024, 'x');
        CHECK(error_of(endless, chunked_head + "5;", 1 << 30) == "no error");
        std::string error = "no error";
        for (int i = 0; i < 1024 && error == "no error"; ++i) error = error_of(endless, piece, piece.size());
        CHECK(error == "rt::http_get: a chunk-size line is over 4 KiB");
    }

    TEST_CASE("the trailer section is at most 64 KiB") {
        rt::ResponseParser endless;
        REQUIRE(error_of(endless, chunked_head + "0\r\nX-Trailer: ", 1 << 30) == "no error");
        std::string piece(1024, 't');
        std::string error = "no error";
        for (int i = 0; i < 1024 && error == "no error"; ++i) error = error_of(endless, piece, piece.size());
        CHECK(error == "rt::http_get: the trailer section is over 64 KiB");
        std::string many;
        while (many.size() < 70 * 1024) many += "X-T: " + std::string(100, 't') + "\r\n";
        CHECK(error_of(chunked_head + "0\r\n" + many + "\r\n", 512) ==
              "rt::http_get: the trailer section is over 64 KiB");
    }

    TEST_CASE("a body that runs to the close stops at the default limit of 16 MiB") {
        std::string raw = "HTTP/1.1 200 OK\r\n\r\n" + std::string(16 * 1024 * 1024, 'b');
        rt::ResponseParser at_limit;
        REQUIRE(error_of(at_limit, raw, 1 << 16, true) == "no error");
        CHECK(at_limit.take().body.size() == 16 * 1024 * 1024);
        CHECK(error_of(raw + "b", 1 << 16, true) == "rt::http_get: the body is over the limit of 16777216 bytes");
    }

    TEST_CASE("a chunked body over the caller's limit is refused at the chunk size that passes it") {
        rt::ResponseParser small(8);
        REQUIRE(error_of(small, chunked_head + "5\r\nhello\r\n4\r\n", 3) ==
                "rt::http_get: the body is over the limit of 8 bytes");
        rt::ResponseParser exact(8);
        CHECK(error_of(exact, chunked_head + "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", 3) == "no error");
        CHECK(exact.take().body == "helloabc");
        rt::ResponseParser to_close(8);
        CHECK(error_of(to_close, "HTTP/1.1 200 OK\r\n\r\n123456789", 2, true) ==
              "rt::http_get: the body is over the limit of 8 bytes");
    }

    TEST_CASE("Transfer-Encoding over two lines is one list: its last coding decides") {
        std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        REQUIRE(parse(raw, 5).body == "ok");
    }

    TEST_CASE("a last coding that is not chunked runs to the close, even with a Content-Length") {
        std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 5\r\n\r\n"
                          "5\r\nhello\r\n0\r\n\r\n";
        rt::HttpResponse response = parse(raw, 4, true);
        CHECK(response.body == "5\r\nhello\r\n0\r\n\r\n");
    }

    TEST_CASE("Content-Length: 5, 5 is 5, and so are two lines of 5") {
        REQUIRE(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", 1).body == "hello");
        CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello", 100).body == "hello");
    }

    TEST_CASE("a chunked body whose lines end in a bare LF") {
        std::string raw = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n6;x=y\n, bare\n0\nX-Trailer: 1\n\n";
        for (std::size_t piece = 1; piece <= raw.size(); ++piece) {
            CAPTURE(piece);
            REQUIRE(parse(raw, piece).body == "hello, bare");
        }
    }
}
