#include "parker.hpp"

#include "todo.hpp"

namespace rt {

void Parker::park() const {
    // BEGIN EXERCISE ex1: wait for the token, then take it
    rt::todo("ex1: wait for the token, then take it");
    // END EXERCISE ex1
}

void Parker::unpark() const {
    // BEGIN EXERCISE ex1: make the token present and wake the parked thread
    rt::todo("ex1: make the token present and wake the parked thread");
    // END EXERCISE ex1
}

void Parker::simulate_spurious_wakeup() const { condvar_.notify_all(); }

}  // namespace rt
