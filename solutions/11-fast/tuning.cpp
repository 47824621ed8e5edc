#include "tuning.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rt {

Tuning Tuning::parse(const char* value) {
    Tuning tuning;
    if (value == nullptr) return tuning;
    std::string_view rest(value);
    while (!rest.empty()) {
        std::size_t comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (word == "noslab") tuning.task_slab = false;
        else if (word == "nowheel") tuning.timer_wheel = false;
        else if (word == "nolocal") tuning.local_wake = false;
        else if (word == "none") tuning = Tuning{false, false, false};
        else if (word == "all") tuning = Tuning{};
        else if (!word.empty())
            throw std::invalid_argument("RT_FAST: unknown word '" + std::string(word) +
                                        "' (known: noslab, nowheel, nolocal, none, all)");
    }
    return tuning;
}

Tuning Tuning::from_environment() {
    static const Tuning read = parse(std::getenv("RT_FAST"));
    return read;
}

}  // namespace rt
