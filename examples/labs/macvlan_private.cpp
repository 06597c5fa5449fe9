// examples/labs/macvlan_private.cpp — the tutorial's MACVLAN / Private section: macvlans in private
// mode never talk to each other, not even through an external switch that reflects their frames.
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp); the NIC, the switch and the internet are simulated (world.hpp).
// Checks: ns2 and ns3 reach the internet host; ns2 -> ns3 fails, and still fails with hairpin on
// the switch port (the macvlan drops frames whose source is a sibling).
#include "stacked.hpp"

NSNET_LAB("macvlan-private", "MACVLAN / Private", [](lab::Context& ctx) {
    using namespace nsnet;
    auto base = lab::setup_base(ctx, "10.40.1.246/24", "10.40.1.254/24");
    auto& [ns1, ns2, ns3, world] = base;
    const Link& ens41 = world.ens41();

    // # 在 ns1 中创建两个 macvlan 子接口（ens41m1 和 ens41m2）
    // ip link add ens41m1 link ens41 type macvlan mode private
    // ip link add ens41m2 link ens41 type macvlan mode private
    auto& m1 = ctx.own(Macvlan::create(ns1, {.name = "ens41m1", .parent = ens41, .mode = MacvlanMode::Private}));
    auto& m2 = ctx.own(Macvlan::create(ns1, {.name = "ens41m2", .parent = ens41, .mode = MacvlanMode::Private}));

    // # 将子接口分别移动到 ns2 和 ns3
    // ip link set ens41m1 netns ns2
    // ip link set ens41m2 netns ns3
    m1.set_netns(ns2);
    m2.set_netns(ns3);

    // # 配置 ens41m1 接口的 IP 和路由
    // ip netns exec ns2 bash
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

    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, via ens41m1", true);
    lab::ping_check(ctx, ns3, "ns3", world.internet_host(), "the internet host, via ens41m2", true);
    // ping 10.40.1.248   (From 10.40.1.247 ... Destination Host Unreachable)
    lab::ping_check(ctx, ns2, "ns2", "10.40.1.248", "ens41m2, private mode", false);

    // Even when the switch reflects the frames back (hairpin on port1), private mode drops them:
    // ip netns exec lan ip link set port1 type bridge_slave hairpin on
    world.switch_bridge().set_port(world.port1(), {.hairpin = true});
    lab::show_kind(ctx, "lan", "port1", world.switch_bridge().describe_port(world.port1()));
    lab::ping_check(ctx, ns2, "ns2", "10.40.1.248", "ens41m2, private mode, even with hairpin on port1", false);
});
