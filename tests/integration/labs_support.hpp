// tests/integration/labs_support.hpp — finding and starting the `labs` driver, for the tests that run
// it as a child process (labs_test.cpp, signals_test.cpp).
#pragma once

#include <doctest/doctest.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace nsnet::test {

// The lab driver: $NSNET_LABS_BINARY, else next to this binary or in the build tree's examples/,
// else (tests/vm/run puts each binary in a directory of its own: /nsnet/1/integration-tests,
// /nsnet/2/labs) in a sibling directory. "" when there is none.
inline std::string labs_binary() {
    auto executable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
    if (const char* env = std::getenv("NSNET_LABS_BINARY")) return executable(env) ? env : "";
    char self[PATH_MAX] = {};
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return "";
    std::string dir(self, static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/labs", dir + "/../../examples/labs"})
        if (executable(candidate)) return candidate;
    std::string parent = dir.substr(0, dir.rfind('/'));
    std::string found;
    if (DIR* d = ::opendir(parent.empty() ? "/" : parent.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string candidate = parent + "/" + e->d_name + "/labs";
            if (e->d_name[0] != '.' && executable(candidate)) found = candidate;
        }
        ::closedir(d);
    }
    return found;
}

// A started `labs ARGS...`: its pid, and the read end of a pipe carrying its stdout and stderr.
struct StartedLabs {
    pid_t pid = -1;
    int output_fd = -1;
};

inline StartedLabs start_labs(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {labs_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    StartedLabs started;
    int rc = ::posix_spawn(&started.pid, cargs[0], &actions, nullptr, cargs.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    started.output_fd = fds[0];
    if (rc != 0) ::close(fds[0]);
    REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
    return started;
}

}  // namespace nsnet::test
