// The runtime as it stands at the end of chapter 03 (sleep): one include for all of it.
#pragma once

#include "arc.hpp"
#include "arc_waker.hpp"
#include "block_on.hpp"
#include "countdown.hpp"
#include "deadline.hpp"
#include "future.hpp"
#include "join.hpp"
#include "parker.hpp"
#include "poll.hpp"
#include "ready.hpp"
#include "sleep.hpp"
#include "then.hpp"
#include "thread_sleep.hpp"
#include "timer.hpp"
#include "todo.hpp"
#include "waker.hpp"
