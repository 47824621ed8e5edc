#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

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
    }
}
