// Integration tests of the address operations of include/nsnet/link.hpp (root): `ip addr add|
// replace|del|show` on links in namespaces the test creates, read back through Link::addresses()
// (nsnet's own dump) and cross-checked with iproute2; error paths name the address and the link.
#include <doctest/doctest.h>
#include <linux/if_addr.h>

#include <algorithm>
#include <string>

#include "link_support.hpp"
#include "nsnet/link.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::caught;
using nsnet::test::contains;
using nsnet::test::ip_in;
using nsnet::test::unique_name;

namespace {

const AddressInfo* find(const std::vector<AddressInfo>& all, const std::string& prefix) {
    auto p = Prefix::parse(prefix);
    auto it = std::find_if(all.begin(), all.end(), [&](const AddressInfo& a) { return a.prefix == p; });
    return it == all.end() ? nullptr : &*it;
}

struct Bed {
    Netns ns;
    VethPair pair;
    const Link& v0() const { return pair.first(); }
    const Link& v1() const { return pair.second(); }
};

Bed make_bed() {
    Bed bed{Netns::create(unique_name("ad")), {}};
    bed.pair = VethPair::create(bed.ns, {.name = "v0", .peer = {.name = "v1"}});
    test::no_dad(bed.ns, "v0");
    return bed;
}

}  // namespace

TEST_CASE("add IPv4 and IPv6 addresses, with broadcast, peer, scope and label; list them") {
    Bed bed = make_bed();
    const Link& v0 = bed.v0();
    v0.add_address("10.10.10.1/24");
    v0.add_address("10.10.11.1/24", {.broadcast = true});
    v0.add_address(Prefix::parse("10.10.30.1/32"), {.peer = IpAddress::parse("10.10.30.2")});
    v0.add_address("10.10.20.1/24", {.scope = Scope::Link, .label = "v0:x"});
    v0.add_address("2001:db8::1/64");
    bed.v1().add_address("10.10.10.2/24");

    auto all = v0.addresses();
    for (const auto& a : all) CHECK(a.index == v0.index());  // only this link's
    const auto* plain = find(all, "10.10.10.1/24");
    REQUIRE(plain);
    CHECK_FALSE(plain->broadcast);
    CHECK(plain->scope == Scope::Universe);
    CHECK(plain->label == "v0");
    const auto* brd = find(all, "10.10.11.1/24");
    REQUIRE(brd);
    CHECK(brd->broadcast == IpAddress::parse("10.10.11.255"));
    const auto* ptp = find(all, "10.10.30.1/32");
    REQUIRE(ptp);
    CHECK(ptp->peer == IpAddress::parse("10.10.30.2"));
    const auto* labelled = find(all, "10.10.20.1/24");
    REQUIRE(labelled);
    CHECK(labelled->scope == Scope::Link);
    CHECK(labelled->label == "v0:x");
    const auto* v6 = find(all, "2001:db8::1/64");
    REQUIRE(v6);
    CHECK(v6->scope == Scope::Universe);
    CHECK((v6->flags & IFA_F_PERMANENT) != 0);
    CHECK_FALSE(find(all, "10.10.10.2/24"));  // v1's

    if (auto out = ip_in(bed.ns, {"addr", "show", "dev", "v0"})) {
        INFO(*out);
        CHECK(contains(*out, "inet 10.10.10.1/24 scope global v0"));
        CHECK(contains(*out, "inet 10.10.11.1/24 brd 10.10.11.255 scope global v0"));
        CHECK(contains(*out, "inet 10.10.30.1 peer 10.10.30.2/32"));
        CHECK(contains(*out, "inet 10.10.20.1/24 scope link v0:x"));
        CHECK(contains(*out, "inet6 2001:db8::1/64 scope global"));
    }

    // The loopback network gets host scope without being asked, as with `ip addr add`.
    Link lo = Link::loopback(bed.ns);
    lo.add_address("127.0.0.2/8");
    auto lo_addresses = lo.addresses();
    const auto* loopback = find(lo_addresses, "127.0.0.2/8");
    REQUIRE(loopback);
    CHECK(loopback->scope == Scope::Host);
}

TEST_CASE("replace and delete; refusals name the address and the link") {
    Bed bed = make_bed();
    const Link& v0 = bed.v0();
    v0.add_address("10.10.10.1/24");

    auto dup = caught([&] { v0.add_address("10.10.10.1/24"); });
    CHECK(dup.errnum == EEXIST);
    CHECK(contains(dup.what, "10.10.10.1/24"));
    CHECK(contains(dup.what, "v0"));
    CHECK_NOTHROW(v0.add_address("10.10.10.1/24", {.replace = true}));
    v0.add_address("2001:db8::1/64", {.replace = true});  // replace also creates
    CHECK(find(v0.addresses(), "2001:db8::1/64"));

    v0.remove_address("10.10.10.1/24");
    v0.remove_address(Prefix::parse("2001:db8::1/64"));
    auto left = v0.addresses();
    CHECK_FALSE(find(left, "10.10.10.1/24"));
    CHECK_FALSE(find(left, "2001:db8::1/64"));
    auto missing = caught([&] { v0.remove_address("10.10.10.1/24"); });
    CHECK(missing.errnum == EADDRNOTAVAIL);
    CHECK(contains(missing.what, "10.10.10.1/24"));
    CHECK(contains(missing.what, "v0"));

    // Wherever the kernel explains (extended ack), the explanation is in the message.
    v0.add_address("10.10.10.1/24");
    auto scope = caught([&] { v0.add_address("10.10.10.9/24", {.scope = Scope::Link}); });
    if (scope.errnum) {
        CHECK(contains(scope.what, "10.10.10.9/24"));
        if (!scope.kernel.empty()) CHECK(contains(scope.what, scope.kernel));
    }
}

TEST_CASE("bad addresses are rejected before the kernel sees them, naming the value") {
    Bed bed = make_bed();
    const Link& v0 = bed.v0();
    auto before = v0.addresses().size();
    auto too_long = caught([&] { v0.add_address("10.0.0.1/33"); });
    CHECK(too_long.invalid_argument);
    CHECK(contains(too_long.what, "10.0.0.1/33"));
    auto v6_too_long = caught([&] { v0.add_address("2001:db8::1/129"); });
    CHECK(v6_too_long.invalid_argument);
    CHECK(contains(v6_too_long.what, "2001:db8::1/129"));
    auto not_an_address = caught([&] { v0.add_address("10.0.0.256/24"); });
    CHECK(not_an_address.invalid_argument);
    CHECK(contains(not_an_address.what, "10.0.0.256"));
    auto del = caught([&] { v0.remove_address("not-an-ip"); });
    CHECK(del.invalid_argument);
    CHECK(contains(del.what, "not-an-ip"));
    CHECK(v0.addresses().size() == before);
}

TEST_CASE("addresses follow a link into another namespace") {
    Bed bed = make_bed();
    Netns other = Netns::create(unique_name("ad"));
    const Link& v1 = bed.v1();
    bed.pair.set_netns(v1, other);  // the pair's handle of v1 follows it
    v1.add_address("192.0.2.1/24");
    auto all = v1.addresses();
    REQUIRE(all.size() >= 1);
    CHECK(find(all, "192.0.2.1/24"));
    if (auto out = ip_in(other, {"-o", "addr", "show", "dev", "v1"})) CHECK(contains(*out, "192.0.2.1/24"));
    CHECK(Link::get(other, "v1").addresses().size() == all.size());
}
