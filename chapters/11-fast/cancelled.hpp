// Cancelled: what awaiting the JoinHandle of an aborted task throws.
#pragma once

#include <stdexcept>

namespace rt {

// The task was aborted (JoinHandle::abort) before it completed: its future
// was destroyed without finishing, and there is no output.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("rt::JoinHandle: the task was aborted before it completed") {}
};

}  // namespace rt
