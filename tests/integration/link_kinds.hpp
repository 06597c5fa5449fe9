// tests/integration/link_kinds.hpp — helpers shared by the bridge / macvlan / ipvlan / vlan tests.
//
// Uplink: the labs' "physical NIC on a switch" in miniature — a namespace `sw` holding a bridge
// `switch` with port `port1`, the far end of a veth whose near end `ens41` sits in a host
// namespace. Macvlan/ipvlan/vlan tests stack their links on ens41; the switch port is where VEPA
// reflection (hairpin) is switched on. ip_detail() runs `ip -d link show` inside a namespace (when
// the ip binary exists) to cross-check what nsnet reads back with what iproute2 prints.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "nsnet/bridge.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

namespace nsnet::test {

// `ip -d link show dev NAME` inside ns, or nullopt when there is no ip binary.
inline std::optional<std::string> ip_detail(const NetnsRef& ns, const std::string& dev) {
    try {
        Process p = ns.spawn({"ip", "-d", "link", "show", "dev", dev}, {.capture_output = true});
        std::string out = p.read_output();
        if (p.wait() != 0) return std::nullopt;
        return out;
    } catch (const Error&) {
        return std::nullopt;  // no ip binary (e.g. the VM's initramfs)
    }
}

// Waits until the link reports operstate UP (carrier settled), at most `timeout`.
inline bool wait_up(const Link& link, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (link.info().operstate == 6 /* IF_OPER_UP */) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// A short ping for "must not answer" checks, and a normal one for "must answer".
inline PingResult ping_fails(const NetnsRef& from, std::string_view to) {
    return ping(from, to, {.count = 2, .interval = std::chrono::milliseconds(100), .timeout = std::chrono::milliseconds(300)});
}
inline PingResult ping_ok(const NetnsRef& from, std::string_view to) {
    return ping(from, to, {.count = 3, .interval = std::chrono::milliseconds(50), .timeout = std::chrono::milliseconds(1000)});
}

struct Uplink {
    Netns sw{};      // the external switch
    Netns host{};    // where ens41 lives
    Bridge bridge{};
    VethPair cable{};  // first: port1 (in sw), second: ens41 (in host)

    const Link& port1() const { return cable.first(); }
    const Link& ens41() const { return cable.second(); }

    // The switch and the cable, both up. `switch_address` (e.g. "10.40.1.254/24") goes on the bridge.
    static Uplink make(const std::string& switch_address = {}) {
        Uplink u;
        u.sw = Netns::create(unique_name("sw"));
        u.host = Netns::create(unique_name("h"));
        u.bridge = Bridge::create(u.sw, {.name = "switch"});
        u.cable = VethPair::create(u.sw, {.name = "port1", .peer = {.name = "ens41", .netns = u.host}});
        u.bridge.add_port(u.port1());
        if (!switch_address.empty()) u.bridge.add_address(switch_address);
        u.bridge.up();
        u.port1().up();
        u.ens41().up();
        Link::loopback(u.sw).up();
        Link::loopback(u.host).up();
        // Carrier reaches the bridge asynchronously (linkwatch): wait until the cable and the
        // switch are operationally up, so a test's first packet is not lost.
        CHECK(wait_up(u.port1()));
        CHECK(wait_up(u.ens41()));
        CHECK(wait_up(u.bridge));
        return u;
    }
};

}  // namespace nsnet::test
