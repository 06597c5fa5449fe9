// examples/labs/netns.cpp — the tutorial's 网络命名空间 section: two namespaces joined by a veth pair.
//
// Each tutorial command is quoted above the nsnet call that does it. Namespace names carry the
// driver's prefix (n1 is nsl-n1); interface names and addresses are the tutorial's.
// Checks: a fresh namespace has only `lo`, and it is down; n1 -> 10.10.10.2: 4 sent, 4 received.
#include "lab.hpp"

namespace {

// "only lo, and it is down": the check and what was measured ("lo DOWN" / "lo UP, veth0 DOWN").
void check_fresh(lab::Context& ctx, const nsnet::NetnsRef& ns, const std::string& base) {
    auto links = nsnet::Link::list(ns);
    std::string seen;
    for (const auto& l : links) seen += (seen.empty() ? "" : ", ") + l.name + (l.is_up() ? " UP" : " DOWN");
    bool only_lo_down = links.size() == 1 && links[0].name == "lo" && !links[0].is_up();
    ctx.check("fresh namespace " + base + " has only lo, and it is down", only_lo_down, seen);
}

}  // namespace

NSNET_LAB("netns", "网络命名空间", [](lab::Context& ctx) {
    // ip netns add n1
    auto& n1 = ctx.netns("n1");

    // ip netns exec n1 ip link
    ctx.show(n1, "由于什么都没有创建，默认只存 lo（回环网卡）");
    check_fresh(ctx, n1, "n1");

    // ip netns add n2
    auto& n2 = ctx.netns("n2");
    // ip netns exec n2 ip a
    ctx.show(n2);
    check_fresh(ctx, n2, "n2");

    // ip link add veth-n1 type veth peer name veth-n2
    // ip link set veth-n1 netns n1
    // ip link set veth-n2 netns n2
    // nsnet creates both ends directly in n1 and n2 with one request, so the pair never exists in
    // the namespace the lab was started in (the tutorial's host): that one is never touched.
    auto& veth = ctx.own(nsnet::VethPair::create(n1, {.name = "veth-n1", .peer = {.name = "veth-n2", .netns = n2}}));

    // ip netns exec n1 ip a
    ctx.show(n1);
    // ip netns exec n2 ip a
    ctx.show(n2);

    // ip netns exec n1 ip address add 10.10.10.1/24 dev veth-n1
    veth.first().add_address("10.10.10.1/24");
    // ip netns exec n1 ip link set veth-n1 up
    veth.first().up();
    // ip netns exec n2 ip address add 10.10.10.2/24 dev veth-n2
    veth.second().add_address("10.10.10.2/24");
    // ip netns exec n2 ip link set veth-n2 up
    veth.second().up();

    // ip netns exec n1 ip a
    ctx.wait_until_up(veth.first());
    ctx.show(n1);
    // ip netns exec n2 ip a
    ctx.wait_until_up(veth.second());
    ctx.show(n2);

    // ip netns exec n1 ping 10.10.10.2 -c 4
    auto r = nsnet::ping(n1, "10.10.10.2", {.count = 4});
    ctx.check("n1 -> 10.10.10.2: 4 sent, 4 received", r.sent == 4 && r.received == 4, r.summary());
});
