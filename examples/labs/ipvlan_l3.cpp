// examples/labs/ipvlan_l3.cpp — the tutorial's IPVLAN / L3 section (see ipvlan_l3.hpp): ipvlans in
// l3 mode hand their packets to the parent's namespace, which routes them.
// Checks: ns2 -> ns3 across subnets answers; ns3 -> 10.40.1.1 fails while the lan router has no
// return route to 192.168.152.0/24, answers once it has one. SKIP where the kernel has no ipvlan.
#include "ipvlan_l3.hpp"

NSNET_LAB("ipvlan-l3", "IPVLAN / L3", [](lab::Context& ctx) {
    auto t = lab::ipvlan_l3_setup(ctx, nsnet::IpvlanMode::L3);
    if (!t) return;
    lab::ipvlan_l3_checks_run(ctx, *t);
});
