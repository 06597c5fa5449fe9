// tests/integration/support.hpp — small helpers shared by the integration tests.
//
// unique_name("ns") -> "nst<pid>-ns<counter>": names for namespaces and interfaces that cannot
// collide with another run, another test, or anything a user made. The same prefix is what the
// leak check in main.cpp recognises as ours. Keep tags short (1-3 characters): interface names
// have at most 15 bytes, and unique_name() fails the test rather than return a longer one.
//
// at_once(n, fn): runs fn(i) on n threads released together (the races of processes that create or
// reuse the same thing at the same moment, as a runtime's parallel CNI calls do); returns each
// thread's exception text ("" when it returned normally).
//
// NSNET_SKIP("reason"): a test that needs something the kernel lacks (a module, a feature)
// prints "SKIP: reason" and returns; the run goes on.
#pragma once

#include <doctest/doctest.h>
#include <net/if.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nsnet::test {

// "nst<pid>-": every name a test run creates starts with it.
inline std::string name_prefix() { return "nst" + std::to_string(::getpid()) + "-"; }

// A fresh name "nst<pid>-<tag><n>" (n counts up per process, from 1), at most 15 bytes so that it
// is also a valid interface name. Thread-safe.
inline std::string unique_name(std::string_view tag) {
    static std::atomic<unsigned> counter{0};
    std::string name = name_prefix() + std::string(tag) + std::to_string(++counter);
    if (name.size() >= IFNAMSIZ)
        throw std::length_error("unique_name(\"" + std::string(tag) + "\") gives '" + name + "' (" +
                                std::to_string(name.size()) + " bytes, interface names allow 15): use a shorter tag");
    return name;
}

// Every thread spins until all have started, so that their first requests meet in the kernel.
template <class Fn>
std::vector<std::string> at_once(int threads, Fn fn) {
    std::vector<std::string> errors(static_cast<std::size_t>(threads));
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
        pool.emplace_back([&, i] {
            ++ready;
            while (ready.load() < threads) std::this_thread::yield();
            try {
                fn(i);
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = std::string("thread ") + std::to_string(i) + ": " + e.what();
            }
        });
    for (auto& t : pool) t.join();
    return errors;
}

}  // namespace nsnet::test

// Prints "SKIP: <reason>" (doctest MESSAGE, so it is attached to the test case) and returns from
// the test case. `reason` may use <<: NSNET_SKIP("no module " << name).
#define NSNET_SKIP(reason)                \
    do {                                  \
        MESSAGE("SKIP: " << reason);      \
        return;                           \
    } while (0)
