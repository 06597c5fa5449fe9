// tests/support/system.hpp — helpers shared by unit and integration tests (included by relative
// path: "../support/system.hpp"): child processes with a deadline, so that a hang in a child fails
// the test instead of hanging the run (children report through their exit status and leave with
// _exit, never through doctest); whether a path exists; where a named namespace is mounted.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "nsnet/netns.hpp"

namespace nsnet::test {

// What wait_for returns for a child it had to kill.
inline constexpr int timed_out = -1;

// Waits up to `limit` for `pid` and returns its exit status (128+signal if it was killed by one,
// 255 if waiting failed), or timed_out after killing it and its process group (run_watched gives
// each child its own).
inline int wait_for(pid_t pid, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0 && errno != EINTR) return 255;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            return timed_out;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

// Runs body() in a child process (its own process group, so that its children die with it on a
// timeout) and returns body()'s result as the exit status, 100 if it threw, 101 if fork failed,
// or timed_out.
inline int run_watched(std::chrono::milliseconds limit, const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid < 0) return 101;
    if (pid == 0) {
        ::setpgid(0, 0);
        int code = 100;
        try {
            code = body();
        } catch (...) {
        }
        ::_exit(code);
    }
    ::setpgid(pid, pid);  // also from here: no race with a kill before the child ran setpgid
    return wait_for(pid, limit);
}

// Whether `path` exists (stat succeeds).
inline bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// /run/netns/NAME: where the named namespace NAME is mounted.
inline std::string netns_path(const std::string& name) { return std::string(nsnet::netns_run_dir) + "/" + name; }

}  // namespace nsnet::test
