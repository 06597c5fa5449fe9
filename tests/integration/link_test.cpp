// Integration tests of include/nsnet/link.hpp (root): every Link operation on links in namespaces
// the test creates, read back through nsnet's own dumps (Link::info, Link::list), with iproute2 as
// a cross-check where installed; error paths (names in messages, the kernel's extended ack);
// OwnedLink ownership (persist, a link already gone).
#include "nsnet/link.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "link_support.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::caught;
using nsnet::test::contains;
using nsnet::test::ip_in;
using nsnet::test::link_names;
using nsnet::test::unique_name;

namespace {

// A bridge made with the raw encoder (this test does not depend on bridge.hpp).
OwnedLink make_bridge(const NetnsRef& ns, const std::string& name) {
    auto msg = rtnl::link_new({.name = name, .kind = "bridge"});
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "create bridge", name); });
    return OwnedLink(Link::get(ns, name));
}

}  // namespace

TEST_CASE("Link::get, find, list and loopback") {
    Netns ns = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});

    Link v0 = Link::get(ns, "v0");
    CHECK(v0.valid());
    CHECK(v0.name() == "v0");
    CHECK(v0 == pair.first());
    CHECK(Link::get(ns, v0.index()).name() == "v0");
    CHECK(Link::find(ns, "v1").has_value());
    CHECK_FALSE(Link::find(ns, "nope").has_value());

    auto missing = caught([&] { Link::get(ns, "nope"); });
    CHECK(missing.errnum == ENODEV);
    CHECK(contains(missing.what, "nope"));
    CHECK(contains(missing.what, ns.name()));
    auto bad = caught([&] { Link::get(ns, "sixteen-bytes-xx"); });
    CHECK(bad.invalid_argument);
    CHECK(contains(bad.what, "sixteen-bytes-xx"));

    auto links = Link::list(ns);
    REQUIRE(links.size() == 3);
    CHECK(link_names(ns) == std::set<std::string>{"lo", "v0", "v1"});
    for (const auto& l : links) {
        if (l.name == "v0") {
            CHECK(l.kind == "veth");
            CHECK(l.parent == pair.second().index());
            CHECK(l.mtu == 1500);
            CHECK(l.mac.has_value());
        }
    }

    Link lo = Link::loopback(ns);
    CHECK(lo.index() == 1);
    CHECK_FALSE(lo.info().is_up());
    lo.up();
    CHECK(lo.info().is_up());
    if (auto out = ip_in(ns, {"link", "show", "lo"})) CHECK(contains(*out, "UP"));
}

TEST_CASE("up, down, mtu, address, group, alias are read back") {
    Netns ns = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});
    const Link& v0 = pair.first();

    v0.up();
    pair.second().up();
    CHECK(v0.info().is_up());
    v0.down();
    CHECK_FALSE(v0.info().is_up());
    v0.set_up(true);
    CHECK(v0.info().is_up());

    v0.set_mtu(1400);
    CHECK(v0.info().mtu == 1400);
    v0.set_mac("02:00:00:00:aa:01");
    CHECK(v0.info().mac == MacAddress::parse("02:00:00:00:aa:01"));
    v0.set_mac(MacAddress::parse("02:00:00:00:aa:02"));
    CHECK(v0.info().mac == MacAddress::parse("02:00:00:00:aa:02"));
    v0.set_group(42);
    CHECK(v0.info().group == 42);
    v0.set_alias("uplink to the switch");
    CHECK(v0.info().alias == "uplink to the switch");

    if (auto out = ip_in(ns, {"-d", "link", "show", "v0"})) {
        INFO(*out);
        CHECK(contains(*out, "mtu 1400"));
        CHECK(contains(*out, "link/ether 02:00:00:00:aa:02"));
        CHECK(contains(*out, "state UP"));
        CHECK(contains(*out, "group 42"));
        CHECK(contains(*out, "alias uplink to the switch"));
    }

    SUBCASE("bad input is rejected before the kernel sees it") {
        auto mac = caught([&] { v0.set_mac("02:00:00:00:00"); });
        CHECK(mac.invalid_argument);
        CHECK(contains(mac.what, "02:00:00:00:00"));
    }
    SUBCASE("an MTU above the device's maximum: the kernel's extended ack is in the message") {
        auto big = caught([&] { v0.set_mtu(70000); });
        CHECK(big.errnum == EINVAL);
        CHECK(contains(big.what, "v0"));
        CHECK(contains(big.kernel, "mtu greater than device maximum"));
        CHECK(contains(big.what, "mtu greater than device maximum"));
        CHECK(v0.info().mtu == 1400);
    }
}

TEST_CASE("rename: the handle follows the name; refusals (EBUSY when up on old kernels, EEXIST) keep it") {
    Netns ns = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});
    Link v0 = pair.first();  // a plain handle: rename re-points it (the pair deletes by ifindex)
    int index = v0.index();

    v0.rename("wan0");
    CHECK(v0.name() == "wan0");
    CHECK(v0.index() == index);
    CHECK(Link::get(ns, "wan0").index() == index);
    CHECK_FALSE(Link::find(ns, "v0"));

    // Renaming an up link: kernels before 6.2 refuse (EBUSY; Debian 12's 6.1 in tests/vm), 6.2+
    // allow it (commit bd039b5ea2a9). Either way the handle must agree with the kernel.
    v0.up();
    auto busy = caught([&] { v0.rename("wan1"); });
    if (busy.errnum) {
        CHECK(busy.errnum == EBUSY);
        CHECK(contains(busy.what, "wan0"));
        CHECK(v0.name() == "wan0");  // unchanged after the refusal
        CHECK(Link::find(ns, "wan0"));
    } else {
        MESSAGE("this kernel renames links that are up (Linux 6.2+)");
        CHECK(v0.name() == "wan1");
        CHECK(Link::get(ns, "wan1").index() == index);
        v0.rename("wan0");
    }
    CHECK(v0.info().name == v0.name());

    auto bad = caught([&] { v0.rename("this-is-16-bytes"); });
    CHECK(bad.invalid_argument);
    CHECK(contains(bad.what, "this-is-16-bytes"));

    // A name taken by another link: EEXIST, naming the link being renamed.
    v0.down();
    auto taken = caught([&] { v0.rename("v1"); });
    CHECK(taken.errnum == EEXIST);
    CHECK(contains(taken.what, "wan0"));
}

TEST_CASE("set_master / set_nomaster with a bridge") {
    Netns ns = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});
    OwnedLink br = make_bridge(ns, "br0");

    pair.first().set_master(br);
    CHECK(pair.first().info().master == br.index());
    CHECK(pair.first().info().slave_kind == "bridge");
    if (auto out = ip_in(ns, {"link", "show", "v0"})) CHECK(contains(*out, "master br0"));
    pair.first().set_nomaster();
    CHECK(pair.first().info().master == 0);

    Netns other = Netns::create(unique_name("lk"));
    OwnedLink far = make_bridge(other, "br9");
    auto cross = caught([&] { pair.first().set_master(far); });
    CHECK(cross.invalid_argument);
    CHECK(contains(cross.what, "br9"));
}

TEST_CASE("move to another namespace: the handle stays valid even when the ifindex changes") {
    Netns a = Netns::create(unique_name("lk"));
    Netns b = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(a, {.name = "v0", .peer = {.name = "v1"}});
    const Link& v0 = pair.first();  // the pair's own handle: pair.set_netns(v0, ..) makes it follow the link
    // Occupy v0's ifindex in b, so the kernel must give it a new one there.
    auto blocker = VethPair::create(b, {.name = "x0", .peer = {.name = "x1"}});
    auto filler = VethPair::create(b, {.name = "y0", .peer = {.name = "y1"}});
    int old_index = v0.index();
    std::set<int> used_in_b;
    for (const auto& l : Link::list(b)) used_in_b.insert(l.index);
    REQUIRE(used_in_b.count(old_index));

    pair.set_netns(v0, b);
    CHECK(v0.netns() == b);
    CHECK(v0.name() == "v0");
    CHECK(v0.index() != old_index);
    CHECK(v0.index() == Link::get(b, "v0").index());
    CHECK(v0.info().name == "v0");
    CHECK_FALSE(Link::find(a, "v0"));
    v0.set_mtu(1300);  // the handle works in its new namespace
    CHECK(Link::get(b, "v0").info().mtu == 1300);
    CHECK(pair.second().info().link_netnsid.has_value());  // its peer now lives elsewhere

    // By `ip netns` name, and back.
    pair.set_netns(v0, a.name());
    CHECK(v0.netns() == a);
    CHECK(Link::find(a, "v0"));

    // Into a namespace that does not exist: the error names it, and the link stays where it was.
    std::string ghost = unique_name("gh");
    auto missing = caught([&] { pair.set_netns(v0, ghost); });
    CHECK(missing.errnum == ENOENT);
    CHECK(contains(missing.what, ghost));
    CHECK(Link::find(a, "v0"));
    CHECK(v0.netns() == a);

    // A name clash in the target: EEXIST, and the link is still in a.
    auto clash = VethPair::create(b, {.name = "v0", .peer = {.name = "z1"}});
    auto exists = caught([&] { pair.set_netns(v0, b); });
    CHECK(exists.errnum == EEXIST);
    CHECK(contains(exists.what, "v0"));
    CHECK(Link::find(a, "v0"));
}

TEST_CASE("remove is idempotent, errors on a removed link name it, Link::remove(ns, name) deletes by name") {
    Netns ns = Netns::create(unique_name("lk"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});
    pair.persist();  // removed by hand below
    const Link v0 = pair.first();
    v0.remove();
    CHECK(link_names(ns) == std::set<std::string>{"lo"});  // the peer went with it
    auto again = caught([&] { v0.up(); });
    CHECK(again.errnum == ENODEV);
    CHECK(contains(again.what, "v0"));
    CHECK_NOTHROW(v0.remove());  // already gone: removed
    CHECK_NOTHROW(pair.second().remove());
    CHECK_NOTHROW(Link().remove());  // an empty handle names nothing to remove
    auto empty = caught([&] { Link().up(); });
    CHECK(empty.errnum == ENODEV);

    // One call by name, e.g. from a later process; an absent link is success (false).
    auto other = VethPair::create(ns, {.name = "w0", .peer = {.name = "w1"}});
    other.persist();
    CHECK(Link::remove(ns, "w1"));
    CHECK(link_names(ns) == std::set<std::string>{"lo"});
    CHECK_FALSE(Link::remove(ns, "w1"));
    CHECK_FALSE(Link::remove(ns, "w0"));
    CHECK(caught([&] { Link::remove(ns, "sixteen-bytes-xx"); }).invalid_argument);
}

TEST_CASE("OwnedLink: deleted on destruction, persist() keeps it, a link already gone is fine") {
    Netns ns = Netns::create(unique_name("lk"));
    {
        OwnedLink br = make_bridge(ns, "br0");
        CHECK(br.owned());
        CHECK(Link::find(ns, "br0"));
    }
    CHECK_FALSE(Link::find(ns, "br0"));
    {
        OwnedLink br = make_bridge(ns, "br1");
        br.persist();
    }
    REQUIRE(Link::find(ns, "br1"));
    Link::get(ns, "br1").remove();
    {
        // Deleted behind its back (by iproute2, or another handle): destruction and remove() are quiet.
        OwnedLink br = make_bridge(ns, "br2");
        Link(br).remove();
        CHECK_NOTHROW(br.remove());
        CHECK_FALSE(br.valid());
    }
    {
        OwnedLink br = make_bridge(ns, "br3");
        OwnedLink moved = std::move(br);
        CHECK_FALSE(br.owned());
        CHECK(moved.owned());
        Link plain = moved.release();
        CHECK_FALSE(moved.owned());
        plain.remove();
    }
    {
        // The namespace is deleted while the link object lives: the link goes with it when the
        // last reference to the namespace (this one) is dropped; nothing throws.
        std::string name = unique_name("lk");
        Netns doomed = Netns::create(name);
        OwnedLink br = make_bridge(doomed, "br4");
        doomed.remove();
        auto named = Netns::list();
        CHECK(std::find(named.begin(), named.end(), name) == named.end());
        CHECK_NOTHROW(br.remove());
    }
    CHECK(link_names(ns) == std::set<std::string>{"lo"});
}

// Issue 12 items 1-2: an alias longer than the 16-bit nla_len used to wrap (65,536 bytes stored a
// 1-byte alias; a crafted 65,539-byte one made the kernel read its tail as IFLA_IFNAME, IFLA_MTU and
// IFLA_NET_NS_FD, renaming the link, changing its MTU, moving it). Now every such request, and any
// alias over IFALIASZ-1 or with a NUL byte, is refused before it is sent, and the link is unchanged.
TEST_CASE("set_alias: over-long and crafted aliases are refused and change nothing; kernel limits are checked first") {
    Netns ns = Netns::create(unique_name("lk"));
    Netns elsewhere = Netns::create(unique_name("lk2"));
    auto pair = VethPair::create(ns, {.name = "v0", .peer = {.name = "v1"}});
    const Link& v0 = pair.first();
    v0.set_alias("before");
    const auto before = v0.info();

    auto attr = [](std::uint16_t type, const std::string& payload) {
        std::string a(4, '\0');
        auto len = static_cast<std::uint16_t>(4 + payload.size());
        std::memcpy(a.data(), &len, 2);
        std::memcpy(a.data() + 2, &type, 2);
        return a + payload + std::string((4 - payload.size() % 4) % 4, '\0');
    };
    auto u32 = [](std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
    // put_string adds one NUL: 4 + 65,539 + 1 = 65,544 wraps to nla_len 8, so the kernel would take
    // "ab\0\0" as the alias and parse the rest as attributes, up to a filler that ends the message.
    std::string crafted = std::string("ab\0\0", 4) + attr(IFLA_IFNAME, std::string("pwn\0", 4)) + attr(IFLA_MTU, u32(1280)) +
                          attr(IFLA_NET_NS_FD, u32(static_cast<std::uint32_t>(elsewhere.fd())));
    // The filler runs to the end of the 65,544-byte attribute; its last byte is the NUL put_string adds.
    const std::size_t filler = 65544 - 4 - crafted.size();
    crafted += attr(IFLA_UNSPEC, std::string(filler - 4, 'A')).substr(0, filler - 1);
    REQUIRE(crafted.size() == 65539);
    REQUIRE(static_cast<std::uint16_t>(4 + crafted.size() + 1) == 8);

    for (const std::string& alias : {std::string(65536, 'x'), crafted, std::string(256, 'y'), std::string("up\0link", 7)}) {
        CAPTURE(alias.size());
        auto r = caught([&] { v0.set_alias(alias); });
        CHECK(r.invalid_argument);
        CHECK(contains(r.what, "v0"));
        CHECK(contains(r.what, "alias"));
        CHECK(contains(r.what, alias.size() > 255 ? std::to_string(alias.size()) + " bytes" : std::string("NUL")));
        const auto now = v0.info();
        CHECK(now.name == "v0");
        CHECK(now.mtu == before.mtu);
        CHECK(now.alias == "before");
        CHECK(Link::find(ns, "v0"));
        CHECK_FALSE(Link::find(elsewhere, "v0"));
        CHECK_FALSE(Link::find(ns, "pwn"));
    }
    // The limit itself is accepted and read back whole.
    v0.set_alias(std::string(255, 'z'));
    CHECK(v0.info().alias == std::string(255, 'z'));

    // Address labels: at most 15 bytes, no NUL; refused before the kernel sees them.
    auto label = caught([&] { v0.add_address("10.9.0.1/24", {.label = "v0:this-is-too-long"}); });
    CHECK(label.invalid_argument);
    CHECK(contains(label.what, "v0:this-is-too-long"));
    auto nul = caught([&] { v0.add_address("10.9.0.1/24", {.label = std::string("v0:a\0b", 6)}); });
    CHECK(nul.invalid_argument);
    CHECK(contains(nul.what, "NUL"));
    CHECK(v0.addresses().empty());
    v0.add_address("10.9.0.1/24", {.label = "v0:fifteen-byte"});
    REQUIRE(v0.addresses().size() == 1);
    CHECK(v0.addresses()[0].label == "v0:fifteen-byte");

    // A rename onto a taken name names the name that is taken.
    auto lo = caught([&] { pair.rename(v0, "lo"); });
    CHECK(lo.errnum == EEXIST);
    CHECK(contains(lo.what, "'lo'"));
    CHECK(v0.name() == "v0");
}
