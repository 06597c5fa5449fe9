// examples/labs/macvlan_bridge.cpp — the tutorial's MACVLAN / Bridge section: two macvlans in bridge
// mode on the NIC ens41, each in its own namespace, talk to each other inside the kernel.
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp). Namespace names carry the driver's prefix; interface names and addresses are the
// tutorial's. The NIC, the LAN switch with its router 10.40.1.254 and the internet host
// 198.51.100.8 (for the tutorial's 8.8.8.8) are simulated (world.hpp).
// Checks: ns1, ns2, ns3 reach the internet host; ns2 -> ns3 answers (rtt printed); ns3 -> the
// parent's address 10.40.1.246 does not answer (a macvlan never talks to its parent).
#include "stacked.hpp"

NSNET_LAB("macvlan-bridge", "MACVLAN / Bridge", [](lab::Context& ctx) {
    using namespace nsnet;
    auto base = lab::setup_base(ctx, "10.40.1.246/24", "10.40.1.254/24");
    auto& [ns1, ns2, ns3, world] = base;
    const Link& ens41 = world.ens41();
    ctx.show(ns1);

    // ping 8.8.8.8 -c 2   (from ns1)
    lab::ping_check(ctx, ns1, "ns1", world.internet_host(), "the internet host, via ens41", true);

    // # 在 ns1 中创建两个 macvlan 子接口（ens41m1 和 ens41m2）
    // ip link add ens41m1 link ens41 type macvlan mode bridge
    // ip link add ens41m2 link ens41 type macvlan mode bridge
    auto& m1 = ctx.own(Macvlan::create(ns1, {.name = "ens41m1", .parent = ens41, .mode = MacvlanMode::Bridge}));
    auto& m2 = ctx.own(Macvlan::create(ns1, {.name = "ens41m2", .parent = ens41, .mode = MacvlanMode::Bridge}));

    // # 将子接口分别移动到 ns2 和 ns3
    // ip link set ens41m1 netns ns2
    // ip link set ens41m2 netns ns3
    m1.set_netns(ns2);
    m2.set_netns(ns3);

    // # 配置 ens41m1 接口的 IP 和路由
    // ip netns exec ns1 bash      <- the tutorial's slip: ens41m1 is in ns2 now; this is ns2
    // ip address add 10.40.1.247/24 dev ens41m1
    m1.add_address("10.40.1.247/24");
    // ip link set ens41m1 up
    m1.up();
    // ip route add default via 10.40.1.254 dev ens41m1
    Route::create(ns2, {.dst = "default", .via = world.gateway(), .dev = m1}).persist();

    // # 配置 ens41m2 接口的 IP 和路由
    // ip netns exec ns3 bash
    // ip address add 10.40.1.248/24 dev ens41m2
    m2.add_address("10.40.1.248/24");
    // ip link set ens41m2 up
    m2.up();
    // ip route add default via 10.40.1.254 dev ens41m2
    Route::create(ns3, {.dst = "default", .via = world.gateway(), .dev = m2}).persist();
    ctx.wait_until_up(m1);
    ctx.wait_until_up(m2);

    ctx.show(ns2);
    lab::show_kind(ctx, "ns2", "ens41m1", m1.describe());
    ctx.show(ns3);
    lab::show_kind(ctx, "ns3", "ens41m2", m2.describe());

    // ping 8.8.8.8 -c 2   (ns2, then ns3)
    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, via ens41m1", true);
    lab::ping_check(ctx, ns3, "ns3", world.internet_host(), "the internet host, via ens41m2", true);
    // ping 10.40.1.248 -c 2   (ens41m1 -> ens41m2: inside the kernel, never on the wire)
    lab::ping_check(ctx, ns2, "ns2", "10.40.1.248", "ens41m2 in ns3, sibling in bridge mode", true);
    // ping 10.40.1.246   (ens41m2 -> its parent ens41: 无法连通（正常情况）)
    lab::ping_check(ctx, ns3, "ns3", "10.40.1.246", "the parent ens41 in ns1", false);
});
