// available(): whether the kernel lets this process use io_uring, probed once.
#include <errno.h>
#include <liburing.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <string>

#include "uring.hpp"

namespace rt::detail {

std::string probe_io_uring() {
    if (const char* off = std::getenv("RT_NO_URING"); off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0)
        return "RT_NO_URING is set (io_uring is treated as refused, to try the fallback)";
    io_uring ring{};
    if (int failed = io_uring_queue_init(2, &ring, 0); failed < 0) {
        int error = -failed;
        if (error == ENOSYS) return "io_uring_setup: no such system call (a kernel older than 5.1, or built without it)";
        if (error == EPERM)
            return "io_uring_setup: operation not permitted (kernel.io_uring_disabled, or a seccomp filter, as "
                   "many containers have)";
        return std::string("io_uring_setup: ") + std::strerror(error);
    }
    std::string missing;
    if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
        const std::pair<int, const char*> needed[] = {{IORING_OP_CONNECT, "connect"},
                                                      {IORING_OP_RECV, "recv"},
                                                      {IORING_OP_SEND, "send"},
                                                      {IORING_OP_ASYNC_CANCEL, "async cancel"}};
        for (auto [opcode, name] : needed)
            if (!io_uring_opcode_supported(probe, opcode)) missing += std::string(missing.empty() ? "" : ", ") + name;
        io_uring_free_probe(probe);
    } else {
        missing = "the opcode probe itself (a kernel older than 5.6)";
    }
    io_uring_queue_exit(&ring);
    if (!missing.empty()) return "io_uring lacks " + missing;
    return "";
}

}  // namespace rt::detail

namespace rt::uring {

namespace {
// Probed once, at the first question, and said once.
const std::string& reason() {
    static const std::string why = [] {
        std::string found = detail::probe_io_uring();
        if (!found.empty()) std::fprintf(stderr, "rt::uring: io_uring is not available: %s\n", found.c_str());
        return found;
    }();
    return why;
}
}  // namespace

bool available() { return reason().empty(); }
const std::string& unavailable_reason() { return reason(); }

}  // namespace rt::uring
