// examples/labs/ipvlan_l3s.cpp — IPVLAN in l3s mode: the tutorial's L3 commands with `mode l3s`
// (ipvlan_l3.hpp), plus its claim "L3S：此模式下 iptables（连接跟踪）正常工作": inbound traffic of
// the slaves passes the netfilter hooks of the parent's namespace (ns1) in l3s, and not in l3.
//
// A counter rule in ns1's input chain counts packets for ipvlan2's subnet. After the L3 checks in
// l3s, the slaves are switched to l3 (`ip link set ipvlanN type ipvlan mode l3`) and the same ping
// is repeated: the lab reports both counts, i.e. what the kernel actually does.
// Checks: the ipvlan-l3 checks in l3s; the counter counts ns3's inbound packets in l3s; it does not
// count them in l3. SKIP where the kernel has no ipvlan (or no nf_tables, for the counter checks).
#include <nsnet/firewall/filter.hpp>

#include "ipvlan_l3.hpp"

NSNET_LAB("ipvlan-l3s", "IPVLAN / L3S", [](lab::Context& ctx) {
    using namespace nsnet;
    namespace fw = nsnet::firewall;  // fw::Rule is not nsnet::Rule (ip rule)
    const char* counted_l3s = "l3s: a counter rule in ns1 (the parent's namespace) counts ns3's inbound packets";
    const char* counted_l3 = "l3: the same counter does not count them (the slaves bypass ns1's netfilter)";
    auto t = lab::ipvlan_l3_setup(ctx, IpvlanMode::L3S, {counted_l3s, counted_l3});
    if (!t) return;
    auto& ns1 = t->base.ns1;
    auto& ns3 = t->base.ns3;

    // Beyond the tutorial (the parent's netfilter sees the slaves' traffic in l3s):
    // ip netns exec ns1 nft add rule ip nsnet input ip daddr 192.168.152.0/24 counter
    fw::FilterRule* counter = nullptr;
    std::string no_nft{};
    try {
        counter = &ctx.own(fw::FilterRule::create(ns1, {.hook = fw::Hook::Input,
                                                      .daddr = Prefix::parse("192.168.152.0/24"),
                                                      .verdict = fw::Verdict::Continue,
                                                      .counter = true}));
        ctx.note("ip netns exec " + ns1.name() + " nft list chain ip nsnet input:  " + counter->to_string());
    } catch (const Error& e) {
        no_nft = e.what();
    }

    lab::ipvlan_l3_checks_run(ctx, *t);  // the last of them: ns3 -> 10.40.1.1, 4 answers, in l3s
    if (!counter) {
        ctx.skip(counted_l3s, "no nf_tables counter in ns1: " + no_nft);
        ctx.skip(counted_l3, "no nf_tables counter in ns1: " + no_nft);
        return;
    }
    auto in_l3s = counter->counters();
    ctx.check(counted_l3s, in_l3s.packets >= 4,
              std::to_string(in_l3s.packets) + " packets counted for 4 echo replies to 192.168.152.10");

    // ip netns exec ns2 ip link set ipvlan1 type ipvlan mode l3
    // ip netns exec ns3 ip link set ipvlan2 type ipvlan mode l3
    t->ipvlan1->set_mode(IpvlanMode::L3);
    t->ipvlan2->set_mode(IpvlanMode::L3);
    lab::show_kind(ctx, "ns3", "ipvlan2", t->ipvlan2->describe());
    auto r = nsnet::ping(ns3, "10.40.1.1", {.count = 4});
    auto in_l3 = counter->counters();
    auto added = in_l3.packets - in_l3s.packets;
    ctx.check(counted_l3, r.all_answered() && added == 0,
              "ping " + r.summary() + "; counter +" + std::to_string(added) + " (" + std::to_string(in_l3.packets) +
                  " in all)");
});
