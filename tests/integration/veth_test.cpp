// Integration tests of include/nsnet/veth.hpp (root): pairs with both ends placed in namespaces in
// one request (the tutorial's `ip link add eth0 type veth peer name eth0 netns ns2`), read back with
// nsnet's dumps and cross-checked with iproute2; refusals that leave nothing behind in either
// namespace; ownership (destruction, persist, an end already gone, moves).
#include "nsnet/veth.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>

#include <set>
#include <string>

#include "link_support.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/rtnl/link.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::caught;
using nsnet::test::contains;
using nsnet::test::ip_in;
using nsnet::test::link_names;
using nsnet::test::unique_name;

using Names = std::set<std::string>;

TEST_CASE("the tutorial's pair: eth0 in ns1, its peer eth0 in ns2, in one request") {
    Netns ns1 = Netns::create(unique_name("ve"));
    Netns ns2 = Netns::create(unique_name("ve"));
    auto pair = VethPair::create(ns1, {.name = "eth0", .peer = {.name = "eth0", .netns = ns2}});

    CHECK(pair.owned());
    CHECK(pair.first().netns() == ns1);
    CHECK(pair.second().netns() == ns2);
    CHECK(link_names(ns1) == Names{"lo", "eth0"});
    CHECK(link_names(ns2) == Names{"lo", "eth0"});
    auto a = pair.first().info();
    auto b = pair.second().info();
    CHECK(a.kind == "veth");
    CHECK(b.kind == "veth");
    CHECK(a.parent == b.index);  // each names the other (in the other namespace)
    CHECK(b.parent == a.index);
    CHECK(a.link_netnsid.has_value());
    CHECK(b.link_netnsid.has_value());
    if (auto out = ip_in(ns1, {"-d", "link", "show", "eth0"})) {
        INFO(*out);
        CHECK(contains(*out, "eth0@if" + std::to_string(b.index)));
        CHECK(contains(*out, "veth"));
    }

    // Addresses and up: the pair carries traffic between the namespaces.
    pair.first().add_address("10.0.0.1/24");
    pair.second().add_address("10.0.0.2/24");
    pair.first().up();
    pair.second().up();
    auto r = ping(ns1, "10.0.0.2", {.count = 2, .interval = std::chrono::milliseconds(50)});
    INFO(r.summary());
    CHECK(r.received > 0);
}

TEST_CASE("a pair in one namespace, with address, MTU and group on each end") {
    Netns ns = Netns::create(unique_name("ve"));
    auto pair = VethPair::create(ns, {.name = "v0", .mac = MacAddress::parse("02:00:00:00:0a:01"), .mtu = 1400, .group = 7,
        .peer = {.name = "v1", .mac = MacAddress::parse("02:00:00:00:0a:02"), .mtu = 1300, .group = 8}});
    auto a = pair.first().info();
    auto b = pair.second().info();
    CHECK(a.mac == MacAddress::parse("02:00:00:00:0a:01"));
    CHECK(b.mac == MacAddress::parse("02:00:00:00:0a:02"));
    CHECK(a.mtu == 1400);
    CHECK(b.mtu == 1300);
    CHECK(a.group == 7);
    CHECK(b.group == 8);
    CHECK(a.parent == b.index);
    CHECK_FALSE(a.link_netnsid.has_value());
    if (auto out = ip_in(ns, {"link", "show", "v1"})) {
        INFO(*out);
        CHECK(contains(*out, "v1@v0"));
        CHECK(contains(*out, "mtu 1300"));
        CHECK(contains(*out, "group 8"));
    }
}

TEST_CASE("bad names are rejected before anything is created, naming the value") {
    Netns ns = Netns::create(unique_name("ve"));
    auto long_name = caught([&] {
        VethPair::create(ns, {.name = "veth-16-bytes-xx", .peer = {.name = "p"}});
    });
    CHECK(long_name.invalid_argument);
    CHECK(contains(long_name.what, "veth-16-bytes-xx"));
    CHECK(contains(long_name.what, "16 bytes"));
    auto long_peer = caught([&] {
        VethPair::create(ns, {.name = "v", .peer = {.name = "peer-16-bytes-xx"}});
    });
    CHECK(long_peer.invalid_argument);
    CHECK(contains(long_peer.what, "peer-16-bytes-xx"));
    auto same = caught([&] { VethPair::create(ns, {.name = "v", .peer = {.name = "v"}}); });
    CHECK(same.invalid_argument);
    CHECK(contains(same.what, "'v'"));
    auto slash = caught([&] { VethPair::create(ns, {.name = "a/b", .peer = {.name = "c"}}); });
    CHECK(slash.invalid_argument);
    CHECK(contains(slash.what, "a/b"));
    CHECK(link_names(ns) == Names{"lo"});
}

TEST_CASE("refusals half-way leave nothing behind in either namespace") {
    Netns a = Netns::create(unique_name("ve"));
    Netns b = Netns::create(unique_name("ve"));
    auto existing_b = VethPair::create(b, {.name = "taken", .peer = {.name = "taken2"}});
    auto existing_a = VethPair::create(a, {.name = "busy", .peer = {.name = "busy2"}});

    SUBCASE("the peer's name is taken in the target namespace") {
        auto e = caught([&] { VethPair::create(a, {.name = "eth0", .peer = {.name = "taken", .netns = b}}); });
        CHECK(e.errnum == EEXIST);
        CHECK(contains(e.what, "eth0/taken"));
    }
    SUBCASE("the first end's name is taken (the kernel had registered the peer already)") {
        auto e = caught([&] { VethPair::create(a, {.name = "busy", .peer = {.name = "fresh", .netns = b}}); });
        CHECK(e.errnum == EEXIST);
        CHECK(contains(e.what, "busy/fresh"));
    }
    SUBCASE("the peer's namespace fd is not a namespace / not an fd") {
        detail::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        REQUIRE(devnull);
        for (int fd : {devnull.get(), 1 << 20}) {
            auto msg = rtnl::veth_new({.name = "eth0"}, {.name = "eth1", .netns_fd = fd});
            auto e = caught([&] { a.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "create veth", "eth0/eth1"); }); });
            CHECK(e.errnum != 0);
            CHECK(contains(e.what, "eth0/eth1"));
        }
    }
    CHECK(link_names(a) == Names{"lo", "busy", "busy2"});
    CHECK(link_names(b) == Names{"lo", "taken", "taken2"});
    if (auto out = ip_in(b, {"-o", "link", "show"})) CHECK_FALSE(contains(*out, "fresh"));
}

TEST_CASE("destruction removes both ends; persist() keeps them; an end already gone is fine") {
    Netns a = Netns::create(unique_name("ve"));
    Netns b = Netns::create(unique_name("ve"));
    {
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1", .netns = b}});
    }
    CHECK(link_names(a) == Names{"lo"});
    CHECK(link_names(b) == Names{"lo"});
    {
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1", .netns = b}});
        pair.persist();
        CHECK_FALSE(pair.owned());
    }
    CHECK(link_names(a) == Names{"lo", "v0"});
    CHECK(link_names(b) == Names{"lo", "v1"});
    Link::get(b, "v1").remove();  // deleting either end deletes both
    CHECK(link_names(a) == Names{"lo"});
    {
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1", .netns = b}});
        Link(pair.second()).remove();  // gone behind the pair's back
        CHECK_NOTHROW(pair.remove());
    }
    {
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1", .netns = b}});
        if (ip_in(a, {"link", "del", "v0"})) CHECK_FALSE(Link::find(a, "v0"));  // iproute2 deletes it
    }  // the destructor tolerates ENODEV
    CHECK(link_names(a) == Names{"lo"});
    CHECK(link_names(b) == Names{"lo"});
    {
        // Move-assignment deletes the pair that is overwritten.
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}});
        pair = VethPair::create(a, {.name = "w0", .peer = {.name = "w1"}});
        CHECK(link_names(a) == Names{"lo", "w0", "w1"});
        VethPair taken = std::move(pair);
        CHECK_FALSE(pair.owned());
        CHECK(taken.owned());
    }
    CHECK(link_names(a) == Names{"lo"});
    {
        // The pair outlives the namespace object of its second end: that namespace lives on while
        // the pair refers to it, and the pair's destructor still removes both ends.
        std::string name = unique_name("ve");
        Netns doomed = Netns::create(name);
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1", .netns = doomed}});
        doomed.remove();
        CHECK(Link::find(a, "v0"));
    }
    CHECK(link_names(a) == Names{"lo"});
}

TEST_CASE("moving an end to another namespace keeps both handles valid") {
    Netns a = Netns::create(unique_name("ve"));
    Netns b = Netns::create(unique_name("ve"));
    Netns c = Netns::create(unique_name("ve"));
    {
        auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}});
        pair.set_netns(pair.second(), b);
        CHECK(pair.second().netns() == b);
        CHECK(pair.second().info().name == "v1");
        CHECK(pair.first().info().link_netnsid.has_value());
        pair.set_netns(pair.first(), c);  // the owning end moves too
        CHECK(link_names(a) == Names{"lo"});
        CHECK(Link::find(c, "v0"));
        pair.first().up();
        CHECK(Link::get(c, "v0").info().is_up());
    }  // removed from where it is now
    CHECK(link_names(a) == Names{"lo"});
    CHECK(link_names(b) == Names{"lo"});
    CHECK(link_names(c) == Names{"lo"});
}

TEST_CASE("create: an empty namespace is refused (NetnsRef::current() names the caller's); an empty peer netns is ns") {
    auto empty = caught([&] { VethPair::create(NetnsRef{}, {.name = "v0", .peer = {.name = "v1"}}); });
    CHECK(empty.invalid_argument);
    CHECK(contains(empty.what, "v0/v1"));
    CHECK(contains(empty.what, "NetnsRef::current()"));
    Netns a = Netns::create(unique_name("ve"));
    auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}});
    CHECK(pair.second().netns() == a);
    CHECK(link_names(a) == Names{"lo", "v0", "v1"});
}

TEST_CASE("adopt: a persisted pair is owned again; the peer is found in the same or a named namespace") {
    Netns a = Netns::create(unique_name("ve"));
    Netns b = Netns::create(unique_name("ve"));
    VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}}).persist();
    VethPair::create(a, {.name = "x0", .peer = {.name = "x1", .netns = b}}).persist();
    {
        auto same = VethPair::adopt(a, "v1");
        CHECK(same.owned());
        CHECK(same.first().name() == "v1");
        REQUIRE(same.second().valid());
        CHECK(same.second().name() == "v0");
        CHECK(same.second() == Link::get(a, "v0"));

        auto across = VethPair::adopt(a, "x0");  // the peer is in b, a named namespace: found by its nsid
        CHECK(across.first().name() == "x0");
        REQUIRE(across.second().valid());
        CHECK(across.second().name() == "x1");
        CHECK(across.second().netns() == b);
    }  // both adopted pairs are deleted
    CHECK(link_names(a) == Names{"lo"});
    CHECK(link_names(b) == Names{"lo"});

    auto br = rtnl::link_new({.name = "br0", .kind = "bridge"});
    a.with_rtnl([&](nl::Socket& s) { nl::request(s, br, "create bridge", "br0"); });
    auto not_veth = caught([&] { VethPair::adopt(a, "br0"); });
    CHECK(not_veth.invalid_argument);
    CHECK(contains(not_veth.what, "br0"));
    CHECK(contains(not_veth.what, "not a veth"));
    CHECK(Link::find(a, "br0"));  // a refused adopt leaves it alone
    auto missing = caught([&] { VethPair::adopt(a, "nope"); });
    CHECK(missing.errnum == ENODEV);
    CHECK(contains(missing.what, "nope"));

    // VethPair::remove(ns, name): by either end's name, e.g. from a later process; none is success.
    VethPair::create(a, {.name = "r0", .peer = {.name = "r1", .netns = b}}).persist();
    CHECK(VethPair::remove(b, "r1"));
    CHECK_FALSE(Link::find(a, "r0"));
    CHECK_FALSE(VethPair::remove(a, "r0"));
    CHECK(Link::remove(a, "br0"));
    CHECK(link_names(a) == Names{"lo"});
}

TEST_CASE("set_netns / rename of a link that is not an end of the pair is refused") {
    Netns a = Netns::create(unique_name("ve"));
    auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}});
    auto other = VethPair::create(a, {.name = "w0", .peer = {.name = "w1"}});
    auto e = caught([&] { pair.rename(other.first(), "z0"); });
    CHECK(e.invalid_argument);
    CHECK(contains(e.what, "w0"));
    pair.rename(pair.second(), "peer0");
    CHECK(pair.second().name() == "peer0");
    CHECK(Link::find(a, "peer0"));
}
