// The runtime as it stands at the end of chapter 02 (parking-waker): one include for all of it.
#pragma once

#include "arc.hpp"
#include "arc_waker.hpp"
#include "block_on.hpp"
#include "countdown.hpp"
#include "deadline.hpp"
#include "future.hpp"
#include "parker.hpp"
#include "poll.hpp"
#include "ready.hpp"
#include "then.hpp"
#include "thread_sleep.hpp"
#include "todo.hpp"
#include "waker.hpp"
