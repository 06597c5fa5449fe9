// Signals (root): the `labs` driver interrupted at random moments.
//  - SIGINT or SIGTERM at NSNET_SIGNAL_RUNS (default 10) random moments of the docker-bridge lab
//    (6 namespaces, bridges, veths, NAT: the largest setup) — while namespaces are being created,
//    in the middle of its links and rules, during its checks, or while it is already removing
//    them: afterwards no namespace or /run/netns mount with the run's prefix may remain.
//  - SIGKILL at random moments: it cannot be caught, so things remain; but only namespaces with
//    the run's prefix (nothing in the test's own namespace), and `labs --cleanup PREFIX` removes
//    them completely.
// The delays come from a seed printed with the results (NSNET_SIGNAL_SEED=N repeats a run).
//
// The binary is found through NSNET_LABS_BINARY, next to this test binary, or at
// ../../examples/labs relative to it (the Meson build tree); without it the tests are skipped.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/netns.hpp"
#include "labs_support.hpp"
#include "state_support.hpp"
#include "support.hpp"

using namespace std::chrono_literals;

namespace {

using nsnet::test::labs_binary;

// A running `labs` whose stdout+stderr are collected by a reader thread.
class Labs {
public:
    explicit Labs(const std::vector<std::string>& args) {
        auto started = nsnet::test::start_labs(args);
        pid_ = started.pid;
        reader_ = std::thread([this, fd = started.output_fd] {
            char buf[4096];
            for (;;) {
                ssize_t n = ::read(fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                output_.append(buf, static_cast<std::size_t>(n));
            }
            ::close(fd);
        });
    }
    ~Labs() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        if (reader_.joinable()) reader_.join();
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    // Waits for the exit (killing it after `timeout`); 128+N for signal N.
    int finish(std::chrono::milliseconds timeout = 120s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        int st = 0;
        for (;;) {
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) break;
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                timed_out_ = true;
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        pid_ = -1;
        reader_.join();
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    bool timed_out() const { return timed_out_; }
    const std::string& output() const { return output_; }  // complete after finish()

private:
    pid_t pid_ = -1;
    std::thread reader_;
    std::string output_;
    bool timed_out_ = false;
};

unsigned seed() {
    if (const char* s = std::getenv("NSNET_SIGNAL_SEED")) return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    return static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
}

int runs() {
    const char* v = std::getenv("NSNET_SIGNAL_RUNS");
    int n = v ? std::atoi(v) : 0;
    return n > 0 ? n : 10;
}

}  // namespace

TEST_CASE("signals: docker-bridge interrupted by SIGINT/SIGTERM at random moments removes everything it created") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    const unsigned s = seed();
    std::mt19937 rng(s);
    // Half the delays fall in 0..400 ms (the process starting, its six namespaces, links, addresses
    // and NAT rules being made: all within ~300 ms here), half in 0..2.5 s (also its checks, while
    // servers run; the whole lab takes a few seconds).
    std::uniform_int_distribution<int> short_ms(0, 400), long_ms(0, 2500);
    auto delay_ms = [&](std::mt19937& r) { return r() % 2 ? short_ms(r) : long_ms(r); };
    const auto start_links = nsnet::test::starting_links();
    std::string report;
    int interrupted = 0;
    for (int k = 0; k < runs(); ++k) {
        const std::string prefix = nsnet::test::name_prefix() + "sg" + std::to_string(k) + "-";
        const int sig = k % 2 ? SIGTERM : SIGINT;
        const int delay = delay_ms(rng);
        Labs run({"docker-bridge", "--prefix", prefix});
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        run.signal(sig);
        int rc = run.finish();
        CAPTURE(k);
        CAPTURE(delay);
        INFO("seed " << s << "; output:\n" << run.output());
        CHECK_FALSE(run.timed_out());
        // Interrupted (128+N), or, with a late signal, a lab that had already finished.
        CHECK((rc == 128 + sig || rc == 0 || rc == 1));
        if (rc == 128 + sig) ++interrupted;
        auto left = nsnet::test::own_leftovers(prefix);
        CHECK_MESSAGE(left.empty(), "left behind: " << nsnet::test::joined(left));
        report += " " + std::to_string(delay) + "ms" + (sig == SIGINT ? "/INT" : "/TERM") + "->" + std::to_string(rc);
        for (const auto& n : nsnet::Netns::list())
            if (n.rfind(prefix, 0) == 0) nsnet::Netns::remove(n);  // keep later runs clean after a failure
    }
    MESSAGE("seed " << s << ":" << report);
    CHECK(interrupted > 0);
    CHECK(nsnet::test::starting_links() == start_links);
}

TEST_CASE("signals: after SIGKILL at random moments only the run's namespaces remain, and labs --cleanup removes them") {
    if (labs_binary().empty()) NSNET_SKIP("the labs binary was not found (set NSNET_LABS_BINARY)");
    const unsigned s = seed() + 1;
    std::mt19937 rng(s);
    std::uniform_int_distribution<int> short_ms(0, 400), long_ms(0, 2500);
    auto delay_ms = [&](std::mt19937& r) { return r() % 2 ? short_ms(r) : long_ms(r); };
    const auto start_links = nsnet::test::starting_links();
    std::string report;
    for (int k = 0; k < std::max(3, runs() / 2); ++k) {
        const std::string prefix = nsnet::test::name_prefix() + "sk" + std::to_string(k) + "-";
        const int delay = delay_ms(rng);
        {
            Labs run({"docker-bridge", "--prefix", prefix});
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
            run.signal(SIGKILL);
            CHECK(run.finish() == 128 + SIGKILL);
        }
        CAPTURE(k);
        CAPTURE(delay);
        INFO("seed " << s);
        // Nothing outside the run's namespaces: the test's own namespace has its links as before.
        CHECK(nsnet::test::starting_links() == start_links);
        auto left = nsnet::test::own_leftovers(prefix);
        Labs cleanup({"--cleanup", prefix});
        CHECK(cleanup.finish() == 0);
        INFO(cleanup.output());
        auto after = nsnet::test::own_leftovers(prefix);
        CHECK_MESSAGE(after.empty(), "labs --cleanup left: " << nsnet::test::joined(after));
        report += " " + std::to_string(delay) + "ms:" + std::to_string(left.size()) + " left";
    }
    MESSAGE("seed " << s << ": SIGKILL after" << report << "; all removed by labs --cleanup");
}
