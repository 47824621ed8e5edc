// Running one test case again in a child process, to test what happens when
// a process ends: static objects are destroyed then, in an order no test can
// watch from inside. The child is this test binary, run for that one test
// case with RT_TEST_CHILD=1 in its environment; the test case asks
// in_child() to know which side it is on.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace test {

inline bool in_child() { return std::getenv("RT_TEST_CHILD") != nullptr; }

struct ChildResult {
    int status = -1;     // as waitpid gives it
    std::string output;  // stdout and stderr, interleaved
    bool timed_out = false;

    // Ran to the end, exit code 0: no failed check, no sanitizer report, no crash.
    bool ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

    // How it ended, then what it printed: for a failed check's message.
    std::string report() const {
        std::string how = timed_out             ? "it timed out and was killed"
                          : WIFEXITED(status)   ? "it exited with code " + std::to_string(WEXITSTATUS(status))
                          : WIFSIGNALED(status) ? "it was killed by signal " + std::to_string(WTERMSIG(status))
                                                : "it ended oddly";
        return "the child process: " + how + "; its output:\n" + output;
    }
};

// Runs the test case named `name` (no commas: doctest splits filters on
// them) in a child; kills it after `limit`.
inline ChildResult run_in_child(const std::string& name, std::chrono::seconds limit = std::chrono::seconds(60)) {
    ChildResult result;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        result.output = "pipe2 failed";
        return result;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    std::string exe = "/proc/self/exe", filter = "--test-case=" + name;
    std::vector<char*> argv{exe.data(), filter.data(), nullptr};
    std::string flag = "RT_TEST_CHILD=1";
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    envp.push_back(flag.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    int spawned = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
        ::close(pipe_fds[0]);
        result.output = "posix_spawn failed";
        return result;
    }
    auto until = std::chrono::steady_clock::now() + limit;
    char buffer[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd readable{pipe_fds[0], POLLIN, 0};
        int ready = left.count() <= 0 ? 0 : ::poll(&readable, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (got <= 0) break;  // end of output: the child has ended (or closed both)
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    ::waitpid(pid, &result.status, 0);
    return result;
}

}  // namespace test
