// examples/labs/macvlan_vepa.cpp — the tutorial's MACVLAN / VEPA section: two macvlans in vepa mode
// talk to each other only through the external switch, which must send the frame back out of the
// port it came in on (the switch's "VEPA reflection": hairpin on that bridge port).
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp). The switch is the simulated LAN's bridge `switch`, its port `port1` (world.hpp).
// Checks: ns2 -> ns3 fails while port1 reflects nothing; answers once port1 has hairpin on; its rtt
// printed beside the same ping in bridge mode (the tutorial's "延迟明显增加": the vepa path leaves
// the host and comes back).
#include "stacked.hpp"

NSNET_LAB("macvlan-vepa", "MACVLAN / VEPA", [](lab::Context& ctx) {
    using namespace nsnet;
    auto base = lab::setup_base(ctx, "10.40.1.246/24", "10.40.1.254/24");
    auto& [ns1, ns2, ns3, world] = base;
    const Link& ens41 = world.ens41();

    // # 在 ns1 中创建两个 macvlan 子接口（ens41m1 和 ens41m2）
    // ip link add ens41m1 link ens41 type macvlan mode vepa
    // ip link add ens41m2 link ens41 type macvlan mode vepa
    auto& m1 = ctx.own(Macvlan::create(ns1, {.name = "ens41m1", .parent = ens41, .mode = MacvlanMode::Vepa}));
    auto& m2 = ctx.own(Macvlan::create(ns1, {.name = "ens41m2", .parent = ens41, .mode = MacvlanMode::Vepa}));

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
    lab::show_kind(ctx, "lan", "port1", world.switch_bridge().describe_port(world.port1()));

    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, via ens41m1", true);
    // The switch does not send a frame back out of the port it arrived on: ens41m1's frames for
    // ens41m2 leave through ens41 and are never reflected.
    lab::ping_check(ctx, ns2, "ns2", "10.40.1.248", "ens41m2, switch port without reflection", false);

    // The external switch turns on VEPA reflection for the host's port:
    // ip netns exec lan ip link set port1 type bridge_slave hairpin on
    // (bridge link set dev port1 hairpin on)
    world.switch_bridge().set_port(world.port1(), {.hairpin = true});
    lab::show_kind(ctx, "lan", "port1", world.switch_bridge().describe_port(world.port1()));

    // ping 10.40.1.248 -c 2
    lab::ping_check(ctx, ns2, "ns2", "10.40.1.248", "ens41m2, reflected by the switch (hairpin on port1)", true);

    // The tutorial's latency comparison ("延迟明显增加"): the same ping, warm (neighbours resolved),
    // in vepa and then in bridge mode:
    // ip netns exec ns2 ip link set ens41m1 type macvlan mode bridge
    // ip netns exec ns3 ip link set ens41m2 type macvlan mode bridge
    using namespace std::chrono_literals;
    const PingOptions warm{.count = 10, .interval = 20ms};
    auto vepa = nsnet::ping(ns2, "10.40.1.248", warm);
    m1.set_mode(MacvlanMode::Bridge);
    m2.set_mode(MacvlanMode::Bridge);
    lab::show_kind(ctx, "ns2", "ens41m1", m1.describe());
    (void)nsnet::ping(ns2, "10.40.1.248", {.count = 1});  // warm-up after the change
    auto bridge = nsnet::ping(ns2, "10.40.1.248", warm);
    char measured[200];
    std::snprintf(measured, sizeof measured, "rtt min/avg: vepa %.3f/%.3f ms, bridge %.3f/%.3f ms", vepa.rtt_min_ms,
                  vepa.rtt_avg_ms, bridge.rtt_min_ms, bridge.rtt_avg_ms);
    ctx.check("ns2 -> ns3 rtt: vepa (out to the switch and back) printed beside bridge (inside the kernel)",
              vepa.all_answered() && bridge.all_answered(), measured);
    if (vepa.all_answered() && bridge.all_answered())
        ctx.note(vepa.rtt_avg_ms > bridge.rtt_avg_ms ? "the vepa path is the longer one, as the tutorial says"
                                                     : "here the vepa path was not slower: the 'switch' is a bridge in the same kernel");
    // put the lab's topology back into vepa mode, as the tutorial left it (for --keep)
    m1.set_mode(MacvlanMode::Vepa);
    m2.set_mode(MacvlanMode::Vepa);
});
