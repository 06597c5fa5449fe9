// Unit tests of include/nsnet/detail/thread_netns.hpp's fork support (no privileges): the fork
// generation, ProcessOwned, the fork-safe lock, and (as root only) a namespace's cached rtnetlink
// socket used by parent and child at once: read-only dumps of the caller's own namespace.
// Children report through their exit status and leave with _exit; every wait has a deadline, so a
// hang fails the test instead of hanging the run.
#include "nsnet/detail/thread_netns.hpp"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "../../support/system.hpp"

using nsnet::test::wait_for;

TEST_CASE("fork_generation: a child runs with its parent's generation + 1; ProcessOwned is false there") {
    using nsnet::detail::ProcessOwned;
    const std::uint64_t parent = nsnet::detail::fork_generation();
    CHECK(parent >= 1);
    ProcessOwned owned = true;
    ProcessOwned not_owned{};
    ProcessOwned copy = owned;
    CHECK(owned);
    CHECK(copy);
    CHECK_FALSE(not_owned);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        if (nsnet::detail::fork_generation() != parent + 1) code = 1;
        else if (owned || copy) code = 2;
        else {
            ProcessOwned mine = true;  // set in the child: the child's
            if (!mine) code = 3;
        }
        ::_exit(code);
    }
    CHECK(wait_for(pid, std::chrono::seconds(10)) == 0);
    CHECK(nsnet::detail::fork_generation() == parent);
    CHECK(owned);
}

TEST_CASE("fork_safe_mutex: a fork waits for its holder, so the child never inherits it locked") {
    std::atomic<bool> held{false};
    std::thread holder([&] {
        std::lock_guard lock(nsnet::detail::fork_safe_mutex());
        held = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    });
    while (!held) std::this_thread::yield();
    pid_t pid = ::fork();  // the prepare handler waits for `holder` to let go
    if (pid == 0) {
        // Locking would hang forever if the child had inherited it locked.
        if (!nsnet::detail::fork_safe_mutex().try_lock()) ::_exit(1);
        nsnet::detail::fork_safe_mutex().unlock();
        ::_exit(0);
    }
    holder.join();
    REQUIRE(pid > 0);
    CHECK(wait_for(pid, std::chrono::seconds(10)) == 0);
}

TEST_CASE("NetnsRef::run_inside: on the calling thread inside the namespace, on a thread of its own outside it") {
    const nsnet::NetnsRef here = nsnet::NetnsRef::current();
    CHECK(here.holds_calling_thread());
    CHECK_FALSE(nsnet::NetnsRef{}.holds_calling_thread());
    const auto caller = std::this_thread::get_id();
    CHECK(here.run_inside([&] { return std::this_thread::get_id(); }) == caller);
    if (::geteuid() == 0)  // run() enters the namespace (setns) on a thread of its own, even this one
        CHECK(here.run([&] { return std::this_thread::get_id(); }) != caller);
}

TEST_CASE("a namespace's cached socket: parent and child dump through it at once after fork") {
    // The caller's own namespace: its socket is opened on the calling thread (no setns, so no
    // privilege needed). tests/integration/fork_test.cpp covers other namespaces as root.
    const nsnet::NetnsRef ns = nsnet::NetnsRef::current();
    REQUIRE_FALSE(nsnet::Link::list(ns).empty());  // caches the socket before the fork
    for (int round = 0; round < 5; ++round) {
        CAPTURE(round);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int code = 0;
            try {
                for (int i = 0; i < 100 && code == 0; ++i)
                    if (nsnet::Link::list(ns).empty()) code = 1;
            } catch (...) {
                code = 2;
            }
            ::_exit(code);
        }
        // The parent's dumps run on a thread, so that a hang there is also bounded by a deadline
        // (a hung thread is left behind, detached, and the test fails).
        auto parent_code = std::make_shared<std::atomic<int>>(-1);
        std::thread parent([ns, parent_code] {
            int code = 0;
            try {
                for (int i = 0; i < 100 && code == 0; ++i)
                    if (nsnet::Link::list(ns).empty()) code = 1;
            } catch (...) {
                code = 2;
            }
            *parent_code = code;
        });
        CHECK(wait_for(pid, std::chrono::seconds(10)) == 0);
        for (int i = 0; i < 1000 && *parent_code < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (*parent_code < 0) {
            parent.detach();
            FAIL("the parent's dumps hung");
        }
        parent.join();
        REQUIRE(*parent_code == 0);
    }
}
