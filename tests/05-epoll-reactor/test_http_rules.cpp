// The given HTTP code against the rules of RFC 9112 and RFC 9110, and
// against a hostile server: URLs that would inject requests, heads that
// lie about their framing, limits that must hold however the reads split.
// Every response here ends at its head (204, or an error), so no test
// reaches the body, which is exercise 4.
#include <doctest/doctest.h>

#include <pthread.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rt.hpp"

namespace {

// Feeds `raw` in pieces of `piece` bytes; returns the message of the
// std::runtime_error the parser throws, or "no error".
std::string head_error(const std::string& raw, std::size_t piece = 1 << 30) {
    rt::ResponseParser parser;
    try {
        for (std::size_t at = 0; at < raw.size(); at += piece) parser.feed(std::string_view(raw).substr(at, piece));
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

// Feeds a head that ends the response (a 204) and returns the response.
rt::HttpResponse head_only(const std::string& raw, std::size_t piece = 1 << 30) {
    rt::ResponseParser parser;
    for (std::size_t at = 0; at < raw.size(); at += piece) parser.feed(std::string_view(raw).substr(at, piece));
    REQUIRE(parser.done());
    return parser.take();
}

// Runs `body` on a thread with a small stack (256 KiB) and rethrows what it threw.
void on_small_stack(const std::function<void()>& body) {
    struct Job {
        const std::function<void()>* body;
        std::exception_ptr error;
    } job{&body, nullptr};
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    pthread_t thread;
    auto run = [](void* raw) -> void* {
        auto* job = static_cast<Job*>(raw);
        try {
            (*job->body)();
        } catch (...) {
            job->error = std::current_exception();
        }
        return nullptr;
    };
    REQUIRE(pthread_create(&thread, &attributes, run, &job) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attributes);
    if (job.error) std::rethrow_exception(job.error);
}

const std::string no_content = "HTTP/1.1 204 No Content\r\n";

}  // namespace

TEST_SUITE("given: URLs and response heads by RFC 9112 and RFC 9110") {
    TEST_CASE("a URL that would put CR, LF, a space or another bad byte on the wire is refused") {
        CHECK_THROWS_WITH_AS(rt::http_get("http://127.0.0.1:8080/a\r\nX-Injected: yes\r\n\r\nGET /b"),
                             "rt::http_get: byte 0x0d, which a request target may not hold, in "
                             "'http://127.0.0.1:8080/a??X-Injected: yes????GET /b'",
                             std::invalid_argument);
        std::vector<std::string> bad_targets = {"/a\nb", "/a b", "/a\tb", std::string("/a\0b", 4), "/a\"b", "/a<b>",
                                                "/a\\b", "/a{b}", "/a|b", "/a^b", "/a`b", "/[b]", "/\x7f",
                                                "/caf\xc3\xa9", "/a%zz", "/a%2", "/a%"};
        for (const std::string& bad : bad_targets) {
            CAPTURE(bad);
            CHECK_THROWS_AS(rt::Url::parse("http://127.0.0.1:8080" + bad), std::invalid_argument);
        }
        // The host goes into the Host header line: it is held to the same care.
        CHECK_THROWS_AS(rt::Url::parse("http://127.0.0.1\r\nX-Injected: yes:80/"), std::invalid_argument);
        CHECK_THROWS_AS(rt::Url::parse("http://user@127.0.0.1/"), std::invalid_argument);
        CHECK_THROWS_AS(rt::Url::parse("http://127.0.0.1:8o/"), std::invalid_argument);
        CHECK_THROWS_AS(rt::Url::parse("http://127.0.0.1:65536/"), std::invalid_argument);
    }

    TEST_CASE("a URL keeps its query and %-escapes, drops its fragment, and takes its scheme in any case") {
        rt::Url url = rt::Url::parse("HTTP://127.0.0.1:8080/a/b;c?x=1&y=%2F:@!$'()*+,~#part");
        CHECK(url.authority == "127.0.0.1:8080");
        CHECK(url.path == "/a/b;c?x=1&y=%2F:@!$'()*+,~");
        rt::Url query_only = rt::Url::parse("http://localhost:9?q=1");
        CHECK(query_only.authority == "localhost:9");
        CHECK(query_only.path == "/?q=1");
        CHECK(rt::Url::parse("Http://localhost#top").path == "/");
        CHECK(rt::Url::parse("http://localhost:/").authority == "localhost:80");
    }

    TEST_CASE("a Content-Length over the body limit is refused before a byte of the body is read") {
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n") ==
              "rt::http_get: a Content-Length of 18446744073709551615 bytes is over the limit of 16777216 bytes");
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n") ==
              "rt::http_get: a Content-Length of 99999999999999999999999 bytes is over the limit of 16777216 bytes");
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\n\r\n") ==
              "rt::http_get: a Content-Length of 16777217 bytes is over the limit of 16777216 bytes");
    }

    TEST_CASE("the body limit can be set, and a Content-Length is held to it") {
        rt::ResponseParser small(100);
        CHECK_THROWS_WITH_AS(small.feed("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n"),
                             "rt::http_get: a Content-Length of 101 bytes is over the limit of 100 bytes",
                             std::runtime_error);
        CHECK(rt::ResponseParser::default_max_body_bytes == 16 * 1024 * 1024);
    }

    TEST_CASE("a header value with CR or NUL in it is refused; so is a space before the colon") {
        CHECK(head_error(no_content + "X-A: one\rContent-Length: 5\r\n\r\n") ==
              "rt::http_get: a header value holds CR, LF or NUL: 'X-A: one?Content-Length: 5'");
        CHECK(head_error(no_content + std::string("X-A: one\0two\r\n\r\n", 17)) ==
              "rt::http_get: a header value holds CR, LF or NUL: 'X-A: one?two'");
        CHECK(head_error(no_content + "Content-Length : 5\r\n\r\n") ==
              "rt::http_get: malformed header name: 'Content-Length '");
        CHECK(head_error(no_content + "Bad\tName: 5\r\n\r\n") == "rt::http_get: malformed header name: 'Bad?Name'");
    }

    TEST_CASE("a folded header line (obs-fold) joins the value before it with a space") {
        rt::HttpResponse response = head_only(no_content + "X-Long: one \r\n  two\r\n\tthree\r\nX-Next: yes\r\n\r\n");
        CHECK(response.header("X-Long") == "one two three");
        CHECK(response.header("X-Next") == "yes");
        CHECK(head_error(no_content + " X-Folded: first\r\n\r\n") ==
              "rt::http_get: a folded header line with no header before it: ' X-Folded: first'");
    }

    TEST_CASE("two different Content-Length values are an error") {
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") ==
              "rt::http_get: two different Content-Length values: '5' and '6'");
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: 5, 7\r\n\r\n") ==
              "rt::http_get: two different Content-Length values: '5' and '7'");
        CHECK(head_error("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n") ==
              "rt::http_get: malformed Content-Length: '+5'");
    }

    TEST_CASE("5,000 interim responses are skipped in a loop, on a 256 KiB stack") {
        std::string raw;
        for (int i = 0; i < 5000; ++i) raw += "HTTP/1.1 100 Continue\r\n\r\n";
        raw += no_content + "X-Final: yes\r\n\r\n";
        rt::ResponseParser parser;
        on_small_stack([&] { parser.feed(raw); });  // the parser alone: no doctest on that stack
        REQUIRE(parser.done());
        rt::HttpResponse response = parser.take();
        CHECK(response.status == 204);
        CHECK(response.header("X-Final") == "yes");
    }

    TEST_CASE("the 64 KiB head limit is exact, however the reads split the bytes") {
        // A head of exactly `size` bytes: the status line, 1000-byte header lines, a shorter one, the empty line.
        auto head_of = [](std::size_t size) {
            std::string head = no_content;
            while (size - head.size() - 2 > 1000) head += "X: " + std::string(995, 'f') + "\r\n";
            return head + "X: " + std::string(size - head.size() - 2 - 5, 'f') + "\r\n\r\n";
        };
        std::string largest = head_of(rt::ResponseParser::max_header_bytes);
        std::string too_large = head_of(rt::ResponseParser::max_header_bytes + 1);
        REQUIRE(largest.size() == 65536);
        REQUIRE(too_large.size() == 65537);
        for (std::size_t piece : {std::size_t(1), std::size_t(2), std::size_t(7), std::size_t(4096),
                                  std::size_t(65535), std::size_t(65536), std::size_t(1 << 20)}) {
            CAPTURE(piece);
            CHECK(head_error(largest, piece) == "no error");
            CHECK(head_error(too_large, piece) == "rt::http_get: the header section is over 64 KiB");
        }
    }

    TEST_CASE("a head whose lines end in a bare LF is read at once, not refused after the close") {
        rt::HttpResponse response = head_only("HTTP/1.1 204 No Content\nX-A: 1\r\nX-B: 2\n\n", 3);
        CHECK(response.header("X-A") == "1");
        CHECK(response.header("X-B") == "2");
    }

    TEST_CASE("a status code outside 100-599 is an error, and so is an unasked-for 101") {
        CHECK(head_error("HTTP/1.1 600 Too Far\r\n\r\n") == "rt::http_get: status code 600 is not in 100-599");
        CHECK(head_error("HTTP/1.1 099 Too Low\r\n\r\n") == "rt::http_get: status code 99 is not in 100-599");
        CHECK(head_error("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n") ==
              "rt::http_get: the server switched protocols (101), which this client never asks for");
        CHECK(head_error("HTTP/1.1 200 O\rK\r\n\r\n") == "rt::http_get: malformed status line: 'HTTP/1.1 200 O?K'");
    }
}
