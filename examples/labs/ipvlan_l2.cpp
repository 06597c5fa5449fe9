// examples/labs/ipvlan_l2.cpp — the tutorial's IPVLAN / L2 section: two ipvlans in l2 mode on the NIC
// ens41 share its MAC address, each in its own namespace.
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp: ens41 in ns1 with 192.168.7.220/24, default via 192.168.7.89); the NIC, the LAN
// switch with its router 192.168.7.89 and the internet host 198.51.100.8 (for 8.8.8.8) are simulated
// (world.hpp). A kernel without ipvlan makes the ipvlan checks SKIP with the kernel's answer; the
// VM kernel matrix runs them for real.
// Checks: ns2 and ns3 reach the internet host; ns2 -> ns3 answers; ns2 -> the parent 192.168.7.220
// does not (its ARP request leaves through the parent, which does not answer it).
#include "stacked.hpp"

NSNET_LAB("ipvlan-l2", "IPVLAN / L2", [](lab::Context& ctx) {
    using namespace nsnet;
    auto base = lab::setup_base(ctx, "192.168.7.220/24", "192.168.7.89/24");
    auto& [ns1, ns2, ns3, world] = base;
    const Link& ens41 = world.ens41();
    ctx.show(ns1);
    lab::ping_check(ctx, ns1, "ns1", world.internet_host(), "the internet host, via ens41", true);

    // # 在 ns1 中创建两个 ipvlan 子接口（ipvlan1 和 ipvlan2）
    // ip link add ipvlan1 link ens41 type ipvlan mode l2
    std::optional<Ipvlan> first;
    try {
        first.emplace(Ipvlan::create(ns1, {.name = "ipvlan1", .parent = ens41, .mode = IpvlanMode::L2}));
    } catch (const Error& e) {
        if (!is_unknown_link_kind(e)) throw;
        for (const char* what : {"ns2 -> the internet host answers", "ns3 -> the internet host answers",
                                 "ns2 -> 192.168.7.240 (ipvlan2 in ns3) answers",
                                 "ns2 -> 192.168.7.220 (the parent ens41) does not answer"})
            ctx.skip(what, e.what());
        return;
    }
    auto& ipvlan1 = ctx.own(std::move(*first));
    // ip link add ipvlan2 link ens41 type ipvlan mode l2
    auto& ipvlan2 = ctx.own(Ipvlan::create(ns1, {.name = "ipvlan2", .parent = ens41, .mode = IpvlanMode::L2}));

    // # 将两个接口分别移动到 ns2 和 ns3
    // ip link set ipvlan1 netns ns2
    // ip link set ipvlan2 netns ns3
    ipvlan1.set_netns(ns2);
    ipvlan2.set_netns(ns3);

    // # 配置 ns2 中 ipvlan1 接口的 ip 和路由
    // ip netns exec ns2 bash
    // ip address add 192.168.7.230/24 dev ipvlan1
    ipvlan1.add_address("192.168.7.230/24");
    // ip link set ipvlan1 up
    ipvlan1.up();
    // ip route add default via 192.168.7.89
    Route::create(ns2, {.dst = "default", .via = world.gateway()}).persist();

    // # 配置 ns3 中 ipvlan2 接口的 ip 和路由
    // ip netns exec ns3 bash
    // ip address add 192.168.7.240/24 dev ipvlan2
    ipvlan2.add_address("192.168.7.240/24");
    // ip link set ipvlan2 up
    ipvlan2.up();
    // ip route add default via 192.168.7.89
    Route::create(ns3, {.dst = "default", .via = world.gateway()}).persist();
    ctx.wait_until_up(ipvlan1);
    ctx.wait_until_up(ipvlan2);
    ctx.show(ns2);
    lab::show_kind(ctx, "ns2", "ipvlan1", ipvlan1.describe());
    ctx.show(ns3);
    lab::show_kind(ctx, "ns3", "ipvlan2", ipvlan2.describe());

    // ping 8.8.8.8 -c 2   (ns2, then ns3)
    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "", true);
    lab::ping_check(ctx, ns3, "ns3", world.internet_host(), "", true);
    // ping 192.168.7.240 -c 2   (ipvlan1 -> ipvlan2)
    lab::ping_check(ctx, ns2, "ns2", "192.168.7.240", "ipvlan2 in ns3", true);
    // ping 192.168.7.220 -c 2   (ipvlan1 -> its parent ens41: 无法连通（正常情况）)
    lab::ping_check(ctx, ns2, "ns2", "192.168.7.220", "the parent ens41", false);
});
