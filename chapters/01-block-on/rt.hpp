// The runtime as it stands at the end of chapter 01 (block-on): one include for all of it.
#pragma once

// core: futures, wakers, and futures built from futures
#include "todo.hpp"
#include "report.hpp"
#include "poll.hpp"
#include "future.hpp"
#include "waker.hpp"
#include "ready.hpp"
#include "then.hpp"
// blocking: parking a thread until a wake
#include "block_on.hpp"
// teaching props, not the runtime: futures and tools the examples and tests use
#include "props/countdown.hpp"
#include "props/deadline.hpp"
