// Unit tests for include/nsnet/rtnl/bridge.hpp: bridge and bridge-port requests equal iproute2's
// bytes (tests/unit/golden/bridge_*, brport_*), and the decoders read back what the kernel sends.
#include "nsnet/rtnl/bridge.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstring>

#include "../golden.hpp"

using namespace nsnet;
using namespace std::chrono_literals;
using rtnl::BridgeConfig;
using rtnl::BridgePortConfig;
using rtnl::Centiseconds;

namespace {

void check_golden(const char* name, const nl::MessageBuilder& m) {
    CAPTURE(name);
    auto g = golden::load(name);
    INFO("golden cmd: " << g.cmd);
    NSNET_CHECK_GOLDEN(golden::as_sent(m), g);
}

// The IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA / IFLA_PROTINFO payload of a message we built, as a
// kernel reply would carry it (the encoder's own attributes, decoded back).
std::vector<std::byte> inner_payload(const nl::MessageBuilder& m, std::uint16_t outer, std::uint16_t inner) {
    nl::MessageView v(m.bytes());
    for (nl::Attr a : v.attrs<ifinfomsg>()) {
        if (a.type() != outer) continue;
        if (inner == 0) return {a.payload().begin(), a.payload().end()};
        for (nl::Attr i : a.nested())
            if (i.type() == inner) return {i.payload().begin(), i.payload().end()};
    }
    return {};
}

}  // namespace

TEST_CASE("bridge_new equals `ip link add NAME type bridge [options]`") {
    check_golden("bridge_add", rtnl::bridge_new({.name = "br0"}, {}));
    check_golden("bridge_stp", rtnl::bridge_new({.name = "br1"}, {.stp = true}));
    check_golden("bridge_vlan_filtering", rtnl::bridge_new({.name = "br2"}, {.vlan_filtering = true}));
    // forward_delay 400 hello_time 200 max_age 1200 ageing_time 6000 stp_state 0 priority 100 mcast_snooping 0
    check_golden("bridge_options", rtnl::bridge_new({.name = "br3"}, {.forward_delay = 4s,
                                                                       .hello_time = 2s,
                                                                       .max_age = 12s,
                                                                       .ageing_time = 60s,
                                                                       .stp = false,
                                                                       .priority = 100,
                                                                       .multicast_snooping = false}));
}

TEST_CASE("bridge_change equals `ip link set br0 type bridge stp_state 1`") {
    check_golden("bridge_set_stp", rtnl::bridge_change(4, {.stp = true}));
}

TEST_CASE("bridge_port_change equals `ip link set PORT type bridge_slave ...`") {
    check_golden("brport_hairpin_ip", rtnl::bridge_port_change(3, {.hairpin = true}));
    check_golden("brport_learning_off_ip", rtnl::bridge_port_change(3, {.learning = false}));
    check_golden("brport_flood_off_ip", rtnl::bridge_port_change(3, {.unicast_flood = false}));
    check_golden("brport_mcast_flood_off_ip", rtnl::bridge_port_change(3, {.multicast_flood = false}));
    check_golden("brport_bcast_flood_off_ip", rtnl::bridge_port_change(3, {.broadcast_flood = false}));
    check_golden("brport_isolated_ip", rtnl::bridge_port_change(3, {.isolated = true}));
    check_golden("brport_multi_ip", rtnl::bridge_port_change(3, {.priority = 10,
                                                                  .cost = 50,
                                                                  .hairpin = true,
                                                                  .learning = false,
                                                                  .unicast_flood = false,
                                                                  .multicast_flood = false,
                                                                  .broadcast_flood = false,
                                                                  .neigh_suppress = true,
                                                                  .isolated = true}));
}

TEST_CASE("bridge_port_change_protinfo equals `bridge link set dev PORT ...`") {
    check_golden("brport_hairpin_bridge", rtnl::bridge_port_change_protinfo(3, {.hairpin = true}));
    check_golden("brport_learning_off_bridge", rtnl::bridge_port_change_protinfo(3, {.learning = false}));
    check_golden("brport_flood_off_bridge", rtnl::bridge_port_change_protinfo(3, {.unicast_flood = false}));
    check_golden("brport_mcast_flood_off_bridge", rtnl::bridge_port_change_protinfo(3, {.multicast_flood = false}));
    check_golden("brport_bcast_flood_off_bridge", rtnl::bridge_port_change_protinfo(3, {.broadcast_flood = false}));
    check_golden("brport_isolated_bridge", rtnl::bridge_port_change_protinfo(3, {.isolated = true}));
    check_golden("brport_multi_bridge", rtnl::bridge_port_change_protinfo(3, {.priority = 10,
                                                                              .cost = 50,
                                                                              .hairpin = true,
                                                                              .learning = false,
                                                                              .unicast_flood = false,
                                                                              .multicast_flood = false,
                                                                              .broadcast_flood = false,
                                                                              .neigh_suppress = true,
                                                                              .isolated = true}));
}

TEST_CASE("empty configs: no IFLA_INFO_DATA on create, nothing to change") {
    CHECK(BridgeConfig{}.empty());
    CHECK_FALSE(BridgeConfig{.priority = 1}.empty());
    CHECK(BridgePortConfig{}.empty());
    CHECK_FALSE(BridgePortConfig{.isolated = false}.empty());
    auto m = rtnl::bridge_new({.name = "br0"}, {});
    CHECK(inner_payload(m, IFLA_LINKINFO, IFLA_INFO_DATA).empty());
}

TEST_CASE("decode_bridge reads the bridge's data back; other kinds are nullopt") {
    auto m = rtnl::bridge_new({.name = "br3"}, {.forward_delay = 4s, .hello_time = 2s, .max_age = 12s, .ageing_time = 60s,
                                                .stp = true, .priority = 100, .vlan_filtering = true,
                                                .multicast_snooping = false});
    rtnl::LinkInfo l{};
    l.kind = "bridge";
    l.info_data = inner_payload(m, IFLA_LINKINFO, IFLA_INFO_DATA);
    REQUIRE_FALSE(l.info_data.empty());
    auto b = rtnl::decode_bridge(l);
    REQUIRE(b);
    CHECK(b->forward_delay == Centiseconds(400));
    CHECK(b->hello_time == Centiseconds(200));
    CHECK(b->max_age == Centiseconds(1200));
    CHECK(b->ageing_time == Centiseconds(6000));
    CHECK(b->stp);
    CHECK(b->stp_state == 1);
    CHECK(b->priority == 100);
    CHECK(b->vlan_filtering);
    CHECK_FALSE(b->multicast_snooping);
    CHECK(b->to_string() ==
          "forward_delay 400 hello_time 200 max_age 1200 ageing_time 6000 stp_state 1 priority 100 vlan_filtering 1 "
          "mcast_snooping 0");

    l.kind = "veth";
    CHECK_FALSE(rtnl::decode_bridge(l));
}

TEST_CASE("decode_bridge_port reads IFLA_INFO_SLAVE_DATA, or IFLA_PROTINFO of AF_BRIDGE dumps") {
    BridgePortConfig c{.priority = 10, .cost = 50, .hairpin = true, .learning = false, .unicast_flood = false,
                       .multicast_flood = true, .broadcast_flood = false, .neigh_suppress = true, .isolated = true};
    rtnl::LinkInfo l{};
    l.kind = "veth";
    CHECK_FALSE(rtnl::decode_bridge_port(l));  // not a port

    l.slave_kind = "bridge";
    l.slave_info_data = inner_payload(rtnl::bridge_port_change(3, c), IFLA_LINKINFO, IFLA_INFO_SLAVE_DATA);
    REQUIRE_FALSE(l.slave_info_data.empty());
    auto p = rtnl::decode_bridge_port(l);
    REQUIRE(p);
    CHECK(p->priority == 10);
    CHECK(p->cost == 50);
    CHECK(p->hairpin);
    CHECK_FALSE(p->learning);
    CHECK_FALSE(p->unicast_flood);
    CHECK(p->multicast_flood);
    CHECK_FALSE(p->broadcast_flood);
    CHECK(p->neigh_suppress);
    CHECK(p->isolated);

    rtnl::LinkInfo d{};  // an AF_BRIDGE dump entry: no slave kind, IFLA_PROTINFO instead
    d.protinfo = inner_payload(rtnl::bridge_port_change_protinfo(3, c), IFLA_PROTINFO, 0);
    auto q = rtnl::decode_bridge_port(d);
    REQUIRE(q);
    CHECK(*q == *p);
}

TEST_CASE("BridgePortInfo::to_string uses ip -d link show's words") {
    rtnl::BridgePortInfo p{};
    p.state = rtnl::BridgePortState::Forwarding;
    p.priority = 32;
    p.cost = 2;
    p.learning = p.unicast_flood = p.multicast_flood = p.broadcast_flood = true;
    p.hairpin = true;
    CHECK(p.to_string() ==
          "state forwarding priority 32 cost 2 hairpin on guard off root_block off fastleave off learning on flood on "
          "proxy_arp off mcast_flood on bcast_flood on neigh_suppress off isolated off");
    CHECK(std::string(rtnl::to_string(rtnl::BridgePortState::Blocking)) == "blocking");
}

TEST_CASE("bridge vlan add|del|show requests equal bridge(8)'s (golden/capture_cni.py)") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::bridge_vlan_add(3, {.vid = 10, .pvid = true, .untagged = true})),
                       golden::load("bridge_vlan_add_pvid_untagged"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::bridge_vlan_add(3, {.vid = 20})), golden::load("bridge_vlan_add"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::bridge_vlan_del(3, 1)), golden::load("bridge_vlan_del"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::bridge_vlan_dump()), golden::load("bridge_vlan_show"));
    // `self` (the bridge device's own VLANs): IFLA_BRIDGE_FLAGS before the VLAN info.
    auto self = rtnl::bridge_vlan_add(4, {.vid = 10}, true);
    nl::MessageView v(self.bytes());
    auto spec = v.attrs<ifinfomsg>().find(IFLA_AF_SPEC);
    REQUIRE(spec);
    auto it = spec->nested().begin();
    CHECK((*it).type() == IFLA_BRIDGE_FLAGS);
    CHECK((*it).u16() == BRIDGE_FLAGS_SELF);
    ++it;
    CHECK((*it).type() == IFLA_BRIDGE_VLAN_INFO);
    CHECK_THROWS_AS(rtnl::bridge_vlan_add(3, {.vid = 0}), Error);
    CHECK_THROWS_AS(rtnl::bridge_vlan_add(3, {.vid = 4095}), Error);
    CHECK_THROWS_AS(rtnl::bridge_vlan_del(3, 5000), Error);
}

TEST_CASE("decode_bridge_vlans reads IFLA_AF_SPEC of an AF_BRIDGE dump, ranges expanded") {
    // A message shaped as the kernel's reply to bridge_vlan_dump(): what the requests above carry,
    // plus a compressed range 100-102.
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_BRIDGE;
    ifi.ifi_index = 3;
    m.put_header(ifi);
    m.put_string(IFLA_IFNAME, "v0");
    {
        auto spec = m.nest(IFLA_AF_SPEC);
        bridge_vlan_info a{BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1};
        bridge_vlan_info b{0, 10};
        bridge_vlan_info r1{BRIDGE_VLAN_INFO_RANGE_BEGIN, 100};
        bridge_vlan_info r2{BRIDGE_VLAN_INFO_RANGE_END, 102};
        for (const auto& i : {a, b, r1, r2}) m.put(IFLA_BRIDGE_VLAN_INFO, i);
    }
    auto got = rtnl::decode_bridge_vlans(nl::MessageView(m.bytes()));
    REQUIRE(got);
    CHECK(got->index == 3);
    using V = rtnl::BridgeVlan;
    std::vector<V> want{{.vid = 1, .pvid = true, .untagged = true}, {.vid = 10}, {.vid = 100}, {.vid = 101}, {.vid = 102}};
    CHECK(got->vlans == want);
    // Not AF_BRIDGE: not a VLAN list.
    nl::MessageBuilder other(RTM_NEWLINK, 0);
    other.put_header(ifinfomsg{});
    CHECK_FALSE(rtnl::decode_bridge_vlans(nl::MessageView(other.bytes())));
}
