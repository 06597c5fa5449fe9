// examples/labs/vlan.cpp — the tutorial's VLAN section: two namespaces joined by a veth pair, with
// an 802.1Q vlan (id 100) on each end.
//
// Each tutorial command is quoted above the nsnet call that does it. Namespace names carry the
// driver's prefix (ns1 is nsl-ns1); interface names and addresses are the tutorial's.
// Checks: untagged 172.16.0.2 answers; tagged 10.10.10.2 (vlan 100) answers; beyond the tutorial,
// a vlan 200 on one side only does not reach the other (tag isolation). A kernel without 8021q
// makes the vlan checks SKIP with the kernel's answer; the VM kernel matrix runs them for real.
#include "stacked.hpp"

NSNET_LAB("vlan", "VLAN", [](lab::Context& ctx) {
    using namespace nsnet;

    // # 创建命名空间
    // ip netns add ns1
    // ip netns add ns2
    auto& ns1 = ctx.netns("ns1");
    auto& ns2 = ctx.netns("ns2");

    // # 启用回环接口
    // ip netns exec ns1 ip link set lo up
    // ip netns exec ns2 ip link set lo up
    Link::loopback(ns1).up();
    Link::loopback(ns2).up();

    // # 创建 veth pair 并移入命名空间
    // ip link add veth-ns1 type veth peer name veth-ns2
    // ip link set veth-ns1 netns ns1
    // ip link set veth-ns2 netns ns2
    // (one request creates both ends directly in ns1 and ns2: the namespace the lab was started
    // in, the tutorial's host, is never touched)
    auto& veth = ctx.own(VethPair::create(ns1, {.name = "veth-ns1", .peer = {.name = "veth-ns2", .netns = ns2}}));

    // ip netns exec ns1 bash
    // ip address add 172.16.0.1/24 dev veth-ns1
    veth.first().add_address("172.16.0.1/24");
    // ip link set veth-ns1 up
    veth.first().up();

    // ip netns exec ns2 bash
    // ip address add 172.16.0.2/24 dev veth-ns2
    veth.second().add_address("172.16.0.2/24");
    // ip link set veth-ns2 up
    veth.second().up();
    ctx.wait_until_up(veth.first());
    ctx.wait_until_up(veth.second());

    // ip netns exec ns1 ping 172.16.0.2 -c 3
    lab::ping_check(ctx, ns1, "ns1", "172.16.0.2", "untagged, veth-ns2", true);

    // # 下面是配置 VLAN 接口的方法
    // ip netns exec ns1 bash
    // ip link add link veth-ns1 name veth-ns1.100 type vlan id 100
    std::optional<Vlan> ns1_100;
    try {
        ns1_100.emplace(Vlan::create(ns1, {.name = "veth-ns1.100", .parent = veth.first(), .id = 100}));
    } catch (const Error& e) {
        if (!is_unknown_link_kind(e)) throw;
        ctx.skip("ns1 -> 10.10.10.2 (veth-ns2.100, vlan 100) answers", e.what());
        ctx.skip("vlan 200 on ns1 only: ns1 -> 10.20.20.2 does not answer (tag isolation)", e.what());
        ctx.show(ns1);
        return;
    }
    auto& vlan1 = ctx.own(std::move(*ns1_100));
    // ip address add 10.10.10.1/24 dev veth-ns1.100
    vlan1.add_address("10.10.10.1/24");
    // ip link set veth-ns1.100 up
    vlan1.up();

    // ip netns exec ns2 bash
    // ip link add link veth-ns2 name veth-ns2.100 type vlan id 100
    auto& vlan2 = ctx.own(Vlan::create(ns2, {.name = "veth-ns2.100", .parent = veth.second(), .id = 100}));
    // ip address add 10.10.10.2/24 dev veth-ns2.100
    vlan2.add_address("10.10.10.2/24");
    // ip link set veth-ns2.100 up
    vlan2.up();
    ctx.wait_until_up(vlan1);
    ctx.wait_until_up(vlan2);

    // # 查看 ns1 / ns2 命名空间中接口的情况
    // ip netns exec ns1 ip a
    ctx.show(ns1);
    lab::show_kind(ctx, "ns1", "veth-ns1.100", vlan1.describe());
    // ip netns exec ns2 ip a
    ctx.show(ns2);
    lab::show_kind(ctx, "ns2", "veth-ns2.100", vlan2.describe());

    // ip netns exec ns1 ping 10.10.10.2 -c 3
    lab::ping_check(ctx, ns1, "ns1", "10.10.10.2", "veth-ns2.100, vlan 100", true);

    // Beyond the tutorial: a tag the other side does not have. ns1 gets vlan 200 with
    // 10.20.20.1/24; ns2 holds 10.20.20.2/24 only on its untagged veth-ns2. Frames tagged 200
    // reach veth-ns2, which has no vlan 200 interface, and are dropped.
    // ip netns exec ns1 ip link add link veth-ns1 name veth-ns1.200 type vlan id 200
    auto& vlan200 = ctx.own(Vlan::create(ns1, {.name = "veth-ns1.200", .parent = veth.first(), .id = 200}));
    vlan200.add_address("10.20.20.1/24");
    vlan200.up();
    // ip netns exec ns2 ip address add 10.20.20.2/24 dev veth-ns2
    veth.second().add_address("10.20.20.2/24");
    ctx.wait_until_up(vlan200);
    lab::ping_check(ctx, ns1, "ns1", "10.20.20.2", "untagged in ns2; ns1 sends it tagged 200: tag isolation", false);
});
