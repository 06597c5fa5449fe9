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
