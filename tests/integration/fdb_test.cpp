// Integration tests of include/nsnet/fdb.hpp (root): entries added, appended, replaced, deleted and
// listed on a vxlan (with dst, port, vni, via) and on a bridge port (master, static); errors name
// the entry; head-end replication: three hosts with only all-zeros entries reach each other.
#include "nsnet/fdb.hpp"

#include <doctest/doctest.h>

#include <string>

#include "nsnet/bridge.hpp"
#include "support.hpp"
#include "vxlan_support.hpp"

using namespace nsnet;
using nsnet::test::Hosts;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }
MacAddress mac(const char* s) { return MacAddress::parse(s); }

template <class Fn>
Error caught(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    return Error(0, "(nothing thrown)");
}

}  // namespace

TEST_CASE("Fdb on a vxlan: add, replace, append, delete, list") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    Vxlan vx = Vxlan::create(h.ns[0], {.name = "vx0", .vni = 100, .local = ip("172.16.0.10"), .device = "eth0"});
    Fdb fdb = vx.fdb();
    CHECK(fdb.list().empty());

    // bridge fdb add 02:00:00:00:00:09 dev vx0 dst 172.16.0.30
    fdb.add({.mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.30")});
    auto e = fdb.find(mac("02:00:00:00:00:09"));
    REQUIRE(e.size() == 1);
    CHECK(e[0].dst == ip("172.16.0.30"));
    CHECK(e[0].permanent());
    CHECK(e[0].self());
    CHECK(e[0].index == vx.index());
    // add again: EEXIST, naming the entry and the device
    Error dup = caught([&] { fdb.add({.mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")}); });
    CHECK(dup.errnum() == EEXIST);
    CHECK(std::string(dup.what()).find("02:00:00:00:00:09") != std::string::npos);
    CHECK(std::string(dup.what()).find("'vx0'") != std::string::npos);

    // bridge fdb replace ... dst 172.16.0.31
    fdb.replace({.mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")});
    e = fdb.find(mac("02:00:00:00:00:09"));
    REQUIRE(e.size() == 1);
    CHECK(e[0].dst == ip("172.16.0.31"));

    // bridge fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.30 / .40 port 4790 vni 200 via eth0
    fdb.append({.dst = ip("172.16.0.30")});
    fdb.append({.dst = ip("172.16.0.40"), .port = 4790, .vni = 200u, .via = "eth0"});
    auto zero = fdb.find(MacAddress{});
    REQUIRE(zero.size() == 2);
    bool plain = false, detailed = false;
    for (const auto& z : zero) {
        if (z.dst == ip("172.16.0.30")) plain = !z.port && !z.vni && z.via == 0;
        if (z.dst == ip("172.16.0.40")) detailed = z.port == 4790 && z.vni == 200u && z.via == h.eth0(0).index();
    }
    CHECK(plain);
    CHECK(detailed);
    std::string shown = fdb.show();
    CHECK(shown.find("00:00:00:00:00:00 dst 172.16.0.40 port 4790 vni 200 via eth0 self permanent\n") != std::string::npos);
    if (auto out = test::run_ip(h.ns[0], {"fdb", "show", "dev", "vx0"}, "bridge")) {
        INFO(*out);
        INFO(shown);
        for (const auto& line : {std::string("00:00:00:00:00:00 dst 172.16.0.30 self permanent"),
                                 std::string("00:00:00:00:00:00 dst 172.16.0.40 port 4790 vni 200 via eth0 self permanent"),
                                 std::string("02:00:00:00:00:09 dst 172.16.0.31 self permanent")}) {
            CHECK(out->find(line) != std::string::npos);
            CHECK(shown.find(line) != std::string::npos);
        }
    }

    // bridge fdb del 00:00:00:00:00:00 dev vx0 dst 172.16.0.30: only that remote goes
    fdb.remove({.dst = ip("172.16.0.30")});
    zero = fdb.find(MacAddress{});
    REQUIRE(zero.size() == 1);
    CHECK(zero[0].dst == ip("172.16.0.40"));
    fdb.remove({.mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")});
    CHECK(fdb.find(mac("02:00:00:00:00:09")).empty());
    Error gone = caught([&] { fdb.remove({.mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")}); });
    CHECK(gone.errnum() == ENOENT);

    // A dynamic entry (bridge fdb add ... dynamic) is listed as such.
    fdb.add({.mac = mac("02:00:00:00:00:0b"), .dst = ip("172.16.0.32"), .state = FdbState::Dynamic});
    e = fdb.find(mac("02:00:00:00:00:0b"));
    REQUIRE(e.size() == 1);
    CHECK(e[0].dynamic());

    // The namespace-wide listing holds the vxlan's entries too.
    bool in_all = false;
    for (const auto& f : Fdb::list_all(h.ns[0])) in_all |= f.index == vx.index() && f.mac == mac("02:00:00:00:00:0b");
    CHECK(in_all);
    CHECK(caught([&] { fdb.append({.via = "eth9"}); }).errnum() == ENODEV);
}

TEST_CASE("Fdb on a bridge port: bridge fdb add MAC dev PORT master static") {
    if (auto why = test::kind_missing("bridge"); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("fb"));
    Bridge br = Bridge::create(ns, {.name = "br0"});
    VethPair v = VethPair::create(ns, {.name = "p1", .peer = {.name = "p2"}});
    br.add_port(v.first());
    Fdb port(v.first());
    port.add({.mac = mac("02:00:00:00:00:0a"), .state = FdbState::Static, .table = FdbTable::Master});
    // `bridge fdb show dev p1` lists the bridge's entry (master br0 static). A kernel built with
    // bridge VLAN support (Debian's 6.1) gives every port the default VLAN 1 and adds the entry once
    // without a VLAN and once per port VLAN ("vlan 1 master br0 static"): one entry without a VLAN.
    auto e = port.find(mac("02:00:00:00:00:0a"));
    INFO("entries: " << Fdb::format(ns, e));
    for (const auto& f : e) CHECK(f.in_master());
    std::erase_if(e, [](const FdbInfo& f) { return f.vlan.has_value(); });
    REQUIRE(e.size() == 1);
    CHECK(e[0].master == br.index());
    CHECK(e[0].is_static());
    CHECK(port.show().find("02:00:00:00:00:0a master br0 static") != std::string::npos);
    port.remove({.mac = mac("02:00:00:00:00:0a"), .table = FdbTable::Master});
    CHECK(port.find(mac("02:00:00:00:00:0a")).empty());
}

TEST_CASE("Fdb: head-end replication — three hosts with only all-zeros entries reach each other") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    if (auto why = test::kind_missing("bridge"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::on_switch(3);
    std::vector<Vxlan> vx;
    for (std::size_t i = 0; i < 3; ++i) {
        // ip link add vx0 type vxlan id 100 local 172.16.0.X dev eth0 dstport 4789   (no remote)
        vx.push_back(h.vxlan(i, {.vni = 100}));
        // bridge fdb append 00:00:00:00:00:00 dev vx0 dst <each other host>
        for (std::size_t j = 0; j < 3; ++j)
            if (j != i) vx[i].fdb().append({.dst = IpAddress::parse(test::underlay_ip(j))});
        CHECK(vx[i].fdb().find(MacAddress{}).size() == 2);
    }
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            if (i == j) continue;
            PingResult r = test::ping_answers(h.ns[i], test::overlay_ip(j));
            CHECK_MESSAGE(r.all_answered(), "host " << i << " -> " << test::overlay_ip(j) << ": " << r.summary());
        }
    // Each host has learned both others behind their underlay addresses.
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            if (i == j) continue;
            auto l = vx[i].fdb().find(*vx[j].info().mac);
            REQUIRE_MESSAGE(l.size() == 1, vx[i].fdb().show());
            CHECK(l[0].dst == IpAddress::parse(test::underlay_ip(j)));
        }
}
