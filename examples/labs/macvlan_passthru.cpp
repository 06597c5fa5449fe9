// examples/labs/macvlan_passthru.cpp — the tutorial's MACVLAN / Passthru section: one macvlan takes
// the NIC over (a container's exclusive NIC); no second macvlan fits on it, and the parent's own
// address no longer talks to the network.
//
// Each tutorial command is quoted above the nsnet call that does it (the common setup is in
// stacked.hpp: ens41 in ns1 with 10.40.1.246/24, default via 10.40.1.254); the NIC, the switch and
// the internet are simulated (world.hpp).
// Checks: a second macvlan on ens41 is refused (EINVAL, the error says why); ns2 reaches the
// internet host through macvlan1; parent down -> macvlan1 cannot reach it, parent up -> it can
// again; the parent's own address cannot reach the gateway.
#include "stacked.hpp"

NSNET_LAB("macvlan-passthru", "MACVLAN / Passthru", [](lab::Context& ctx) {
    using namespace nsnet;
    auto base = lab::setup_base(ctx, "10.40.1.246/24", "10.40.1.254/24");
    auto& [ns1, ns2, ns3, world] = base;
    const Link& ens41 = world.ens41();

    // # 启用 ns1 中的 ens41 接口
    // ip link set ens41 up
    ens41.up();

    // # 在 ns1 中创建 Passthru 模式的 macvlan 子接口
    // ip link add macvlan1 link ens41 type macvlan mode passthru
    auto& macvlan1 = ctx.own(Macvlan::create(ns1, {.name = "macvlan1", .parent = ens41, .mode = MacvlanMode::Passthru}));

    // # 尝试创建第二个 macvlan 子接口（会失败）
    // ip link add macvlan2 link ens41 type macvlan mode passthru
    // RTNETLINK answers: Invalid argument
    try {
        auto second = Macvlan::create(ns1, {.name = "macvlan2", .parent = ens41, .mode = MacvlanMode::Passthru});
        ctx.check("a second macvlan on ens41 is refused", false, "the kernel accepted macvlan2");
    } catch (const Error& e) {
        std::string what = e.what();
        bool says_why = what.find("already has a passthru macvlan") != std::string::npos;
        ctx.check("a second macvlan on ens41 is refused (EINVAL, and the error says why)",
                  e.errnum() == EINVAL && says_why, what);
    }

    // # 将子接口 macvlan1 移动到 ns2
    // ip link set macvlan1 netns ns2
    macvlan1.set_netns(ns2);

    // # 在 ns2 中启用子接口并分配 IP
    // ip netns exec ns2 bash
    // ip netns exec ns2 ip addr add 10.40.1.247/24 dev macvlan1
    macvlan1.add_address("10.40.1.247/24");
    // ip netns exec ns2 ip link set macvlan1 up
    macvlan1.up();
    // ip route add default via 10.40.1.254 dev macvlan1
    Route::create(ns2, {.dst = "default", .via = world.gateway(), .dev = macvlan1}).persist();
    ctx.wait_until_up(macvlan1);
    ctx.show(ns1);
    ctx.show(ns2);
    lab::show_kind(ctx, "ns2", "macvlan1", macvlan1.describe());

    // # 测试子接口 macvlan1 与外部的通讯
    // ping 8.8.8.8 -c 2
    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, via macvlan1", true);

    // 父接口状态的关键作用: with the parent down, the macvlan has no way out.
    // ip netns exec ns1 ip link set ens41 down
    ens41.down();
    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, parent ens41 down", false);
    // ip netns exec ns1 ip link set ens41 up
    ens41.up();
    ctx.wait_until_up(ens41);
    ctx.wait_until_up(macvlan1);
    world.settle();
    lab::ping_check(ctx, ns2, "ns2", world.internet_host(), "the internet host, parent ens41 up again", true);

    // # 测试父接口 ens41 与外部的通讯
    // ping 10.40.1.254 -c 2   (in ns1: the passthru macvlan takes every frame, the replies too)
    lab::ping_check(ctx, ns1, "ns1", world.gateway(), "the gateway, from the parent's own address 10.40.1.246", false);
});
