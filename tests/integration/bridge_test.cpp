// Integration tests of include/nsnet/bridge.hpp (root): a bridge created, read back, changed and
// deleted; ports added, their options set and read back from the kernel; forwarding and port
// isolation; errors that name what is wrong. `ip -d link show` is the cross-check when present.
#include "nsnet/bridge.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "link_kinds.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using namespace std::chrono_literals;
using nsnet::test::unique_name;

TEST_CASE("Bridge: created, read back, changed, deleted") {
    Netns ns = Netns::create(unique_name("br"));
    {
        Bridge br = Bridge::create(ns, {.name = "br0", .stp = false, .forward_delay = 4s, .ageing_time = 60s, .priority = 100});
        CHECK(br.owned());
        LinkInfo l = br.info();
        CHECK(l.kind == "bridge");
        BridgeInfo s = br.settings();
        CHECK_FALSE(s.stp);
        CHECK(s.forward_delay.count() == 400);
        CHECK(s.ageing_time.count() == 6000);
        CHECK(s.priority == 100);
        CHECK(s.hello_time.count() == 200);  // kernel default, read back
        CHECK(br.describe().find("forward_delay 400 ") != std::string::npos);
        if (auto ip = test::ip_detail(ns, "br0")) {
            INFO(*ip);
            CHECK(ip->find("bridge forward_delay 400 hello_time 200 max_age 2000 ageing_time 6000 stp_state 0 priority 100") !=
                  std::string::npos);
        }

        // ip link set br0 type bridge stp_state 1 (forward_delay must then be 2..30 s: 4 s is)
        br.set_stp(true);
        CHECK(br.settings().stp);
        br.change({.ageing_time = 120s, .multicast_snooping = false});
        s = br.settings();
        CHECK(s.ageing_time.count() == 12000);
        CHECK_FALSE(s.multicast_snooping);
        if (auto ip = test::ip_detail(ns, "br0")) CHECK(ip->find("stp_state 1") != std::string::npos);
        br.set_stp(false);
        CHECK_FALSE(br.settings().stp);

        // Addresses and state through the Link interface.
        br.add_address("172.16.10.100/24");
        br.up();
        CHECK(br.info().is_up());
        CHECK(br.addresses().size() >= 1);

        br.remove();
        CHECK_FALSE(Link::find(ns, "br0"));
        CHECK_FALSE(br.owned());
    }
    {
        // The destructor deletes it too.
        { Bridge br = Bridge::create(ns, {.name = "br1"}); }
        CHECK_FALSE(Link::find(ns, "br1"));
        // ... unless persisted; adopt() takes it back.
        {
            Bridge br = Bridge::create(ns, {.name = "br2"});
            br.persist();
        }
        auto kept = Bridge::find(ns, "br2");
        REQUIRE(kept);
        CHECK(Bridge::get(ns, "br2") == *kept);
        CHECK_FALSE(Bridge::find(ns, "br9"));
        Bridge again = Bridge::adopt(ns, "br2");
        CHECK(again.owned());
        // A link of another kind is refused by every look-up, naming its real kind.
        VethPair v = VethPair::create(ns, {.name = "notbr0", .peer = {.name = "notbr1"}});
        for (int i = 0; i < 3; ++i) {
            try {
                if (i == 0) (void)Bridge::get(ns, "notbr0");
                if (i == 1) (void)Bridge::find(ns, "notbr0");
                if (i == 2) (void)Bridge::adopt(v.first());
                FAIL("a veth was taken for a bridge");
            } catch (const InvalidArgument& e) {
                CHECK(std::string(e.what()).find("link 'notbr0' in namespace " + ns.display_name() + " is a veth, not a bridge") !=
                      std::string::npos);
            }
        }
    }
    CHECK_FALSE(Link::find(ns, "br2"));
}

TEST_CASE("Bridge: bad options are refused before anything is created, naming the value") {
    Netns ns = Netns::create(unique_name("br"));
    try {
        (void)Bridge::create(ns, {.name = "br0", .forward_delay = 15ms});
        FAIL("a forward_delay of 15 ms was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("BridgeOptions.forward_delay: 15 ms is not a multiple of 10 ms") != std::string::npos);
    }
    try {
        (void)Bridge::create(NetnsRef{}, {.name = "br0"});
        FAIL("an empty NetnsRef was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("NetnsRef::current()") != std::string::npos);
    }
    CHECK_THROWS_AS((void)Bridge::create(ns, {.name = "a-name-too-long-for-linux"}), InvalidArgument);
    CHECK(Link::list(ns).size() == 1);  // only lo
    // The kernel's own refusal carries nsnet's explanation: with STP on, forward_delay must be 2..30 s.
    {
        Bridge br = Bridge::create(ns, {.name = "br0", .stp = true});
        try {
            br.change({.forward_delay = 1s});
            MESSAGE("this kernel accepted forward_delay 1 s with STP on");
        } catch (const Error& e) {
            CHECK(e.errnum() == ERANGE);
            CHECK(std::string(e.what()).find("2..30 s") != std::string::npos);
        }
    }
    CHECK_FALSE(Link::find(ns, "br0"));
}

TEST_CASE("Bridge: VLAN filtering is set and read back where the kernel has it") {
    Netns ns = Netns::create(unique_name("br"));
    try {
        Bridge br = Bridge::create(ns, {.name = "br0", .vlan_filtering = true});
        CHECK(br.settings().vlan_filtering);
        br.change({.vlan_filtering = false});
        CHECK_FALSE(br.settings().vlan_filtering);
    } catch (const Error& e) {
        if (e.errnum() != EOPNOTSUPP) throw;
        CHECK(std::string(e.what()).find("VLAN filtering") != std::string::npos);
        NSNET_SKIP("bridge VLAN filtering: " << std::string(e.what()));
    }
}

TEST_CASE("Bridge ports: added, options set and read back, removed") {
    Netns ns = Netns::create(unique_name("br"));
    Bridge br = Bridge::create(ns, {.name = "br0"});
    VethPair a = VethPair::create(ns, {.name = "veth-1r", .peer = {.name = "veth-1d"}});
    VethPair b = VethPair::create(ns, {.name = "veth-2r", .peer = {.name = "veth-2d"}});

    br.add_port(a.first());
    br.add_port(b.first(), {.hairpin = true, .learning = false});
    auto ports = br.ports();
    REQUIRE(ports.size() == 2);
    CHECK(a.first().info().master == br.index());
    CHECK(a.first().info().slave_kind == "bridge");

    BridgePortInfo pa = br.port_info(a.first());  // kernel defaults
    CHECK_FALSE(pa.hairpin);
    CHECK(pa.learning);
    CHECK(pa.unicast_flood);
    CHECK(pa.multicast_flood);
    CHECK(pa.broadcast_flood);
    CHECK_FALSE(pa.isolated);
    BridgePortInfo pb = br.port_info(b.first());
    CHECK(pb.hairpin);
    CHECK_FALSE(pb.learning);

    br.set_port(a.first(), {.priority = 10, .cost = 50, .unicast_flood = false, .multicast_flood = false,
                            .broadcast_flood = false, .neigh_suppress = true, .isolated = true});
    pa = br.port_info(a.first());
    CHECK(pa.priority == 10);
    CHECK(pa.cost == 50);
    CHECK_FALSE(pa.unicast_flood);
    CHECK_FALSE(pa.multicast_flood);
    CHECK_FALSE(pa.broadcast_flood);
    CHECK(pa.neigh_suppress);
    CHECK(pa.isolated);
    // the same through the LinkInfo decoder (ip -d link show data)
    CHECK(bridge_port_info(a.first().info()) == pa);
    CHECK_FALSE(bridge_port_info(a.second().info()));  // the peer is no port
    if (auto ip = test::ip_detail(ns, "veth-1r")) {
        INFO(*ip);
        CHECK(ip->find("bridge_slave ") != std::string::npos);
        CHECK(ip->find(" priority 10 cost 50 hairpin off") != std::string::npos);
        CHECK(ip->find(" flood off") != std::string::npos);
        CHECK(ip->find(" mcast_flood off bcast_flood off") != std::string::npos);
        CHECK(ip->find(" neigh_suppress on") != std::string::npos);
        CHECK(ip->find(" isolated on") != std::string::npos);
    }
    if (auto ip = test::ip_detail(ns, "veth-2r")) CHECK(ip->find("hairpin on") != std::string::npos);
    CHECK(br.describe_port(b.first()).find("hairpin on") != std::string::npos);

    // The free function does the same for any port.
    set_bridge_port(b.first(), {.hairpin = false, .learning = true});
    pb = br.port_info(b.first());
    CHECK_FALSE(pb.hairpin);
    CHECK(pb.learning);

    br.remove_port(a.first());
    CHECK(a.first().info().master == 0);
    CHECK(br.ports().size() == 1);
    // Not a port (any more): refused with an error that says so.
    CHECK_THROWS_AS(br.set_port(a.first(), {.hairpin = true}), InvalidArgument);
    try {
        set_bridge_port(a.first(), {.hairpin = true});
        FAIL("setting bridge port options on a non-port succeeded");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("not a bridge port") != std::string::npos);
    }
}

TEST_CASE("Bridge ports must be in the bridge's namespace") {
    Netns ns = Netns::create(unique_name("br"));
    Netns other = Netns::create(unique_name("br"));
    Bridge br = Bridge::create(ns, {.name = "br0"});
    VethPair v = VethPair::create(other, {.name = "p0", .peer = {.name = "p1"}});
    try {
        br.add_port(v.first());
        FAIL("a port from another namespace was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("another network namespace") != std::string::npos);
    }
    CHECK(v.first().info().master == 0);
}

TEST_CASE("Bridge forwards between its ports; isolated ports do not talk to each other") {
    // The tutorial's 网桥 topology: bridge 172.16.10.100/24 in `bridge`, veth-1d/veth-2d in ns1/ns2.
    Netns bns = Netns::create(unique_name("br"));
    Netns ns1 = Netns::create(unique_name("n"));
    Netns ns2 = Netns::create(unique_name("n"));
    Bridge br = Bridge::create(bns, {.name = "bridge"});
    br.add_address("172.16.10.100/24");
    br.up();
    VethPair v1 = VethPair::create(bns, {.name = "veth-1r", .peer = {.name = "veth-1d", .netns = ns1}});
    VethPair v2 = VethPair::create(bns, {.name = "veth-2r", .peer = {.name = "veth-2d", .netns = ns2}});
    br.add_port(v1.first());
    br.add_port(v2.first());
    v1.first().up();
    v2.first().up();
    v1.second().add_address("172.16.10.10/24");
    v1.second().up();
    v2.second().add_address("172.16.10.20/24");
    v2.second().up();
    // Carrier changes reach the bridge through linkwatch, asynchronously: wait until every end and
    // the bridge itself are operationally up, so the first echo request is not lost.
    for (const Link* l : {&v1.first(), &v2.first(), &v1.second(), &v2.second(), &br.link()}) CHECK(test::wait_up(*l));

    auto r = test::ping_ok(ns2, "172.16.10.10");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_ok(ns2, "172.16.10.100");
    CHECK_MESSAGE(r.all_answered(), r.summary());

    br.set_port(v1.first(), {.isolated = true});
    br.set_port(v2.first(), {.isolated = true});
    r = test::ping_fails(ns2, "172.16.10.10");
    CHECK_MESSAGE(r.none_answered(), r.summary());
    r = test::ping_ok(ns2, "172.16.10.100");  // the bridge itself is not an isolated port
    CHECK_MESSAGE(r.all_answered(), r.summary());

    br.set_port(v1.first(), {.isolated = false});
    r = test::ping_ok(ns2, "172.16.10.10");
    CHECK_MESSAGE(r.all_answered(), r.summary());
}
