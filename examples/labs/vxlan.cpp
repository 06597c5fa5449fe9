// examples/labs/vxlan.cpp — the tutorial's VXLAN section ("较为完整的 VXLAN 示例"): two hosts ns1, ns2
// joined by a veth `eth0` (the "physical" underlay, 172.16.0.0/24), and a vxlan vx0 (VNI 100, UDP
// 4789) on each carrying the overlay 172.20.0.0/24.
//
// Each tutorial command is quoted above the nsnet call that does it. Namespace names carry the
// driver's prefix (ns1 is nsl-ns1); interface names and addresses are the tutorial's.
// Checks: eth0 is a veth whose peer was created directly in ns2 (one request: it never existed in
// the namespace the lab was started in); ns1 -> underlay 172.16.0.20 answers; ns1 -> overlay
// 172.20.0.20 answers (through the tunnel).
// With --keep, `ip netns exec nsl-ns1 ip -d link show vx0` shows what the tutorial's command
// makes: "vxlan id 100 remote 172.16.0.20 local 172.16.0.10 dev eth0 srcport 0 0 dstport 4789 ...".
#include <nsnet/vxlan.hpp>

#include "lab.hpp"

NSNET_LAB("vxlan", "VXLAN", [](lab::Context& ctx) {
    if (std::string why = ctx.kernel_lacks("vxlan"); !why.empty()) {
        ctx.skip("vxlan: underlay and overlay between ns1 and ns2", why);
        return;
    }
    using nsnet::IpAddress;

    // 首先创建两个网络命名空间 ns1 和 ns2，用于模拟两台独立的 Linux 主机：
    // ip netns add ns1
    auto& ns1 = ctx.netns("ns1");
    // ip netns add ns2
    auto& ns2 = ctx.netns("ns2");

    // 每个命名空间都需要启用本地回环接口 lo 以确保基础网络功能正常：
    // ip netns exec ns1 ip link set lo up
    nsnet::Link::loopback(ns1).up();
    // ip netns exec ns2 ip link set lo up
    nsnet::Link::loopback(ns2).up();

    // 在 ns1 中创建 veth 对，一端保留在 ns1，另一端移动到 ns2，模拟两台主机通过物理网卡直连：
    // ip netns exec ns1 bash
    // ip link add eth0 type veth peer name eth0 netns ns2
    auto& eth0 = ctx.own(nsnet::VethPair::create(ns1, {.name = "eth0", .peer = {.name = "eth0", .netns = ns2}}));
    {
        nsnet::LinkInfo near = eth0.first().info(), far = eth0.second().info();
        bool peer_in_ns2 = near.kind == "veth" && near.link_netnsid.has_value() && near.parent == far.index &&
                           far.parent == near.index;
        ctx.check("eth0 is a veth created with its peer directly in ns2 (one request)", peer_in_ns2,
                  "ns1 eth0 #" + std::to_string(near.index) + " <-> ns2 eth0 #" + std::to_string(far.index) +
                      (near.link_netnsid ? ", peer netnsid " + std::to_string(*near.link_netnsid) : ", peer not elsewhere"));
    }

    // 进入 ns1 配置 eth0 接口并设置 IP 地址：
    // ip address add 172.16.0.10/24 dev eth0
    eth0.first().add_address("172.16.0.10/24");
    // ip link set eth0 up
    eth0.first().up();

    // 在 ns1 中创建 VXLAN 接口 vx0，指定本地和远程 IP，并启用接口：
    // ip link add vx0 type vxlan id 100 local 172.16.0.10 remote 172.16.0.20 dev eth0 dstport 4789
    auto& vx1 = ctx.own(nsnet::Vxlan::create(ns1, {.name = "vx0", .vni = 100, .local = "172.16.0.10",
                                                   .remote = "172.16.0.20", .device = "eth0",
                                                   .destination_port = 4789}));
    // ip address add 172.20.0.10/24 dev vx0
    vx1.add_address("172.20.0.10/24");
    // ip link set vx0 up
    vx1.up();

    // 进入 ns2 配置 eth0 接口并设置 IP 地址：
    // ip netns exec ns2 bash
    // ip address add 172.16.0.20/24 dev eth0
    eth0.second().add_address("172.16.0.20/24");
    // ip link set eth0 up
    eth0.second().up();

    // 在 ns2 中创建 VXLAN 接口 vx0，指定本地和远程 IP，并启用接口：
    // ip link add vx0 type vxlan id 100 local 172.16.0.20 remote 172.16.0.10 dev eth0 dstport 4789
    auto& vx2 = ctx.own(nsnet::Vxlan::create(ns2, {.name = "vx0", .vni = 100, .local = "172.16.0.20",
                                                   .remote = "172.16.0.10", .device = "eth0",
                                                   .destination_port = 4789}));
    // ip address add 172.20.0.20/24 dev vx0
    vx2.add_address("172.20.0.20/24");
    // ip link set vx0 up
    vx2.up();

    ctx.wait_until_up(eth0.first());
    ctx.wait_until_up(eth0.second());
    ctx.show(ns1, "ns1");
    ctx.note("ns1 vx0: " + vx1.describe());
    ctx.show(ns2, "ns2");
    ctx.note("ns2 vx0: " + vx2.describe());

    // 在 ns1 中测试与 ns2 的 eth0 网卡（IP: 172.16.0.20）的连通性：
    // ping 172.16.0.20 -c 2
    auto under = nsnet::ping(ns1, "172.16.0.20", {.count = 2});
    ctx.check("ns1 -> underlay 172.16.0.20 (ns2 eth0) answers", under.all_answered(), under.summary());

    // 在 ns1 中测试与 ns2 的 vx0 网卡（IP: 172.20.0.20）的连通性：
    // ping 172.20.0.20 -c 2
    auto over = nsnet::ping(ns1, "172.20.0.20", {.count = 2});
    ctx.check("ns1 -> overlay 172.20.0.20 (ns2 vx0, through the tunnel) answers", over.all_answered(), over.summary());
});
