// The runtime as it stands at the end of chapter 01 (block-on): one include for all of it.
#pragma once

#include "block_on.hpp"
#include "countdown.hpp"
#include "deadline.hpp"
#include "future.hpp"
#include "poll.hpp"
#include "ready.hpp"
#include "then.hpp"
#include "todo.hpp"
#include "waker.hpp"
