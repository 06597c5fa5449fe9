// examples/labs/ipvlan_l3.hpp — the tutorial's IPVLAN / L3 section, for mode l3 (ipvlan_l3.cpp)
// and l3s (ipvlan_l3s.cpp, which adds a netfilter counter in the parent's namespace).
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp: ens41 in ns1 with 192.168.7.220/24, default via 192.168.7.89). The external LAN host
// 10.40.1.1 the tutorial pings sits behind the simulated LAN router (world.hpp), which at first has
// no route back to the ipvlans' subnets: the tutorial's "外部路由器必须知道如何回程路由".
#pragma once

#include <optional>

#include "stacked.hpp"

namespace lab {

struct IpvlanL3 {
    StackedBase base;
    nsnet::Ipvlan* ipvlan1 = nullptr;  // in ns2, 192.168.151.10/24
    nsnet::Ipvlan* ipvlan2 = nullptr;  // in ns3, 192.168.152.10/24
};

// The checks of the catalogue, named once for the SKIP lines too.
inline const char* const ipvlan_l3_checks[] = {
    "ns2 -> 192.168.152.10 (ipvlan2 in ns3, another subnet) answers",
    "ns3 -> 10.40.1.1 (external LAN host) does not answer: the lan router has no route back to 192.168.152.0/24",
    "ns3 -> 10.40.1.1 (external LAN host) answers once the lan router routes 192.168.152.0/24 via 192.168.7.220",
};

// Builds the section's topology in `mode` (L3 or L3S); nullopt (after SKIP lines for `checks`,
// and for `extra_checks`) when the kernel has no ipvlan.
inline std::optional<IpvlanL3> ipvlan_l3_setup(Context& ctx, nsnet::IpvlanMode mode,
                                                std::initializer_list<const char*> extra_checks = {}) {
    using namespace nsnet;
    IpvlanL3 t{setup_base(ctx, "192.168.7.220/24", "192.168.7.89/24")};
    auto& [ns1, ns2, ns3, world] = t.base;
    const Link& ens41 = world.ens41();
    // (the external host 10.40.1.1 behind the lan router, which has 10.40.1.254 on that side)
    world.add_routed_host("lanhost", "10.40.1.1/24", "10.40.1.254/24");

    // # 在 ns1 中创建两个 ipvlan 子接口（ipvlan1 和 ipvlan2）
    // ip netns exec ns1 bash
    // ip link add ipvlan1 link ens41 type ipvlan mode l3      (l3s for the L3S lab)
    std::optional<Ipvlan> first;
    try {
        first.emplace(Ipvlan::create(ns1, {.name = "ipvlan1", .parent = ens41, .mode = mode}));
    } catch (const Error& e) {
        if (!is_unknown_link_kind(e)) throw;
        for (const char* what : ipvlan_l3_checks) ctx.skip(what, e.what());
        for (const char* what : extra_checks) ctx.skip(what, e.what());
        return std::nullopt;
    }
    t.ipvlan1 = &ctx.own(std::move(*first));
    // ip link add ipvlan2 link ens41 type ipvlan mode l3
    t.ipvlan2 = &ctx.own(Ipvlan::create(ns1, {.name = "ipvlan2", .parent = ens41, .mode = mode}));

    // # 将两个接口分别移动到 ns2 和 ns3
    // ip link set ipvlan1 netns ns2
    // ip link set ipvlan2 netns ns3
    t.ipvlan1->set_netns(ns2);
    t.ipvlan2->set_netns(ns3);

    // # 配置 ns2 中 ipvlan1 接口的 ip 和路由
    // ip netns exec ns2 bash
    // ip address add 192.168.151.10/24 dev ipvlan1
    t.ipvlan1->add_address("192.168.151.10/24");
    // ip link set ipvlan1 up
    t.ipvlan1->up();
    // ip route add default via 192.168.151.254 # 虚拟网关
    Route::create(ns2, {.dst = "default", .via = "192.168.151.254"}).persist();

    // # 配置 ns3 中 ipvlan2 接口的 ip 和路由
    // ip netns exec ns3 bash
    // ip address add 192.168.152.10/24 dev ipvlan2
    t.ipvlan2->add_address("192.168.152.10/24");
    // ip link set ipvlan2 up
    t.ipvlan2->up();
    // ip route add default via 192.168.152.254 # 虚拟网关
    Route::create(ns3, {.dst = "default", .via = "192.168.152.254"}).persist();
    ctx.wait_until_up(*t.ipvlan1);
    ctx.wait_until_up(*t.ipvlan2);

    ctx.show(ns1);
    ctx.show(ns2);
    show_kind(ctx, "ns2", "ipvlan1", t.ipvlan1->describe());
    ctx.show(ns3);
    show_kind(ctx, "ns3", "ipvlan2", t.ipvlan2->describe());
    return t;
}

// The section's pings: across subnets, then out to 10.40.1.1 without and with the return route.
inline void ipvlan_l3_checks_run(Context& ctx, IpvlanL3& t) {
    auto& [ns1, ns2, ns3, world] = t.base;
    // (ns2 -> ns3: the virtual gateway 192.168.151.254 is never asked; the parent's namespace routes)
    auto r = nsnet::ping(ns2, "192.168.152.10", {.count = 4});
    ctx.check(ipvlan_l3_checks[0], r.all_answered(), r.summary());
    // ping 10.40.1.1 -c 1   (from ns3; the lan router does not know 192.168.152.0/24 yet)
    using namespace std::chrono_literals;
    r = nsnet::ping(ns3, "10.40.1.1", {.count = 3, .interval = 200ms, .timeout = 500ms});
    ctx.check(ipvlan_l3_checks[1], r.sent > 0 && r.none_answered(), r.summary());
    // On the lan router: ip route add 192.168.152.0/24 via 192.168.7.220
    world.add_route("192.168.152.0/24", "192.168.7.220");
    // ping 10.40.1.1 -c 1
    r = nsnet::ping(ns3, "10.40.1.1", {.count = 4});
    ctx.check(ipvlan_l3_checks[2], r.all_answered(), r.summary());
}

}  // namespace lab
