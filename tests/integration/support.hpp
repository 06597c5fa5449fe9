// tests/integration/support.hpp — small helpers shared by the integration tests.
//
// unique_name("ns") -> "nst<pid>-ns<counter>": names for namespaces and interfaces that cannot
// collide with another run, another test, or anything a user made. The same prefix is what the
// leak check in main.cpp recognises as ours. Keep tags short (1-3 characters): interface names
// have at most 15 bytes, and unique_name() fails the test rather than return a longer one.
//
// NSNET_SKIP("reason"): a test that needs something the kernel lacks (a module, a feature)
// prints "SKIP: reason" and returns; the run goes on.
#pragma once

#include <doctest/doctest.h>
#include <net/if.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <string_view>

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

}  // namespace nsnet::test

// Prints "SKIP: <reason>" (doctest MESSAGE, so it is attached to the test case) and returns from
// the test case. `reason` may use <<: NSNET_SKIP("no module " << name).
#define NSNET_SKIP(reason)                \
    do {                                  \
        MESSAGE("SKIP: " << reason);      \
        return;                           \
    } while (0)
