// tests/integration/vxlan_support.hpp — hosts joined by an underlay, for the vxlan and fdb tests.
//
// Hosts::pair(): the tutorial's two hosts — namespaces ns1, ns2 and a veth `eth0` created in ns1
// with its peer `eth0` placed directly in ns2 (one request), 172.16.0.10/24 and 172.16.0.20/24, up.
// Hosts::on_switch(n): n hosts whose `eth0` are ports of a bridge `underlay` in a switch namespace,
// 172.16.0.10, .20, .30 ...: an underlay where every host reaches every other (head-end replication).
// Every namespace is an owned Netns with a unique name: removed at scope exit, also on failure, and
// every link in it with it. kind_missing("vxlan") says why the kernel cannot make a link kind ("" if
// it can), for NSNET_SKIP on kernels without the module (the VM matrix runs them for real).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/bridge.hpp"
#include "nsnet/netns.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/vxlan.hpp"
#include "support.hpp"

namespace nsnet::test {

// "" when the kernel creates links of `kind` ("vxlan", "bridge"), else the reason (probed once per
// kind, in a throwaway anonymous namespace).
inline std::string kind_missing(const std::string& kind) {
    static std::mutex m;
    static std::map<std::string, std::string> known;
    std::lock_guard lock(m);
    if (auto it = known.find(kind); it != known.end()) return it->second;
    std::string why{};
    try {
        Netns scratch = Netns::create_anonymous();
        rtnl::LinkCreate c{.name = "probe0", .kind = kind};
        if (kind == "vxlan") c.info_data = [](nl::MessageBuilder& msg) { msg.put_u32(IFLA_VXLAN_ID, 1); };
        auto msg = rtnl::link_new(c);
        scratch.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "create " + kind, "probe0"); });
    } catch (const Error& e) {
        why = "the kernel cannot create '" + kind + "' links: " + e.what();
    }
    known[kind] = why;
    return why;
}

// "172.16.0.10" for host 0, "172.16.0.20" for host 1, ...
inline std::string underlay_ip(std::size_t i) { return "172.16.0." + std::to_string(10 * (i + 1)); }
inline std::string overlay_ip(std::size_t i) { return "172.20.0." + std::to_string(10 * (i + 1)); }

// `ip ARGS` inside ns (stdout), nullopt when there is no iproute2 (the VM's initramfs).
inline std::optional<std::string> run_ip(const NetnsRef& ns, std::vector<std::string> args, const char* tool = "ip") {
    try {
        args.insert(args.begin(), tool);
        Process p = ns.spawn(args, {.capture_output = true});
        std::string out = p.read_output();
        if (p.wait() != 0) return std::nullopt;
        return out;
    } catch (const Error&) {
        return std::nullopt;
    }
}

// Polls until the link's operstate is UP or unknown-but-running (a vxlan reports UNKNOWN).
inline bool wait_running(const Link& link, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (link.info().has_carrier()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

struct Hosts {
    Netns sw{};                    // only for on_switch()
    Bridge underlay{};
    std::vector<Netns> ns{};       // the hosts
    std::vector<VethPair> cables{};

    Link eth0(std::size_t i) const { return Link::get(ns[i], "eth0"); }

    // The tutorial's two hosts: ip link add eth0 type veth peer name eth0 netns ns2 (from ns1).
    static Hosts pair() {
        Hosts h;
        h.ns.push_back(Netns::create(unique_name("vh")));
        h.ns.push_back(Netns::create(unique_name("vh")));
        h.cables.push_back(VethPair::create(h.ns[0], {.name = "eth0", .peer = {.name = "eth0", .netns = h.ns[1]}}));
        for (std::size_t i = 0; i < 2; ++i) h.configure(i);
        h.settle();
        return h;
    }
    // n hosts on a switch: eth0 in host i, its peer pI a port of `underlay` in the switch namespace.
    static Hosts on_switch(std::size_t n) {
        Hosts h;
        h.sw = Netns::create(unique_name("vs"));
        h.underlay = Bridge::create(h.sw, {.name = "underlay"});
        h.underlay.up();
        for (std::size_t i = 0; i < n; ++i) {
            h.ns.push_back(Netns::create(unique_name("vh")));
            h.cables.push_back(VethPair::create(h.sw, {.name = "p" + std::to_string(i),
                                                .peer = {.name = "eth0", .netns = h.ns[i]}}));
            h.underlay.add_port(h.cables.back().first());
            h.cables.back().first().up();
            h.configure(i);
        }
        CHECK(wait_running(h.underlay));
        h.settle();
        return h;
    }

    // A vxlan vx0 in host i on eth0 with the overlay address 172.20.0.x/24, up.
    Vxlan vxlan(std::size_t i, VxlanOptions o) {
        o.name = o.name.empty() ? "vx0" : o.name;
        o.device = "eth0";
        if (o.local.empty()) o.local = underlay_ip(i);
        Vxlan v = Vxlan::create(ns[i], o);
        v.add_address(overlay_ip(i) + "/24");
        v.up();
        return v;
    }

private:
    // Carrier reaches the veths asynchronously (linkwatch): wait so a test's first packet is not lost.
    void settle() {
        for (std::size_t i = 0; i < ns.size(); ++i) CHECK(wait_running(eth0(i)));
    }
    void configure(std::size_t i) {
        Link::loopback(ns[i]).up();
        Link e = eth0(i);
        e.add_address(underlay_ip(i) + "/24");
        e.up();
    }
};

inline PingResult ping_answers(const NetnsRef& from, std::string_view to) {
    return ping(from, to, {.count = 3, .interval = std::chrono::milliseconds(50), .timeout = std::chrono::milliseconds(1500)});
}
inline PingResult ping_unanswered(const NetnsRef& from, std::string_view to) {
    return ping(from, to, {.count = 2, .interval = std::chrono::milliseconds(100), .timeout = std::chrono::milliseconds(400)});
}

}  // namespace nsnet::test
