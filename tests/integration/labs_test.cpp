// Integration tests of the lab driver (examples/labs, the `labs` binary) as a black box: a normal
// run of the netns and loopback labs, SIGINT/SIGTERM while the topology exists (once and twice),
// SIGKILL followed by `labs --cleanup`, --keep, and a namespace name that exists already. After
// each, no namespace with the run's prefix may remain (except the one the test made itself).
//
// The binary is found through NSNET_LABS_BINARY, next to this test binary, at ../../examples/labs
// relative to it (the Meson build tree), or in a sibling directory (tests/vm/run's /nsnet/N/);
// without it the tests are skipped.
#include <doctest/doctest.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "labs_support.hpp"
#include "support.hpp"

using namespace std::chrono_literals;

namespace {

using nsnet::test::labs_binary;

bool exists(const std::string& netns) {
    struct stat st {};
    return ::stat(("/run/netns/" + netns).c_str(), &st) == 0;
}

// Names in /run/netns starting with prefix.
std::vector<std::string> with_prefix(const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& n : nsnet::Netns::list())
        if (n.rfind(prefix, 0) == 0) out.push_back(n);
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + " ";
    return s;
}

// A running `labs` with its stdout+stderr in a pipe.
class LabsRun {
public:
    explicit LabsRun(const std::vector<std::string>& args) {
        auto started = nsnet::test::start_labs(args);
        pid_ = started.pid;
        out_fd_ = started.output_fd;
    }
    ~LabsRun() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        if (out_fd_ >= 0) ::close(out_fd_);
    }
    pid_t pid() const { return pid_; }
    const std::string& output() const { return output_; }

    // Reads output until `needle` appeared (true) or the process closed its output / timeout.
    bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (output_.find(needle) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
        }
        return true;
    }
    // Reads all output, waits for the exit; returns the exit status (128+N for signal N).
    int finish(std::chrono::milliseconds timeout = 120s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                FAIL("labs did not end in time; output so far:\n" << output_);
                return -1;
            }
            if (!read_some(static_cast<int>(left.count()))) break;
        }
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    void signal(int sig) const { ::kill(pid_, sig); }

private:
    bool read_some(int timeout_ms) {
        pollfd p{out_fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        char buf[4096];
        ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n <= 0) return false;
        output_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::string output_;
};

// A prefix of this test run (the leak check in main.cpp recognises nst<pid>-).
std::string prefix(const char* tag) { return nsnet::test::name_prefix() + tag + "-"; }

}  // namespace

TEST_CASE("labs netns loopback: every check PASS, exit 0, nothing left behind") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    std::string p = prefix("lr");
    LabsRun run({"netns", "loopback", "--prefix", p});
    int rc = run.finish();
    const std::string& out = run.output();
    INFO(out);
    CHECK(rc == 0);
    CHECK(out.find("PASS  fresh namespace n1 has only lo, and it is down") != std::string::npos);
    CHECK(out.find("PASS  n1 -> 10.10.10.2: 4 sent, 4 received  (4 sent, 4 received, 0% loss") != std::string::npos);
    CHECK(out.find("PASS  lo down: 127.0.0.1 unreachable") != std::string::npos);
    CHECK(out.find("PASS  lo up: 127.124.231.89 answers") != std::string::npos);
    CHECK(out.find("$ ip netns exec " + p + "n1 ip a") != std::string::npos);
    CHECK(out.find("=== 6 passed, 0 failed, 0 skipped, 0 lab error(s)") != std::string::npos);
    CHECK(out.find("\nFAIL  ") == std::string::npos);
    CHECK(with_prefix(p).empty());
}

TEST_CASE("labs: SIGINT while a lab's topology exists removes all of it") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    SUBCASE("in the middle of a lab (at its first check), then the remaining labs are not run") {
        std::string p = prefix("li");
        LabsRun run({"netns", "loopback", "--prefix", p, "--pause-after-setup"});
        REQUIRE_MESSAGE(run.wait_for("PAUSED"), run.output());
        CHECK(exists(p + "n1"));
        run.signal(SIGINT);
        int rc = run.finish();
        INFO(run.output());
        CHECK(rc == 130);
        CHECK(run.output().find("INTERRUPTED") != std::string::npos);
        CHECK(run.output().find("loopback  INTERRUPTED  not run") != std::string::npos);
        CHECK_MESSAGE(with_prefix(p).empty(), "left behind: " << joined(with_prefix(p)));
    }
    SUBCASE("after the checks, with both namespaces and the veth pair in place; SIGTERM twice") {
        std::string p = prefix("lt");
        LabsRun run({"netns", "--prefix", p, "--pause-before-cleanup"});
        REQUIRE_MESSAGE(run.wait_for("PAUSED"), run.output());
        CHECK(exists(p + "n1"));
        CHECK(exists(p + "n2"));
        run.signal(SIGTERM);
        run.signal(SIGTERM);  // a second signal must not leave anything half-removed
        int rc = run.finish();
        INFO(run.output());
        CHECK(rc == 143);
        CHECK_MESSAGE(with_prefix(p).empty(), "left behind: " << joined(with_prefix(p)));
    }
}

TEST_CASE("labs: after SIGKILL, `labs --cleanup PREFIX` removes what the run left") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    std::string p = prefix("lk");
    {
        LabsRun run({"netns", "--prefix", p, "--pause-before-cleanup"});
        REQUIRE_MESSAGE(run.wait_for("PAUSED"), run.output());
        run.signal(SIGKILL);
        CHECK(run.finish() == 128 + SIGKILL);
    }
    CHECK(with_prefix(p).size() == 2);  // SIGKILL cannot be caught: n1 and n2 remain
    LabsRun cleanup({"--cleanup", p});
    CHECK(cleanup.finish() == 0);
    INFO(cleanup.output());
    CHECK(cleanup.output().find("removed namespace " + p + "n1") != std::string::npos);
    CHECK(with_prefix(p).empty());

    LabsRun refuse({"--cleanup", ""});
    CHECK(refuse.finish() == 2);  // an empty prefix would mean every namespace
}

TEST_CASE("labs --keep leaves the topology and says how to remove it") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    std::string p = prefix("lp");
    LabsRun run({"netns", "--keep", "--prefix", p});
    CHECK(run.finish() == 0);
    INFO(run.output());
    CHECK(exists(p + "n1"));
    CHECK(exists(p + "n2"));
    // The veth pair stayed too.
    auto n1 = nsnet::NetnsRef::open(p + "n1");
    CHECK(nsnet::Link::find(n1, "veth-n1").has_value());
    CHECK(run.output().find("--cleanup " + p) != std::string::npos);
    CHECK(run.output().find("ip netns del " + p + "n1") != std::string::npos);
    LabsRun cleanup({"--cleanup", p});
    CHECK(cleanup.finish() == 0);
    CHECK(with_prefix(p).empty());
}

TEST_CASE("labs: a namespace name that exists already is an error naming it, and is left alone") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    std::string p = prefix("le");
    auto mine = nsnet::Netns::create(p + "n1");  // not the lab's: it must survive the run
    LabsRun run({"netns", "loopback", "--prefix", p});
    int rc = run.finish();
    INFO(run.output());
    CHECK(rc == 1);
    CHECK(run.output().find("ERROR  lab threw  (create network namespace '" + p + "n1': File exists") != std::string::npos);
    CHECK(run.output().find("PASS  lo up: 127.0.0.1 answers") != std::string::npos);  // the next lab still ran
    CHECK(exists(p + "n1"));
    auto left = with_prefix(p);
    CHECK(left == std::vector<std::string>{p + "n1"});
}

TEST_CASE("labs: usage errors") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    LabsRun unknown({"no-such-lab"});
    CHECK(unknown.finish() == 2);
    CHECK(unknown.output().find("no lab 'no-such-lab'") != std::string::npos);
    LabsRun list({"--list"});
    CHECK(list.finish() == 0);
    CHECK(list.output().find("netns") != std::string::npos);
    CHECK(list.output().find("loopback") != std::string::npos);
}
