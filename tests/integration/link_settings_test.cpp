// Integration tests (root) of the link settings a CNI bridge plugin uses, each read back through
// nsnet's own dumps: txqueuelen at creation and set, promisc, a bridge MAC pinned at creation (it
// does not follow the lowest port MAC), bridge port flags (hairpin, isolated, learning, flood),
// per-port VLANs with PVID/untagged, and Bridge::ensure (create-or-reuse, owns nothing; from 8
// threads at once: one bridge).
#include <doctest/doctest.h>
#include <net/if.h>

#include <set>
#include <string>
#include <vector>

#include "nsnet/bridge.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

TEST_CASE("link settings: txqueuelen at creation and set, promisc on and off") {
    Netns ns = Netns::create(unique_name("ls"));
    auto veth = VethPair::create(ns, {.name = "t0", .txqlen = 500, .peer = {.name = "t1", .txqlen = 2000}});
    CHECK(veth.first().info().txqlen == 500);
    CHECK(veth.second().info().txqlen == 2000);
    veth.first().set_txqlen(0);  // what CNI's plain veths have is 1000; 0 is allowed too
    CHECK(veth.first().info().txqlen == 0);
    veth.first().set_txqlen(1234);
    CHECK(veth.first().info().txqlen == 1234);

    CHECK((veth.first().info().flags & IFF_PROMISC) == 0);
    veth.first().set_promisc(true);
    CHECK((veth.first().info().flags & IFF_PROMISC) != 0);
    CHECK((veth.second().info().flags & IFF_PROMISC) == 0);
    veth.first().set_promisc(false);
    CHECK((veth.first().info().flags & IFF_PROMISC) == 0);
}

TEST_CASE("link settings: a bridge MAC given at creation stays; without one it follows the lowest port MAC") {
    Netns ns = Netns::create(unique_name("lm"));
    const auto pinned = MacAddress::parse("02:00:00:00:00:99");
    const auto low = MacAddress::parse("02:00:00:00:00:01");
    Bridge fixed = Bridge::create(ns, {.name = "brfix", .mac = pinned});
    Bridge floating = Bridge::create(ns, {.name = "brfloat"});
    auto a = VethPair::create(ns, {.name = "pa", .mac = low, .peer = {.name = "qa"}});
    auto b = VethPair::create(ns, {.name = "pb", .mac = low, .peer = {.name = "qb"}});
    fixed.add_port(a.first());
    floating.add_port(b.first());
    CHECK(fixed.info().mac == pinned);
    CHECK(floating.info().mac == low);
}

TEST_CASE("link settings: bridge port flags hairpin, isolated, learning, flood read back") {
    Netns ns = Netns::create(unique_name("lp"));
    Bridge br = Bridge::create(ns, {.name = "br0"});
    auto veth = VethPair::create(ns, {.name = "p0", .peer = {.name = "q0"}});
    br.add_port(veth.first(), {.hairpin = true, .learning = false, .unicast_flood = false, .isolated = true});
    auto p = br.port_info(veth.first());
    CHECK(p.hairpin);
    CHECK(p.isolated);
    CHECK_FALSE(p.learning);
    CHECK_FALSE(p.unicast_flood);
    br.set_port(veth.first(), {.hairpin = false, .learning = true, .unicast_flood = true, .isolated = false});
    p = br.port_info(veth.first());
    CHECK_FALSE(p.hairpin);
    CHECK_FALSE(p.isolated);
    CHECK(p.learning);
    CHECK(p.unicast_flood);
}

TEST_CASE("link settings: per-port VLAN with PVID and untagged") {
    Netns ns = Netns::create(unique_name("lv"));
    Bridge br;
    try {
        br = Bridge::create(ns, {.name = "brv", .vlan_filtering = true});
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP) NSNET_SKIP("no bridge VLAN filtering in this kernel (CONFIG_BRIDGE_VLAN_FILTERING)");
        throw;
    }
    REQUIRE(br.settings().vlan_filtering);
    auto veth = VethPair::create(ns, {.name = "v0", .peer = {.name = "w0"}});
    br.add_port(veth.first());
    br.add_vlan(veth.first(), {.vid = 10, .pvid = true, .untagged = true});
    br.add_vlan(veth.first(), {.vid = 20});
    br.remove_vlan(veth.first(), 1);  // the default VLAN 1 the kernel gives every port
    auto v = br.vlans(veth.first());
    REQUIRE(v.size() == 2);
    CHECK(v[0] == BridgeVlan{.vid = 10, .pvid = true, .untagged = true});
    CHECK(v[1] == BridgeVlan{.vid = 20});
    br.add_vlan(br, {.vid = 10});  // the bridge's own port (self)
    bool has10 = false;
    for (const auto& x : br.vlans(br)) has10 |= x.vid == 10;
    CHECK(has10);
}

TEST_CASE("link settings: Bridge::ensure creates or reuses a bridge and never deletes it") {
    Netns ns = Netns::create(unique_name("le"));
    int index = 0;
    {
        Link first = Bridge::ensure(ns, {.name = "cni0", .mac = MacAddress::parse("02:42:0a:58:00:01")});
        index = first.index();
        Link again = Bridge::ensure(ns, {.name = "cni0"});
        CHECK(again.index() == index);
    }
    auto still = Link::find(ns, "cni0");  // no destructor removed it
    REQUIRE(still);
    CHECK(still->index() == index);
    CHECK(still->info().mac == MacAddress::parse("02:42:0a:58:00:01"));
    auto veth = VethPair::create(ns, {.name = "notbr", .peer = {.name = "notbr1"}});
    try {
        (void)Bridge::ensure(ns, {.name = "notbr"});
        FAIL("ensure accepted a veth as a bridge");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(std::string(e.what()).find("not a bridge") != std::string::npos);
    }
    still->remove();
    CHECK_FALSE(Link::find(ns, "cni0"));
}

TEST_CASE("link settings: Bridge::ensure from 8 threads at once makes one bridge, which all of them get") {
    // Parallel CNI ADDs on a fresh host: every one finds no bridge and creates it; all but one
    // are refused with EEXIST and must take the bridge the winner made. Several rounds.
    constexpr int threads = 8;
    Netns ns = Netns::create(unique_name("lp"));
    for (int round = 0; round < 10; ++round) {
        CAPTURE(round);
        std::vector<int> indexes(threads, 0);
        auto errors = test::at_once(threads, [&](int i) {
            indexes[static_cast<std::size_t>(i)] = Bridge::ensure(ns, {.name = "cni0"}).index();
        });
        for (const auto& e : errors) CHECK(e == "");
        auto br = Link::find(ns, "cni0");
        REQUIRE(br);
        for (int index : indexes) CHECK(index == br->index());
        br->remove();
    }
}

TEST_CASE("link settings: IPv4 broadcast as CNI sets it ({.broadcast = true}: /30 and shorter only)") {
    Netns ns = Netns::create(unique_name("lb"));
    auto veth = VethPair::create(ns, {.name = "b0", .peer = {.name = "b1"}});
    const Link& l = veth.first();
    l.add_address("10.88.0.5/16", {.broadcast = true});
    l.add_address("10.89.0.1/31", {.broadcast = true});
    l.add_address("10.90.0.1/32", {.broadcast = true});
    l.add_address("10.91.0.1/24");  // ip addr add without brd: none
    int seen = 0;
    for (const auto& a : l.addresses()) {
        INFO(a.prefix.to_string());
        if (a.prefix == Prefix::parse("10.88.0.5/16")) {
            ++seen;
            CHECK(a.broadcast == IpAddress::parse("10.88.255.255"));
        } else if (a.prefix.address().is_v4()) {
            ++seen;
            CHECK_FALSE(a.broadcast.has_value());
        }
    }
    CHECK(seen == 4);
}

TEST_CASE("link settings: owner tags find and remove a container's links from a later lookup") {
    Netns ns = Netns::create(unique_name("lo"));
    auto mine = VethPair::create(ns, {.name = "vethA", .peer = {.name = "ethA"}});
    auto other = VethPair::create(ns, {.name = "vethB", .peer = {.name = "ethB"}});
    Bridge br = Bridge::create(ns, {.name = "brA"});
    mine.first().set_owner("c0ffee01");
    mine.second().set_owner("c0ffee01");  // both ends tagged: removing one takes the other along
    br.set_owner("c0ffee01");
    other.first().set_owner("c0ffee02");
    CHECK(Link::owner_of(mine.first().info()) == std::optional<std::string>("c0ffee01"));
    CHECK_FALSE(Link::owner_of(br.info()) == std::optional<std::string>("c0ffee02"));
    CHECK(mine.first().info().alias == "nsnet:owner=c0ffee01");
    CHECK(Link::list_owned(ns, "c0ffee01").size() == 3);
    CHECK(Link::list_owned(ns, "c0ffee02").size() == 1);
    CHECK(Link::list_owned(ns, "c0ffee0").empty());  // a prefix of an owner is another owner

    // What a DEL in another process does: only the names of the namespace and the owner are known.
    CHECK(Link::remove_owned(NetnsRef::open_path("/proc/self/fd/" + std::to_string(ns.fd())), "c0ffee01") == 2);
    CHECK(Link::list_owned(ns, "c0ffee01").empty());
    CHECK_FALSE(Link::find(ns, "ethA"));
    CHECK_FALSE(Link::find(ns, "brA"));
    CHECK(Link::find(ns, "vethB"));
    CHECK(Link::remove_owned(ns, "c0ffee01") == 0);  // DEL twice: nothing left, no error

    CHECK_THROWS_AS(other.first().set_owner("has space"), InvalidArgument);
    CHECK_THROWS_AS(other.first().set_owner(""), InvalidArgument);
    CHECK_THROWS_AS(Link::list_owned(ns, std::string(201, 'x')), InvalidArgument);
}

TEST_CASE("link settings: an owner given at creation (.owner) is written at once; list_owned finds the link, remove_owned removes it") {
    Netns host = Netns::create(unique_name("lo"));
    Netns ctr = Netns::create(unique_name("lo"));
    // What a CNI ADD does: the host end tagged with the container id, the pair kept after this process.
    VethPair::create(host, {.name = "vethC", .peer = {.name = "eth0", .netns = ctr}, .owner = "c0ffee03"}).persist();
    Bridge br = Bridge::create(host, {.name = "brC", .owner = "c0ffee03"});
    br.persist();
    auto other = VethPair::create(host, {.name = "vethD", .peer = {.name = "ethD"}});
    CHECK(Link::get(host, "vethC").info().alias == "nsnet:owner=c0ffee03");
    auto owned = Link::list_owned(host, "c0ffee03");
    REQUIRE(owned.size() == 2);
    std::set<std::string> names{owned[0].name(), owned[1].name()};
    CHECK(names == std::set<std::string>{"vethC", "brC"});
    CHECK(Link::list_owned(ctr, "c0ffee03").empty());  // the tag is on the first end, in `host`

    // CNI DEL, in a later process: the owner's links go, the peer with its veth, nothing else.
    CHECK(Link::remove_owned(host, "c0ffee03") == 2);
    CHECK(Link::list_owned(host, "c0ffee03").empty());
    CHECK_FALSE(Link::find(host, "vethC"));
    CHECK_FALSE(Link::find(ctr, "eth0"));
    CHECK_FALSE(Link::find(host, "brC"));
    CHECK(Link::find(host, "vethD"));

    // A bad owner is refused before anything is sent: no link is made.
    CHECK_THROWS_WITH_AS((void)VethPair::create(host, {.name = "vethE", .peer = {.name = "ethE"}, .owner = "has space"}),
                         doctest::Contains("VethOptions.owner 'has space'"), InvalidArgument);
    CHECK_FALSE(Link::find(host, "vethE"));
}
