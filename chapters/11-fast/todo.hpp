// rt::todo: what an exercise stub calls until the learner writes the code.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace rt {

// Thrown by rt::todo. Its message names the exercise: "not yet implemented: ex2: ...".
//
// It derives from std::exception only, not from std::logic_error or
// std::runtime_error: a test that expects one of those must not mistake an
// unsolved exercise for the error it is waiting for.
class NotImplemented : public std::exception {
public:
    explicit NotImplemented(std::string_view what);
    const char* what() const noexcept override;

private:
    std::string message_;
};

// Marks code still to write. `what` names the exercise, as "exN: ...".
// Never returns, so a stub compiles in a function of any return type.
[[noreturn]] void todo(std::string_view what);

}  // namespace rt
