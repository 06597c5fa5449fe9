// Integration tests of include/nsnet/macvlan.hpp (root): macvlans (and a macvtap) created in every
// mode, read back from the kernel, changed and deleted; placed in another namespace by the creating
// request; the modes' reachability claims on a simulated switch (bridge: siblings talk directly;
// private: never; vepa: only when the switch port reflects, i.e. hairpin); passthru exclusivity
// with an error that says why.
#include "nsnet/macvlan.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "link_kinds.hpp"
#include "nsnet/route.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;
using nsnet::test::Uplink;

TEST_CASE("Macvlan: every mode created, read back, changed, deleted") {
    Uplink u = Uplink::make();
    for (MacvlanMode mode : {MacvlanMode::Bridge, MacvlanMode::Vepa, MacvlanMode::Private, MacvlanMode::Source,
                             MacvlanMode::Passthru}) {
        std::string mode_name = rtnl::to_string(mode);
        CAPTURE(mode_name);
        Macvlan m = Macvlan::create(u.host, {.name = "ens41m1", .parent = u.ens41(), .mode = mode});
        LinkInfo l = m.info();
        CHECK(l.kind == "macvlan");
        CHECK(l.parent == u.ens41().index());
        CHECK(m.settings().mode == mode);
        CHECK(macvlan_info(l)->mode == mode);
        CHECK(m.describe().rfind(std::string("macvlan mode ") + rtnl::to_string(mode), 0) == 0);  // source adds "remotes (0)", as ip
        if (auto ip = test::ip_detail(u.host, "ens41m1")) {
            INFO(*ip);
            CHECK(ip->find(std::string("macvlan mode ") + rtnl::to_string(mode)) != std::string::npos);
        }
        if (mode == MacvlanMode::Passthru) {
            CHECK(l.mac == u.ens41().info().mac);  // passthru inherits the parent's MAC
        } else {
            MacvlanMode other = mode == MacvlanMode::Private ? MacvlanMode::Bridge : MacvlanMode::Private;
            m.set_mode(other);
            CHECK(m.mode() == other);
        }
        m.remove();
        CHECK_FALSE(Link::find(u.host, "ens41m1"));
    }
}

TEST_CASE("Macvlan: MAC, MTU, source list and macvtap are what the kernel holds") {
    Uplink u = Uplink::make();
    auto mac = MacAddress::parse("02:00:00:00:00:47");
    Macvlan m = Macvlan::create(u.host, {.name = "m2", .parent = u.ens41(), .mode = MacvlanMode::Bridge, .mac = mac, .mtu = 1400});
    LinkInfo l = m.info();
    CHECK(l.mac == mac);
    CHECK(l.mtu == 1400);

    Macvlan s = Macvlan::create(u.host, {.name = "m5", .parent = u.ens41(), .mode = MacvlanMode::Source,
                                 .source_macs = {MacAddress::parse("02:00:00:00:00:0a"), MacAddress::parse("02:00:00:00:00:0b")}});
    MacvlanInfo si = s.settings();
    CHECK(si.mode == MacvlanMode::Source);
    CHECK(si.source_macs.size() == 2);
    if (auto ip = test::ip_detail(u.host, "m5")) CHECK(ip->find("02:00:00:00:00:0b") != std::string::npos);

    Macvlan t = Macvlan::create(u.host, {.name = "mt0", .parent = u.ens41(), .mode = MacvlanMode::Bridge, .tap = true});
    CHECK(t.info().kind == "macvtap");
    CHECK(t.settings().tap);
    CHECK(t.describe() == "macvtap mode bridge");
    t.set_mode(MacvlanMode::Vepa);
    CHECK(t.settings().mode == MacvlanMode::Vepa);

    // Refused before the kernel sees anything, naming the value.
    try {
        (void)Macvlan::create(u.host, {.name = "m9", .parent = u.ens41(), .mtu = 9000});
        FAIL("mtu 9000 above the parent's 1500 was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("MacvlanOptions.mtu: 9000 exceeds the mtu of parent 'ens41' (1500)") != std::string::npos);
    }
    try {
        (void)Macvlan::create(u.host, {.name = "m9"});
        FAIL("a macvlan without a parent was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("MacvlanOptions.parent: not given") != std::string::npos);
    }
    try {
        (void)Macvlan::create(NetnsRef{}, {.name = "m9", .parent = u.ens41()});
        FAIL("an empty NetnsRef was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("NetnsRef::current()") != std::string::npos);
    }
    CHECK_FALSE(Link::find(u.host, "m9"));
    CHECK_THROWS_AS((void)Macvlan::create(u.host, {.name = "m9", .parent = u.ens41(), .mode = MacvlanMode::Bridge,
                                           .source_macs = {MacAddress::parse("02:00:00:00:00:0a")}}),
                    InvalidArgument);
    CHECK_FALSE(Link::find(u.host, "m9"));
}

TEST_CASE("Macvlan: created directly in another namespace by the same request") {
    Uplink u = Uplink::make();
    Netns ns2 = Netns::create(unique_name("n"));
    Macvlan m = Macvlan::create(ns2, {.name = "ens41m1", .parent = u.ens41(), .mode = MacvlanMode::Bridge});
    CHECK(m.netns() == ns2);
    CHECK_FALSE(Link::find(u.host, "ens41m1"));
    auto there = Link::find(ns2, "ens41m1");
    REQUIRE(there);
    LinkInfo l = there->info();
    CHECK(l.link_netnsid.has_value());  // its parent lives in another namespace
    CHECK(macvlan_info(l)->mode == MacvlanMode::Bridge);
    // Moving it afterwards (the tutorial's `ip link set ens41m2 netns ns3`) works as well.
    Netns ns3 = Netns::create(unique_name("n"));
    Macvlan m2 = Macvlan::create(u.host, {.name = "ens41m2", .parent = u.ens41(), .mode = MacvlanMode::Bridge});
    m2.set_netns(ns3);
    CHECK(Link::find(ns3, "ens41m2"));
    CHECK(m2.settings().mode == MacvlanMode::Bridge);
    m.remove();
    m2.remove();
    CHECK_FALSE(Link::find(ns2, "ens41m1"));
    CHECK_FALSE(Link::find(ns3, "ens41m2"));
}

TEST_CASE("Macvlan: get/find check the kind; adopt owns it and reads its parent from the kernel") {
    Uplink u = Uplink::make();
    Netns ns2 = Netns::create(unique_name("n"));
    {
        Macvlan here = Macvlan::create(u.host, {.name = "mvh", .parent = u.ens41(), .mode = MacvlanMode::Bridge});
        Macvlan there = Macvlan::create(ns2, {.name = "mvt", .parent = u.ens41(), .mode = MacvlanMode::Private, .tap = true});
        here.persist();
        there.persist();
    }
    CHECK(Macvlan::get(u.host, "mvh").name() == "mvh");
    CHECK(Macvlan::find(ns2, "mvt"));  // a macvtap is found as a macvlan
    CHECK_FALSE(Macvlan::find(u.host, "nosuch0"));
    try {
        (void)Macvlan::get(u.host, "nosuch0");
        FAIL("get of a missing link returned");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENODEV);
        CHECK(e.object() == "nosuch0");
    }
    for (auto wrong : {std::function<void()>([&] { (void)Macvlan::get(u.host, "ens41"); }),
                       std::function<void()>([&] { (void)Macvlan::find(u.host, "ens41"); }),
                       std::function<void()>([&] { (void)Macvlan::adopt(u.host, "ens41"); }),
                       std::function<void()>([&] { (void)Macvlan::adopt(u.ens41()); })}) {
        try {
            wrong();
            FAIL("a veth was taken for a macvlan");
        } catch (const InvalidArgument& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find("link 'ens41' in namespace " + u.host.display_name() + " is a veth, not a macvlan") !=
                  std::string::npos);
        }
    }
    {
        Macvlan a = Macvlan::adopt(u.host, "mvh");
        CHECK(a.owned());
        CHECK(a.parent() == u.ens41());  // same namespace: IFLA_LINK
        CHECK(a.parent().name() == "ens41");
        CHECK(a.describe() == "macvlan mode bridge");
        Macvlan b = Macvlan::adopt(Macvlan::get(ns2, "mvt"));
        CHECK(b.parent() == u.ens41());  // another namespace: IFLA_LINK + IFLA_LINK_NETNSID
        CHECK(b.parent().netns() == u.host);
        CHECK(b.describe() == "macvtap mode private");
    }
    CHECK_FALSE(Link::find(u.host, "mvh"));  // the adopting owners deleted them
    CHECK_FALSE(Link::find(ns2, "mvt"));
    // Any owner is a parent too (it converts to its const Link&): a macvlan on the switch bridge.
    Macvlan on_bridge = Macvlan::create(u.sw, {.name = "brm0", .parent = u.bridge, .mode = MacvlanMode::Bridge});
    CHECK(on_bridge.parent() == u.bridge.link());
    CHECK(on_bridge.info().parent == u.bridge.index());
}

TEST_CASE("Macvlan passthru takes the parent for itself; the refusal says so") {
    Uplink u = Uplink::make();
    Macvlan p = Macvlan::create(u.host, {.name = "macvlan1", .parent = u.ens41(), .mode = MacvlanMode::Passthru});
    for (MacvlanMode second : {MacvlanMode::Passthru, MacvlanMode::Bridge}) {
        try {
            (void)Macvlan::create(u.host, {.name = "macvlan2", .parent = u.ens41(), .mode = second});
            FAIL("a second macvlan on a passthru parent was accepted");
        } catch (const Error& e) {
            CHECK(e.errnum() == EINVAL);
            std::string what = e.what();
            INFO(what);
            CHECK(what.find("already has a passthru macvlan ('macvlan1')") != std::string::npos);
            CHECK(e.object() == "macvlan2");
        }
    }
    CHECK_FALSE(Link::find(u.host, "macvlan2"));
    // Moved to another namespace, it still holds the parent; the error still explains.
    Netns ns2 = Netns::create(unique_name("n"));
    p.set_netns(ns2);
    try {
        (void)Macvlan::create(u.host, {.name = "macvlan2", .parent = u.ens41(), .mode = MacvlanMode::Bridge});
        FAIL("a second macvlan on a passthru parent was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("passthru") != std::string::npos);
    }
    // Switching into or out of passthru is refused with a reason.
    try {
        p.set_mode(MacvlanMode::Bridge);
        MESSAGE("this kernel switched a macvlan out of passthru");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("passthru") != std::string::npos);
    }
    p.remove();
    // And passthru is refused for a parent that already carries a macvlan.
    Macvlan b = Macvlan::create(u.host, {.name = "m1", .parent = u.ens41(), .mode = MacvlanMode::Bridge});
    try {
        (void)Macvlan::create(u.host, {.name = "macvlan1", .parent = u.ens41(), .mode = MacvlanMode::Passthru});
        FAIL("passthru on a parent with a macvlan was accepted");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("passthru needs parent 'ens41' for itself, but it already has macvlan 'm1'") !=
              std::string::npos);
    }
}

namespace {

// Two macvlans of `mode` on ens41, in their own namespaces at 10.40.1.247/.248, the switch at .254.
struct Siblings {
    Netns ns2, ns3;
    Macvlan m1, m2;
};

Siblings siblings(Uplink& u, MacvlanMode mode) {
    Siblings s{Netns::create(unique_name("n")), Netns::create(unique_name("n")), {}, {}};
    u.ens41().add_address("10.40.1.246/24");
    s.m1 = Macvlan::create(s.ns2, {.name = "ens41m1", .parent = u.ens41(), .mode = mode});
    s.m2 = Macvlan::create(s.ns3, {.name = "ens41m2", .parent = u.ens41(), .mode = mode});
    s.m1.add_address("10.40.1.247/24");
    s.m2.add_address("10.40.1.248/24");
    s.m1.up();
    s.m2.up();
    test::wait_up(s.m1);
    test::wait_up(s.m2);
    return s;
}

}  // namespace

TEST_CASE("Macvlan bridge mode: siblings reach each other and the switch, not the parent") {
    Uplink u = Uplink::make("10.40.1.254/24");
    Siblings s = siblings(u, MacvlanMode::Bridge);
    auto r = test::ping_ok(s.ns2, "10.40.1.248");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_ok(s.ns3, "10.40.1.254");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_fails(s.ns3, "10.40.1.246");
    CHECK_MESSAGE(r.none_answered(), r.summary());
}

TEST_CASE("Macvlan private mode: siblings never reach each other, even with hairpin on the switch") {
    Uplink u = Uplink::make("10.40.1.254/24");
    Siblings s = siblings(u, MacvlanMode::Private);
    auto r = test::ping_ok(s.ns2, "10.40.1.254");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_fails(s.ns2, "10.40.1.248");
    CHECK_MESSAGE(r.none_answered(), r.summary());
    u.bridge.set_port(u.port1(), {.hairpin = true});
    r = test::ping_fails(s.ns2, "10.40.1.248");
    CHECK_MESSAGE(r.none_answered(), r.summary());
}

TEST_CASE("Macvlan vepa mode: siblings reach each other only through a reflecting switch port") {
    Uplink u = Uplink::make("10.40.1.254/24");
    Siblings s = siblings(u, MacvlanMode::Vepa);
    auto r = test::ping_fails(s.ns2, "10.40.1.248");
    CHECK_MESSAGE(r.none_answered(), r.summary());
    u.bridge.set_port(u.port1(), {.hairpin = true});
    CHECK(u.bridge.port_info(u.port1()).hairpin);
    r = test::ping_ok(s.ns2, "10.40.1.248");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    u.bridge.set_port(u.port1(), {.hairpin = false});
}

TEST_CASE("Macvlan on a bridge port is refused (EBUSY), and the error says why") {
    Uplink u = Uplink::make();
    // port1 is a port of the switch bridge: its receive hook belongs to the bridge.
    try {
        (void)Macvlan::create(u.sw, {.name = "m1", .parent = u.port1(), .mode = MacvlanMode::Bridge});
        FAIL("a macvlan on a bridge port was accepted");
    } catch (const Error& e) {
        CHECK(e.errnum() == EBUSY);
        CHECK(std::string(e.what()).find("already claimed by another upper device") != std::string::npos);
    }
    CHECK_FALSE(Link::find(u.sw, "m1"));
}
