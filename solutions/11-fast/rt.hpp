// The runtime as it stands at the end of chapter 11 (fast): one include for all of it.
#pragma once

// core: futures, wakers, futures built from futures, and coroutines that await them
#include "todo.hpp"
#include "report.hpp"
#include "poll.hpp"
#include "future.hpp"
#include "waker.hpp"
#include "ready.hpp"
#include "then.hpp"
#include "frame_pool.hpp"
#include "promise.hpp"
#include "await.hpp"
#include "async.hpp"
#include "clock.hpp"
#include "join.hpp"
#include "arc.hpp"
#include "arc_waker.hpp"
// the loop's parts: system calls, the timer wheel and heap, the epoll reactor, and the
// driver that holds both, woken across threads through an eventfd
#include "sys.hpp"
#include "timer_wheel.hpp"
#include "timer.hpp"
#include "reactor.hpp"
#include "driver.hpp"
#include "loop_signal.hpp"
// tasks: the executor that runs the loop, and block_on on a fresh one
#include "tuning.hpp"
#include "task_slab.hpp"
#include "block_on.hpp"
#include "trace.hpp"
#include "cancelled.hpp"
#include "join_handle.hpp"
#include "budget.hpp"
#include "stress.hpp"
#include "local_queue.hpp"
#include "pool.hpp"
#include "executor.hpp"
// leaf futures, bound to the loop at their first poll: sleep and TCP
#include "sleep.hpp"
#include "tcp_stream.hpp"
// completion-based I/O: the io_uring ring beside epoll, and a stream over it
#include "uring_op.hpp"
#include "uring.hpp"
#include "uring_stream.hpp"
// cancellation and fairness: races, time limits, yielding, and scopes
#include "select.hpp"
#include "timeout.hpp"
#include "yield_now.hpp"
#include "scope.hpp"
// HTTP: the response parser and http_get
#include "http.hpp"
#include "http_get.hpp"
// teaching props, not the runtime: futures and tools the examples and tests use
#include "props/countdown.hpp"
#include "props/deadline.hpp"
#include "props/thread_sleep.hpp"
