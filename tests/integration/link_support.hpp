// tests/integration/link_support.hpp — helpers of the link / veth / address / route tests.
//
// ip_in(ns, {...}) runs iproute2's `ip ARGS` inside a namespace for cross-checks (nullopt when the
// ip binary is missing or is not iproute2, e.g. busybox in the VM: callers then skip the check).
// caught(fn) runs fn and returns the nsnet::Error it threw (errno 0 if none), so a test can check
// both the errno and that the message names the object. no_dad(ns, dev) turns IPv6 duplicate
// address detection off so addresses are usable at once (wait_addresses_ready() then waits for the
// kernel to finish them). Every namespace a test makes comes from
// support.hpp's unique_name() and is an owned Netns: removed at scope exit, also on failure.
#pragma once

#include <doctest/doctest.h>

#include <linux/if_addr.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nsnet/error.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "support.hpp"

namespace nsnet::test {

// stdout of `ip ARGS...` run inside ns, or nullopt without iproute2 or when ip failed.
inline std::optional<std::string> ip_in(const NetnsRef& ns, const std::vector<std::string>& args) {
    static const bool have_iproute2 = [] {
        try {
            // Through sh so that busybox's usage text (its answer to -V) does not reach the console.
            Process p = NetnsRef::current().spawn({"sh", "-c", "ip -V 2>&1"}, {.capture_output = true, .remount_sys = false});
            std::string out = p.read_output();
            return p.wait() == 0 && out.find("iproute2") != std::string::npos;
        } catch (const Error&) {
            return false;
        }
    }();
    if (!have_iproute2) return std::nullopt;
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p = ns.spawn(argv, {.capture_output = true});
    std::string out = p.read_output();
    if (p.wait() != 0) return std::nullopt;
    return out;
}

// What fn threw: errno, what(), the kernel's extended-ack text. errnum 0 when it did not throw.
struct Caught {
    int errnum = 0;
    std::string what{};
    std::string kernel{};
    bool invalid_argument = false;  // an nsnet::InvalidArgument (rejected before the kernel saw it)
};
template <class Fn>
Caught caught(Fn&& fn) {
    try {
        fn();
    } catch (const InvalidArgument& e) {
        return {e.errnum(), e.what(), e.kernel_message(), true};
    } catch (const Error& e) {
        return {e.errnum(), e.what(), e.kernel_message(), false};
    }
    return {};
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Names of the links of ns, as nsnet's own dump reports them.
inline std::set<std::string> link_names(const NetnsRef& ns) {
    std::set<std::string> names;
    for (const auto& l : Link::list(ns)) names.insert(l.name);
    return names;
}

// sysctl net.ipv6.conf.DEV.accept_dad=0 (and .default) inside ns.
inline void no_dad(const NetnsRef& ns, const std::string& dev = "default") {
    ns.run([&] {
        for (const std::string& d : {std::string("default"), dev}) {
            std::ofstream f("/proc/sys/net/ipv6/conf/" + d + "/accept_dad");
            f << "0\n";
        }
    });
}

// Waits (at most `timeout`) until no IPv6 address of `link` is tentative, i.e. usable as a source.
// Even without DAD the kernel finishes an address asynchronously after the link comes up.
inline bool wait_addresses_ready(const Link& link, std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool tentative = false;
        for (const auto& a : link.addresses()) tentative |= (a.flags & IFA_F_TENTATIVE) != 0;
        if (!tentative) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace nsnet::test
