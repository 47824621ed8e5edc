// Tuning: chapter 11's optimisations, each one switchable, so that one run
// of a program can measure the runtime with and without it.
#pragma once

namespace rt {

// What an Executor uses, fixed when it is made. All on by default; the
// environment variable RT_FAST, read once, can turn them off:
// RT_FAST=noslab,nowheel,nolocal (or RT_FAST=none) gives chapter 10's runtime.
// ANCHOR: tuning
struct Tuning {
    bool task_slab = true;    // Executor(): tasks come from its slab, not from new and delete
    bool timer_wheel = true;  // sleeps wait in a timer wheel, not in chapter 03's heap
    bool local_wake = true;   // Executor(): a task waking itself during its poll costs no atomic operation

    // The defaults, as RT_FAST changes them (read at the first call).
    static Tuning from_environment();
    // Parses RT_FAST's value: words separated by commas (tests call it).
    static Tuning parse(const char* value);
};
// ANCHOR_END: tuning

}  // namespace rt
