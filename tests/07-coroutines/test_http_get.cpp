// Exercise 4: http_get as a coroutine. It does what HttpGet does, over the
// same parser and the same TcpStream futures; errors come out as the same
// exceptions.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "props/delay_server.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"

using namespace std::chrono_literals;

namespace {

std::string ok_head(const std::string& framing) { return "HTTP/1.1 200 OK\r\n" + framing + "\r\n"; }

}  // namespace

TEST_SUITE("ex4: http_get as a coroutine") {
    TEST_CASE("GETs a response from the delay server, status and body") {
        rt::DelayServer server;
        rt::HttpResponse response = rt::block_on(rt::http_get(server.url("/5/coroutine")));
        CHECK(response.status == 200);
        CHECK(response.body == "coroutine");
    }

    TEST_CASE("the call connects to nothing: a bad URL throws std::invalid_argument at the first poll") {
        rt::Async<rt::HttpResponse> get = rt::http_get("ftp://example.com/");
        CHECK_THROWS_AS(rt::block_on(std::move(get)), std::invalid_argument);
    }

    TEST_CASE("responses framed by Content-Length, by chunks, and by the end of the connection, sent in pieces") {
        test::ScriptedServer length({test::trickle(ok_head("Content-Length: 6\r\n") + "length")});
        test::ScriptedServer chunked({test::write(ok_head("Transfer-Encoding: chunked\r\n") + "3\r\nchu\r\n"),
                                      test::pause(20ms), test::write("4\r\nnked\r\n0\r\n\r\n")});
        test::ScriptedServer until_close({test::write(ok_head("") + "until "), test::pause(20ms),
                                          test::write("the end"), test::close()});
        CHECK(rt::block_on(rt::http_get(length.url())).body == "length");
        CHECK(rt::block_on(rt::http_get(chunked.url())).body == "chunked");
        CHECK(rt::block_on(rt::http_get(until_close.url())).body == "until the end");
    }

    TEST_CASE("a refused connection is a std::system_error; a response cut short is a std::runtime_error") {
        std::string refused = "http://127.0.0.1:" + std::to_string(test::closed_port()) + "/";
        CHECK_THROWS_AS(rt::block_on(rt::http_get(refused)), std::system_error);
        test::ScriptedServer cut({test::write(ok_head("Content-Length: 10\r\n") + "short"), test::close()});
        CHECK_THROWS_AS(rt::block_on(rt::http_get(cut.url())), std::runtime_error);
    }

    TEST_CASE("ten GETs at once, each a task of its own") {
        rt::DelayServer server;
        rt::Executor executor;
        std::vector<rt::JoinHandle<rt::HttpResponse>> handles;
        for (int i = 0; i < 10; ++i) handles.push_back(executor.spawn(rt::http_get(server.url("/10/" + std::to_string(i)))));
        std::vector<rt::HttpResponse> responses = executor.block_on(rt::join_in_order(std::move(handles)));
        std::string bodies;
        for (const rt::HttpResponse& response : responses) bodies += response.body;
        CHECK(bodies == "0123456789");
    }
}
