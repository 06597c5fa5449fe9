// examples/labs/stacked.hpp — what the MACVLAN and IPVLAN labs share: the tutorial's common setup
// (three namespaces, the NIC ens41 moved into ns1 and configured there) and their ping checks.
//
// The MACVLAN section and the IPVLAN section of the tutorial both begin with the same block,
// quoted in setup_base(); only the addresses differ (10.40.1.246/24 via 10.40.1.254 for MACVLAN,
// 192.168.7.220/24 via 192.168.7.89 for IPVLAN). The NIC and the network behind it are the
// simulated world of world.hpp.
#pragma once

#include <string>

#include <nsnet/nsnet.hpp>

#include "lab.hpp"
#include "world.hpp"

namespace lab {

struct StackedBase {
    nsnet::Netns& ns1;
    nsnet::Netns& ns2;
    nsnet::Netns& ns3;
    World world;
};

// The tutorial's common block. `ens41_cidr` and `gateway` are the section's ("10.40.1.246/24",
// "10.40.1.254/24" for MACVLAN; "192.168.7.220/24", "192.168.7.89/24" for IPVLAN).
inline StackedBase setup_base(Context& ctx, const std::string& ens41_cidr, const std::string& gateway) {
    // (the simulated LAN switch with router GATEWAY, the internet host, and the cable whose near
    // end is ens41; it starts in `lan`, unplugged from any host)
    World world = make_world(ctx, {.gateway = gateway});

    // # 创建三个命名空间
    // ip netns add ns1
    // ip netns add ns2
    // ip netns add ns3
    auto& ns1 = ctx.netns("ns1");
    auto& ns2 = ctx.netns("ns2");
    auto& ns3 = ctx.netns("ns3");

    // # 启动命名空间中的 lo 接口
    // ip netns exec ns1 ip link set lo up
    // ip netns exec ns2 ip link set lo up
    // ip netns exec ns3 ip link set lo up
    nsnet::Link::loopback(ns1).up();
    nsnet::Link::loopback(ns2).up();
    nsnet::Link::loopback(ns3).up();

    // # 将物理网卡 ens41 移动到 ns1 命名空间
    // ip link set ens41 netns ns1
    world.move_ens41(ns1);

    // # 进入 ns1 命名空间并配置 ens41 网卡的 IP 和路由
    // ip netns exec ns1 bash
    // ip address add 10.40.1.246/24 dev ens41
    world.ens41().add_address(ens41_cidr);
    // ip link set ens41 up
    world.ens41().up();
    // ip route add default via 10.40.1.254 dev ens41
    nsnet::Route::create(ns1, {.dst = "default", .via = world.gateway(), .dev = world.ens41()}).persist();
    world.settle();
    return StackedBase{ns1, ns2, ns3, std::move(world)};
}

// A ping as one check: "ns2 -> 10.40.1.248 (ens41m2) answers" or "... does not answer".
inline nsnet::PingResult ping_check(Context& ctx, const nsnet::NetnsRef& from, const std::string& from_name,
                                    const std::string& to, const std::string& to_name, bool expect_answer) {
    using namespace std::chrono_literals;
    nsnet::PingOptions o{.count = 4};
    if (!expect_answer) o = {.count = 3, .interval = 200ms, .timeout = 500ms};
    auto r = nsnet::ping(from, to, o);
    std::string what = from_name + " -> " + to + (to_name.empty() ? "" : " (" + to_name + ")") +
                       (expect_answer ? " answers" : " does not answer");
    ctx.check(what, expect_answer ? r.all_answered() : (r.sent > 0 && r.none_answered()), r.summary());
    return r;
}

// Prints the kind-specific line `ip -d link show NAME` shows for a link ("macvlan mode bridge").
inline void show_kind(Context& ctx, const std::string& ns_base, const std::string& name, const std::string& detail) {
    ctx.note("ip -n " + ctx.name(ns_base) + " -d link show " + name + ":  " + detail);
}

}  // namespace lab
