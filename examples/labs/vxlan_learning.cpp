// examples/labs/vxlan_learning.cpp — the tutorial's VXLAN variants where one side has no `remote`
// ("Server A ... local 1.1.1.1 dev eth0" without remote): the side without a remote learns where
// the other side is from the packets it receives (its FDB), and can answer afterwards.
//
// The tutorial gives these as bare commands for two servers (1.1.1.1 and 2.2.2.2); the lab runs
// them on the full VXLAN example's topology (eth0 veth with the peer created directly in the other
// namespace, underlay 172.16.0.0/24, overlay 172.20.0.0/24, VNI 100, dstport 4789):
//   case 1 (ns1 = A, ns2 = B): A has no remote, B has remote A.
//   case 2, the mirror (ns3 = A, ns4 = B): A has remote B, B has no remote.
//   beyond the tutorial (h1, h2, h3 on a switch `underlay` in namespace sw): no vxlan has a remote;
//     each has all-zeros FDB entries for the two others (`bridge fdb append 00:00:00:00:00:00 dev
//     vx0 dst ...`): broadcasts are copied to every remote (head-end replication), so all reach
//     each other without multicast.
// Each tutorial command is quoted above the nsnet call that does it (1.1.1.1 -> 172.16.0.10,
// 2.2.2.2 -> 172.16.0.20).
// Checks: B -> A answers; afterwards A -> B answers and A's FDB shows B's MAC learned behind
// 172.16.0.20; the mirror case the other way round; the three hosts reach each other.
// With --keep, `ip -d link show vx0` in nsl-ns1 shows "vxlan id 100 local 172.16.0.10 dev eth0
// srcport 0 0 dstport 4789 ..." (no remote), in nsl-ns2 "... remote 172.16.0.10 local 172.16.0.20 ...".
#include <nsnet/bridge.hpp>
#include <nsnet/fdb.hpp>
#include <nsnet/vxlan.hpp>

#include "lab.hpp"

namespace {

using nsnet::IpAddress;

// Two hosts as in the tutorial's full example: eth0 (peer created directly in `b`), addresses, up.
nsnet::VethPair& underlay(lab::Context& ctx, nsnet::Netns& a, nsnet::Netns& b) {
    // ip netns exec A ip link set lo up;  ip netns exec B ip link set lo up
    nsnet::Link::loopback(a).up();
    nsnet::Link::loopback(b).up();
    // ip link add eth0 type veth peer name eth0 netns B
    auto& eth0 = ctx.own(nsnet::VethPair::create(a, {.name = "eth0", .peer = {.name = "eth0", .netns = b}}));
    // ip address add 172.16.0.10/24 dev eth0; ip link set eth0 up   (A)
    eth0.first().add_address("172.16.0.10/24");
    eth0.first().up();
    // ip address add 172.16.0.20/24 dev eth0; ip link set eth0 up   (B)
    eth0.second().add_address("172.16.0.20/24");
    eth0.second().up();
    ctx.wait_until_up(eth0.first());
    ctx.wait_until_up(eth0.second());
    return eth0;
}

// "vx0 in ns1 (A): vxlan id 100 local ... dev eth0 ..."
void describe(lab::Context& ctx, const std::string& who, const nsnet::Vxlan& vx) { ctx.note(who + " vx0: " + vx.describe()); }

// The learned entry for `mac` in the FDB of `vx`, if there is one behind `dst`.
std::optional<nsnet::FdbInfo> learned(const nsnet::Vxlan& vx, const nsnet::MacAddress& mac, const char* dst) {
    for (const auto& e : nsnet::FdbEntry::list(vx.netns(), {.dev = vx, .mac = mac}))
        if (e.dynamic() && e.dst == IpAddress::parse(dst)) return e;
    return std::nullopt;
}

nsnet::PingResult ping2(const nsnet::NetnsRef& from, const char* to) { return nsnet::ping(from, to, {.count = 2}); }

}  // namespace

NSNET_LAB("vxlan-learning", "VXLAN (no-remote variants)", [](lab::Context& ctx) {
    if (std::string why = ctx.kernel_lacks("vxlan"); !why.empty()) {
        ctx.skip("vxlan learning: both cases and head-end replication", why);
        return;
    }

    // ---- case 1: A (ns1) without a remote, B (ns2) with remote A
    ctx.note("case 1: A = ns1 (172.16.0.10) has no remote, B = ns2 (172.16.0.20) has remote A");
    auto& ns1 = ctx.netns("ns1");
    auto& ns2 = ctx.netns("ns2");
    underlay(ctx, ns1, ns2);
    // # Server A eth0 ip 1.1.1.1
    // ip link add vx0 type vxlan id 100 local 1.1.1.1 dev eth0 dstport 4789
    auto& a1 = ctx.own(nsnet::Vxlan::create(ns1, {.name = "vx0", .vni = 100, .local = "172.16.0.10",
                                                  .device = "eth0", .destination_port = 4789}));
    // # Server B eth0 ip 2.2.2.2
    // ip link add vx0 type vxlan id 100 local 2.2.2.2 remote 1.1.1.1 dev eth0 dstport 4789
    auto& b1 = ctx.own(nsnet::Vxlan::create(ns2, {.name = "vx0", .vni = 100, .local = "172.16.0.20",
                                                  .remote = "172.16.0.10", .device = "eth0",
                                                  .destination_port = 4789}));
    // (the full example's overlay) ip address add 172.20.0.10/24 dev vx0; ip link set vx0 up   (A, then B .20)
    a1.add_address("172.20.0.10/24");
    a1.up();
    b1.add_address("172.20.0.20/24");
    b1.up();
    ctx.show(ns1, "ns1 (A)");
    describe(ctx, "ns1 (A)", a1);
    ctx.show(ns2, "ns2 (B)");
    describe(ctx, "ns2 (B)", b1);
    // bridge fdb show dev vx0   (A, before any traffic: it knows no remote at all)
    ctx.note("A's FDB before any traffic: " + std::to_string(nsnet::FdbEntry::list(ns1, {.dev = a1}).size()) + " entries");

    // ip netns exec ns2 ping 172.20.0.10 -c 2   (B -> A: B knows A, A answers whom it just heard from)
    auto ba = ping2(ns2, "172.20.0.10");
    ctx.check("case 1: B -> A (172.20.0.10) answers", ba.all_answered(), ba.summary());
    // ip netns exec ns1 ping 172.20.0.20 -c 2   (A -> B, afterwards)
    auto ab = ping2(ns1, "172.20.0.20");
    ctx.check("case 1: afterwards A -> B (172.20.0.20) answers", ab.all_answered(), ab.summary());
    // ip netns exec ns1 bridge fdb show dev vx0
    std::string fdb_a = nsnet::show_fdb(ns1, {.dev = a1});
    ctx.note("ns1 (A) bridge fdb show dev vx0:\n" + fdb_a);
    auto entry = learned(a1, *b1.info().mac, "172.16.0.20");
    ctx.check("case 1: A's FDB shows B's vx0 MAC learned behind 172.16.0.20", entry.has_value(),
              entry ? entry->to_string({}, false) : "not learned: " + fdb_a);

    // ---- case 2, the mirror: A (ns3) with remote B, B (ns4) without a remote
    ctx.note("case 2 (mirror): A = ns3 (172.16.0.10) has remote B, B = ns4 (172.16.0.20) has no remote");
    auto& ns3 = ctx.netns("ns3");
    auto& ns4 = ctx.netns("ns4");
    underlay(ctx, ns3, ns4);
    // # Server A eth0 ip 1.1.1.1
    // ip link add vx0 type vxlan id 100 local 1.1.1.1 remote 2.2.2.2 dev eth0 dstport 4789
    auto& a2 = ctx.own(nsnet::Vxlan::create(ns3, {.name = "vx0", .vni = 100, .local = "172.16.0.10",
                                                  .remote = "172.16.0.20", .device = "eth0",
                                                  .destination_port = 4789}));
    // # Server B eth0 ip 2.2.2.2
    // ip link add vx0 type vxlan id 100 local 2.2.2.2 dev eth0 dstport 4789
    auto& b2 = ctx.own(nsnet::Vxlan::create(ns4, {.name = "vx0", .vni = 100, .local = "172.16.0.20",
                                                  .device = "eth0", .destination_port = 4789}));
    a2.add_address("172.20.0.10/24");
    a2.up();
    b2.add_address("172.20.0.20/24");
    b2.up();
    describe(ctx, "ns3 (A)", a2);
    describe(ctx, "ns4 (B)", b2);
    // ip netns exec ns3 ping 172.20.0.20 -c 2   (A -> B)
    auto ab2 = ping2(ns3, "172.20.0.20");
    ctx.check("mirror: A -> B (172.20.0.20) answers", ab2.all_answered(), ab2.summary());
    // ip netns exec ns4 ping 172.20.0.10 -c 2   (B -> A, afterwards)
    auto ba2 = ping2(ns4, "172.20.0.10");
    ctx.check("mirror: afterwards B -> A (172.20.0.10) answers", ba2.all_answered(), ba2.summary());
    // ip netns exec ns4 bridge fdb show dev vx0
    std::string fdb_b = nsnet::show_fdb(ns4, {.dev = b2});
    ctx.note("ns4 (B) bridge fdb show dev vx0:\n" + fdb_b);
    auto entry2 = learned(b2, *a2.info().mac, "172.16.0.10");
    ctx.check("mirror: B's FDB shows A's vx0 MAC learned behind 172.16.0.10", entry2.has_value(),
              entry2 ? entry2->to_string({}, false) : "not learned: " + fdb_b);

    // ---- beyond the tutorial: three hosts, no remotes, all-zeros entries (head-end replication)
    ctx.note("beyond: h1, h2, h3 (172.16.0.10/.20/.30 on a switch) with vx0 and no remote; "
             "bridge fdb append 00:00:00:00:00:00 dev vx0 dst <each other host>");
    if (std::string why = ctx.kernel_lacks("bridge"); !why.empty()) {
        ctx.skip("head-end replication: three hosts reach each other", why);
        return;
    }
    auto& sw = ctx.netns("sw");
    // ip netns exec sw ip link add underlay type bridge; ip link set underlay up
    auto& br = ctx.own(nsnet::Bridge::create(sw, {.name = "underlay"}));
    br.up();
    std::vector<nsnet::Vxlan*> vx;
    for (int i = 1; i <= 3; ++i) {
        std::string host = "h" + std::to_string(i);
        std::string under = "172.16.0." + std::to_string(10 * i), over = "172.20.0." + std::to_string(10 * i);
        auto& h = ctx.netns(host);
        nsnet::Link::loopback(h).up();
        // ip netns exec sw ip link add pI type veth peer name eth0 netns hI; ip link set pI master underlay up
        auto& cable = ctx.own(nsnet::VethPair::create(sw, {.name = "p" + std::to_string(i), .peer = {.name = "eth0", .netns = h}}));
        br.add_port(cable.first());
        cable.first().up();
        // ip netns exec hI ip address add 172.16.0.X/24 dev eth0; ip link set eth0 up
        cable.second().add_address(under + "/24");
        cable.second().up();
        ctx.wait_until_up(cable.second());
        // ip netns exec hI ip link add vx0 type vxlan id 100 local 172.16.0.X dev eth0 dstport 4789
        auto& v = ctx.own(nsnet::Vxlan::create(h, {.name = "vx0", .vni = 100, .local = under,
                                                   .device = "eth0", .destination_port = 4789}));
        // ip netns exec hI ip address add 172.20.0.X/24 dev vx0; ip link set vx0 up
        v.add_address(over + "/24");
        v.up();
        vx.push_back(&v);
    }
    ctx.wait_until_up(br);
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 3; ++j)
            if (i != j) {
                // ip netns exec hI bridge fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.J0
                // (the entry dies with vx0: the lab keeps it, persist())
                const nsnet::Vxlan& v = *vx[static_cast<std::size_t>(i - 1)];
                nsnet::FdbEntry::append(v.netns(), {.dev = v, .dst = "172.16.0." + std::to_string(10 * j)}).persist();
            }
    ctx.note("h1 bridge fdb show dev vx0:\n" + nsnet::show_fdb(vx[0]->netns(), {.dev = *vx[0]}));
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 3; ++j) {
            if (i == j) continue;
            std::string to = "172.20.0." + std::to_string(10 * j);
            // ip netns exec hI ping 172.20.0.J0 -c 2
            auto r = ping2(ctx.netns("h" + std::to_string(i)), to.c_str());
            ctx.check("head-end replication: h" + std::to_string(i) + " -> h" + std::to_string(j) + " (" + to + ") answers",
                      r.all_answered(), r.summary());
        }
});
