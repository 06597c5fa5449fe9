// examples/labs/bridge.cpp — the tutorial's 网桥 section: a Linux bridge in its own namespace joins
// two others, like a switch.
//
// Each tutorial command is quoted above the nsnet call that does it. Namespace names carry the
// driver's prefix (bridge is nsl-bridge); interface names and addresses are the tutorial's.
// Checks: ns2 -> ns1 (172.16.10.10) answers; ns2 -> the bridge's own address (172.16.10.100) answers.
#include "stacked.hpp"

NSNET_LAB("bridge", "网桥", [](lab::Context& ctx) {
    using namespace nsnet;

    // # 创建三个网络命名空间 bridge ns1 ns2
    // ip netns add bridge
    // ip netns add ns1
    // ip netns add ns2
    auto& bridge_ns = ctx.netns("bridge");
    auto& ns1 = ctx.netns("ns1");
    auto& ns2 = ctx.netns("ns2");

    // # 开启三个网络命名空间的 lo 接口
    // ip netns exec bridge ip link set lo up
    // ip netns exec ns1 ip link set lo up
    // ip netns exec ns2 ip link set lo up
    Link::loopback(bridge_ns).up();
    Link::loopback(ns1).up();
    Link::loopback(ns2).up();

    // # 在 bridge 中创建桥接设备，命名为 bridge
    // ip netns exec bridge bash
    // ip link add bridge type bridge
    auto& br = ctx.own(Bridge::create(bridge_ns, {.name = "bridge"}));

    // # 设置桥接设备的 IP 地址，并启用
    // ip address add 172.16.10.100/24 dev bridge
    br.add_address("172.16.10.100/24");
    // ip link set bridge up
    br.up();

    // # 在 bridge 中继续创建两对 veth
    // ip link add veth-1r type veth peer name veth-1d
    // ip link add veth-2r type veth peer name veth-2d
    // (veth-1d/veth-2d are created in bridge too and moved below, as in the tutorial)
    auto& v1 = ctx.own(VethPair::create(bridge_ns, {.name = "veth-1r", .peer = {.name = "veth-1d"}}));
    auto& v2 = ctx.own(VethPair::create(bridge_ns, {.name = "veth-2r", .peer = {.name = "veth-2d"}}));

    // # 将 veth-1r 和 veth-2r 加入桥接设备
    // ip link set veth-1r master bridge
    // ip link set veth-2r master bridge
    br.add_port(v1.first());
    br.add_port(v2.first());

    // # 启用 veth-1r 和 veth-2r 接口
    // ip link set veth-1r up
    // ip link set veth-2r up
    v1.first().up();
    v2.first().up();

    // # 将 veth-1d 和 veth-2d 分别移动到 ns1 和 ns2
    // ip link set veth-1d netns ns1
    // ip link set veth-2d netns ns2
    v1.set_netns(v1.second(), ns1);
    v2.set_netns(v2.second(), ns2);

    // # 在 ns1 空间中配置 veth-1d 接口的 IP 并启用
    // ip netns exec ns1 bash
    // ip address add 172.16.10.10/24 dev veth-1d
    v1.second().add_address("172.16.10.10/24");
    // ip link set veth-1d up
    v1.second().up();

    // # 在 ns2 空间中配置 veth-2d 接口的 IP 并启用
    // ip netns exec ns2 bash
    // ip address add 172.16.10.20/24 dev veth-2d
    v2.second().add_address("172.16.10.20/24");
    // ip link set veth-2d up
    v2.second().up();

    // (carrier reaches the bridge asynchronously: wait until the ports and the bridge are up)
    for (const Link* l : {&v1.second(), &v2.second(), &v1.first(), &v2.first(), &br.link()}) ctx.wait_until_up(*l);
    ctx.show(bridge_ns);
    lab::show_kind(ctx, "bridge", "bridge", br.describe());
    lab::show_kind(ctx, "bridge", "veth-1r", br.describe_port(v1.first()));
    ctx.show(ns1);
    ctx.show(ns2);

    // ip netns exec ns2 ping 172.16.10.10 -c 2
    lab::ping_check(ctx, ns2, "ns2", "172.16.10.10", "veth-1d in ns1, through the bridge", true);
    // ip netns exec ns2 ping 172.16.10.100 -c 2
    lab::ping_check(ctx, ns2, "ns2", "172.16.10.100", "the bridge device itself", true);
});
