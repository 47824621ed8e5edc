// The runtime as it stands at the end of chapter 05 (epoll-reactor): one include for all of it.
#pragma once

// core: futures, wakers, and futures built from futures
#include "todo.hpp"
#include "report.hpp"
#include "poll.hpp"
#include "future.hpp"
#include "waker.hpp"
#include "ready.hpp"
#include "then.hpp"
#include "clock.hpp"
#include "join.hpp"
// blocking: parking a thread until a wake
#include "parker.hpp"
#include "arc.hpp"
#include "arc_waker.hpp"
#include "block_on.hpp"
// time: one timer thread and sleep
#include "timer.hpp"
#include "sleep.hpp"
// tasks: the executor
#include "trace.hpp"
#include "join_handle.hpp"
#include "executor.hpp"
// I/O: system calls, the epoll reactor, TCP
#include "sys.hpp"
#include "reactor.hpp"
#include "tcp_stream.hpp"
// HTTP: the response parser and http_get
#include "http.hpp"
#include "http_get.hpp"
// teaching props, not the runtime: futures and tools the examples and tests use
#include "props/countdown.hpp"
#include "props/deadline.hpp"
#include "props/thread_sleep.hpp"
