#include "todo.hpp"

namespace rt {

NotImplemented::NotImplemented(std::string_view what)
    : message_("not yet implemented: " + std::string(what)) {}

const char* NotImplemented::what() const noexcept { return message_.c_str(); }

void todo(std::string_view what) { throw NotImplemented(what); }

}  // namespace rt
