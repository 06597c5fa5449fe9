// Integration tests of include/nsnet/fdb.hpp (root): entries created, appended, replaced, removed,
// listed and looked up on a vxlan (with dst, port, vni, via) and on a bridge port (master, static);
// the owner removes its entry (an append: its remote) unless persist()ed, the static remove takes a
// kept one (absent is success); errors name the entry; head-end replication: three hosts with only
// all-zeros entries reach each other.
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

TEST_CASE("FdbEntry on a vxlan: create, replace, append, remove, list, get/find") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    const NetnsRef& ns = h.ns[0];
    Vxlan vx = Vxlan::create(ns, {.name = "vx0", .vni = 100, .local = ip("172.16.0.10"), .device = "eth0"});
    CHECK(FdbEntry::list(ns, {.dev = vx}).empty());

    // bridge fdb add 02:00:00:00:00:09 dev vx0 dst 172.16.0.30
    FdbEntry e9 = FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:09", .dst = "172.16.0.30"});
    CHECK(e9.owned());
    CHECK(e9.description() == "02:00:00:00:00:09 dev vx0 dst 172.16.0.30");
    FdbInfo got = FdbEntry::get(ns, {.dev = "vx0", .mac = mac("02:00:00:00:00:09")});
    CHECK(got.dst == ip("172.16.0.30"));
    CHECK(got.permanent());
    CHECK(got.self());
    CHECK(got.index == vx.index());
    // add again: EEXIST, naming the entry and the device
    Error dup = caught([&] { (void)FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:09", .dst = "172.16.0.31"}); });
    CHECK(dup.errnum() == EEXIST);
    CHECK(std::string(dup.what()).find("02:00:00:00:00:09 dev vx0 dst 172.16.0.31") != std::string::npos);

    // bridge fdb replace ... dst 172.16.0.31: the replacing owner removes the entry
    FdbEntry r9 = FdbEntry::replace(ns, {.dev = vx, .mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")});
    auto e = FdbEntry::list(ns, {.dev = vx, .mac = "02:00:00:00:00:09"});
    REQUIRE(e.size() == 1);
    CHECK(e[0].dst == ip("172.16.0.31"));
    CHECK(FdbEntry::find(ns, {.dev = vx, .mac = "02:00:00:00:00:09", .dst = "172.16.0.31"}));
    CHECK_FALSE(FdbEntry::find(ns, {.dev = vx, .mac = "02:00:00:00:00:09", .dst = "172.16.0.30"}));
    e9.persist();  // the same MAC: r9 removes it below

    // bridge fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.30 / .40 port 4790 vni 200 via eth0
    FdbEntry z30 = FdbEntry::append(ns, {.dev = vx, .dst = "172.16.0.30"});
    FdbEntry z40 = FdbEntry::append(ns, {.dev = vx, .dst = "172.16.0.40", .port = 4790, .vni = 200u, .via = "eth0"});
    CHECK(z40.description() == "00:00:00:00:00:00 dev vx0 dst 172.16.0.40 port 4790 vni 200 via eth0");
    auto zero = FdbEntry::list(ns, {.dev = vx, .mac = MacAddress{}});
    REQUIRE(zero.size() == 2);
    bool plain = false, detailed = false;
    for (const auto& z : zero) {
        if (z.dst == ip("172.16.0.30")) plain = !z.port && !z.vni && z.via == 0;
        if (z.dst == ip("172.16.0.40")) detailed = z.port == 4790 && z.vni == 200u && z.via == h.eth0(0).index();
    }
    CHECK(plain);
    CHECK(detailed);
    std::string shown = show_fdb(ns, {.dev = vx});
    CHECK(shown.find("00:00:00:00:00:00 dst 172.16.0.40 port 4790 vni 200 via eth0 self permanent\n") != std::string::npos);
    if (auto out = test::run_ip(ns, {"fdb", "show", "dev", "vx0"}, "bridge")) {
        INFO(*out);
        INFO(shown);
        for (const auto& line : {std::string("00:00:00:00:00:00 dst 172.16.0.30 self permanent"),
                                 std::string("00:00:00:00:00:00 dst 172.16.0.40 port 4790 vni 200 via eth0 self permanent"),
                                 std::string("02:00:00:00:00:09 dst 172.16.0.31 self permanent")}) {
            CHECK(out->find(line) != std::string::npos);
            CHECK(shown.find(line) != std::string::npos);
        }
    }

    // the owner of one append removes only that remote
    z30.remove();
    CHECK_FALSE(z30.owned());
    zero = FdbEntry::list(ns, {.dev = vx, .mac = "00:00:00:00:00:00"});
    REQUIRE(zero.size() == 1);
    CHECK(zero[0].dst == ip("172.16.0.40"));
    z30.remove();  // idempotent
    r9.remove();
    CHECK_FALSE(FdbEntry::find(ns, {.dev = vx, .mac = "02:00:00:00:00:09"}));
    // get names what it did not find
    Error missing = caught([&] { (void)FdbEntry::get(ns, {.dev = vx, .mac = "02:00:00:00:00:09"}); });
    CHECK(missing.errnum() == ENOENT);
    CHECK(std::string(missing.what()).find("02:00:00:00:00:09 dev vx0") != std::string::npos);
    // the static remove: absent is success (also for a device that is gone)
    FdbEntry::remove(ns, {.dev = vx, .mac = "02:00:00:00:00:09", .dst = "172.16.0.31"});
    FdbEntry::remove(ns, {.dev = "nosuchdev0", .mac = "02:00:00:00:00:09"});
    CHECK_FALSE(FdbEntry::find(ns, {.dev = "nosuchdev0"}));

    // A dynamic entry (bridge fdb add ... dynamic) is listed as such.
    FdbEntry dyn = FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:0b", .dst = "172.16.0.32", .state = FdbState::Dynamic});
    CHECK(FdbEntry::get(ns, {.dev = vx, .mac = "02:00:00:00:00:0b"}).dynamic());

    // The namespace-wide listing holds the vxlan's entries too.
    bool in_all = false;
    for (const auto& f : FdbEntry::list(ns)) in_all |= f.index == vx.index() && f.mac == mac("02:00:00:00:00:0b");
    CHECK(in_all);
    CHECK(caught([&] { (void)FdbEntry::append(ns, {.dev = vx, .via = "eth9"}); }).errnum() == ENODEV);
}

TEST_CASE("FdbEntry: the owner removes its entry; persist() keeps it for the static remove") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    const NetnsRef& ns = h.ns[0];
    Vxlan vx = Vxlan::create(ns, {.name = "vx0", .vni = 100, .local = ip("172.16.0.10"), .device = "eth0"});
    {
        FdbEntry owned = FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:21", .dst = "172.16.0.21"});
        FdbEntry kept = FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:22", .dst = "172.16.0.22"});
        FdbEntry remote = FdbEntry::append(ns, {.dev = vx, .dst = "172.16.0.23"});
        kept.persist();
        FdbEntry moved = std::move(owned);
        CHECK_FALSE(owned.owned());
        CHECK(moved.owned());
        CHECK(FdbEntry::list(ns, {.dev = vx}).size() == 3);
    }
    CHECK_FALSE(FdbEntry::find(ns, {.dev = vx, .mac = "02:00:00:00:00:21"}));
    CHECK_FALSE(FdbEntry::find(ns, {.dev = vx, .dst = "172.16.0.23"}));
    REQUIRE(FdbEntry::find(ns, {.dev = vx, .mac = "02:00:00:00:00:22"}));
    // a later process: the static remove by the options it was created with; again is success
    FdbEntry::remove(ns, {.dev = "vx0", .mac = "02:00:00:00:00:22", .dst = "172.16.0.22"});
    CHECK(FdbEntry::list(ns, {.dev = vx}).empty());
    FdbEntry::remove(ns, {.dev = "vx0", .mac = "02:00:00:00:00:22", .dst = "172.16.0.22"});

    // an owner whose device is gone counts its entry as removed
    FdbEntry on_vx = FdbEntry::create(ns, {.dev = vx, .mac = "02:00:00:00:00:24", .dst = "172.16.0.24"});
    vx.remove();
    CHECK_NOTHROW(on_vx.remove());
    CHECK_FALSE(on_vx.owned());
}

TEST_CASE("FdbEntry on a bridge port: bridge fdb add MAC dev PORT master static") {
    if (auto why = test::kind_missing("bridge"); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("fb"));
    Bridge br = Bridge::create(ns, {.name = "br0"});
    VethPair v = VethPair::create(ns, {.name = "p1", .peer = {.name = "p2"}});
    br.add_port(v.first());
    const FdbOptions static_entry{.dev = v.first(), .mac = "02:00:00:00:00:0a", .state = FdbState::Static, .table = FdbTable::Master};
    FdbEntry::create(ns, static_entry).persist();
    // `bridge fdb show dev p1` lists the bridge's entry (master br0 static). A kernel built with
    // bridge VLAN support (Debian's 6.1) gives every port the default VLAN 1 and adds the entry once
    // without a VLAN and once per port VLAN ("vlan 1 master br0 static"): one entry without a VLAN.
    auto e = FdbEntry::list(ns, {.dev = v.first(), .mac = "02:00:00:00:00:0a"});
    INFO("entries: " << format_fdb(ns, e));
    for (const auto& f : e) CHECK(f.in_master());
    FdbInfo got = FdbEntry::get(ns, {.dev = "p1", .mac = "02:00:00:00:00:0a"});
    CHECK_FALSE(got.vlan);
    CHECK(got.master == br.index());
    CHECK(got.is_static());
    CHECK(show_fdb(ns, {.dev = v.first()}).find("02:00:00:00:00:0a master br0 static") != std::string::npos);
    CHECK(show_fdb(ns).find("02:00:00:00:00:0a dev p1 master br0 static") != std::string::npos);
    FdbEntry::remove(ns, static_entry);
    CHECK_FALSE(FdbEntry::find(ns, {.dev = v.first(), .mac = "02:00:00:00:00:0a"}));
    FdbEntry::remove(ns, static_entry);  // absent: success
}

TEST_CASE("FdbEntry: head-end replication — three hosts with only all-zeros entries reach each other") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    if (auto why = test::kind_missing("bridge"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::on_switch(3);
    std::vector<Vxlan> vx;
    for (std::size_t i = 0; i < 3; ++i) {
        // ip link add vx0 type vxlan id 100 local 172.16.0.X dev eth0 dstport 4789   (no remote)
        vx.push_back(h.vxlan(i, {.vni = 100}));
        // bridge fdb append 00:00:00:00:00:00 dev vx0 dst <each other host>
        for (std::size_t j = 0; j < 3; ++j)
            if (j != i) FdbEntry::append(h.ns[i], {.dev = vx[i], .dst = test::underlay_ip(j)}).persist();
        CHECK(FdbEntry::list(h.ns[i], {.dev = vx[i], .mac = MacAddress{}}).size() == 2);
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
            auto l = FdbEntry::list(h.ns[i], {.dev = vx[i], .mac = *vx[j].info().mac});
            REQUIRE_MESSAGE(l.size() == 1, show_fdb(h.ns[i], {.dev = vx[i]}));
            CHECK(l[0].dst == IpAddress::parse(test::underlay_ip(j)));
        }
}
