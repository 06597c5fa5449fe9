// Integration tests of the dual-stack pieces a container network needs (root): IPv6 addresses with
// `nodad` and the event-driven wait for duplicate address detection (Link::wait_dad: done, failed,
// timed out), an IPv6 default route via a gateway through a forwarding namespace, and the
// net.ipv6.conf.* settings (sysctl.hpp) written inside the namespace.
#include <doctest/doctest.h>
#include <linux/if_addr.h>

#include <chrono>
#include <string>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/route.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using namespace std::chrono_literals;
using nsnet::test::unique_name;

namespace {

std::uint32_t flags_of(const Link& l, const char* prefix) {
    for (const auto& a : l.addresses())
        if (a.prefix == Prefix::parse(prefix)) return a.flags;
    FAIL("address " << prefix << " not found on " << l.name());
    return 0;
}

// Two namespaces joined by a veth pair (a0 in a, b0 in b), both ends up.
struct Pair {
    Netns a = Netns::create(unique_name("6a"));
    Netns b = Netns::create(unique_name("6b"));
    VethPair veth = VethPair::create(a, {.name = "a0", .peer = {.name = "b0", .netns = b}});
    Pair() {
        veth.first().up();
        veth.second().up();
    }
};

}  // namespace

TEST_CASE("ipv6: nodad addresses are usable at once; wait_dad waits for DAD on the others") {
    Pair p;
    const Link& a0 = p.veth.first();
    a0.add_address("2001:db8:6::1/64", {.nodad = true});
    CHECK((flags_of(a0, "2001:db8:6::1/64") & IFA_F_NODAD) != 0);
    CHECK((flags_of(a0, "2001:db8:6::1/64") & IFA_F_TENTATIVE) == 0);

    a0.add_address("2001:db8:6::2/64");
    CHECK((flags_of(a0, "2001:db8:6::2/64") & IFA_F_TENTATIVE) != 0);  // DAD takes ~1 s (one probe)
    const auto t0 = std::chrono::steady_clock::now();
    a0.wait_dad(10s);
    const auto took = std::chrono::steady_clock::now() - t0;
    MESSAGE("DAD finished after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    CHECK((flags_of(a0, "2001:db8:6::2/64") & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) == 0);
    CHECK(took < 5s);
    // Nothing tentative: returns at once.
    const auto t1 = std::chrono::steady_clock::now();
    a0.wait_dad(1s);
    CHECK(std::chrono::steady_clock::now() - t1 < 500ms);
}

TEST_CASE("ipv6: wait_dad reports a duplicate address (IFA_F_DADFAILED) naming it") {
    Pair p;
    p.veth.second().add_address("2001:db8:6::5/64", {.nodad = true});
    p.veth.first().add_address("2001:db8:6::5/64");  // b answers a's neighbour solicitation
    try {
        p.veth.first().wait_dad(10s);
        FAIL("wait_dad returned although the address is a duplicate");
    } catch (const Error& e) {
        CHECK(e.errnum() == EADDRNOTAVAIL);
        CHECK(std::string(e.what()).find("2001:db8:6::5") != std::string::npos);
        CHECK((flags_of(p.veth.first(), "2001:db8:6::5/64") & IFA_F_DADFAILED) != 0);
    }
}

TEST_CASE("ipv6: wait_dad times out on a link that is down, saying so") {
    Netns ns = Netns::create(unique_name("6d"));
    auto veth = VethPair::create(ns, {.name = "d0", .peer = {.name = "d1"}});
    veth.first().add_address("2001:db8:6::9/64");
    CHECK((flags_of(veth.first(), "2001:db8:6::9/64") & IFA_F_TENTATIVE) != 0);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        veth.first().wait_dad(300ms);
        FAIL("wait_dad returned on a link that is down");
    } catch (const Error& e) {
        CHECK(e.errnum() == ETIMEDOUT);
        CHECK(std::string(e.what()).find("link is down") != std::string::npos);
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took >= 300ms);
    CHECK(took < 2s);

    // A link that is gone has no addresses, which is not "DAD done".
    Link gone = veth.first();
    veth.remove();
    try {
        gone.wait_dad(1s);
        FAIL("wait_dad returned for a deleted link");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENODEV);
    }
}

TEST_CASE("ipv6: a default route via a gateway through a forwarding namespace") {
    // c -- (c0 / r0) -- r -- (r1 / s0) -- s ; c and s route by default via r.
    Netns c = Netns::create(unique_name("6c"));
    Netns r = Netns::create(unique_name("6r"));
    Netns s = Netns::create(unique_name("6s"));
    auto left = VethPair::create(c, {.name = "c0", .peer = {.name = "r0", .netns = r}});
    auto right = VethPair::create(r, {.name = "r1", .peer = {.name = "s0", .netns = s}});
    left.first().add_address("2001:db8:c::2/64", {.nodad = true});
    left.second().add_address("2001:db8:c::1/64", {.nodad = true});
    right.first().add_address("2001:db8:5::1/64", {.nodad = true});
    right.second().add_address("2001:db8:5::2/64", {.nodad = true});
    for (const Link* l : {&left.first(), &left.second(), &right.first(), &right.second()}) l->up();

    CHECK_FALSE(ipv6_forward(r));
    set_ipv6_forward(r, true);
    CHECK(ipv6_forward(r));
    CHECK(interface_sysctl(r, "r0", "forwarding", SysctlFamily::V6) == "1");  // `all` is copied

    Route::create(c, {.dst = "default", .via = "2001:db8:c::1", .dev = "c0"}).persist();
    Route::create(s, {.dst = "default", .via = "2001:db8:5::1"}).persist();
    auto routes = Route::list(c, {.family = Family::V6});
    bool found = false;
    for (const auto& rt : routes)
        if (rt.is_default() && rt.gateway && *rt.gateway == IpAddress::parse("2001:db8:c::1")) found = true;
    CHECK(found);
    auto via = Route::get(c, {.to = "2001:db8:5::2"});
    REQUIRE(via.gateway);
    CHECK(*via.gateway == IpAddress::parse("2001:db8:c::1"));

    // The first packets wait for neighbour discovery on both hops (~1 s while the routers' own
    // link-local addresses are still tentative).
    auto ping = nsnet::ping(c, "2001:db8:5::2", {.count = 2, .interval = 50ms, .timeout = 4000ms});
    CHECK_MESSAGE(ping.all_answered(), ping.summary());
    set_ipv6_forward(r, false);
    CHECK(nsnet::ping(c, "2001:db8:5::2", {.count = 1, .timeout = 300ms}).none_answered());
}

TEST_CASE("ipv6: net.ipv6.conf.IF settings are written inside the namespace only") {
    Pair p;
    const std::string host_dad = nsnet::sysctl(NetnsRef::current(), "net.ipv6.conf.default.accept_dad");
    set_ipv6_interface(p.a, "a0", {.accept_dad = 0, .accept_ra = 2, .forwarding = true});
    CHECK(interface_sysctl(p.a, "a0", "accept_dad", SysctlFamily::V6) == "0");
    CHECK(interface_sysctl(p.a, "a0", "accept_ra", SysctlFamily::V6) == "2");
    CHECK(interface_sysctl(p.a, "a0", "forwarding", SysctlFamily::V6) == "1");
    CHECK(interface_sysctl(p.b, "b0", "accept_ra", SysctlFamily::V6) == "1");  // the other namespace: default
    // accept_dad=0: a new address skips DAD even without nodad (the kernel clears IFA_F_TENTATIVE
    // from its work queue, a moment after the add: well under DAD's ~1-2 s).
    p.veth.first().add_address("2001:db8:6::7/64");
    const auto t0 = std::chrono::steady_clock::now();
    p.veth.first().wait_dad(5s);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    CHECK((flags_of(p.veth.first(), "2001:db8:6::7/64") & IFA_F_TENTATIVE) == 0);

    set_ipv6_interface(p.a, "a0", {.disable_ipv6 = true});
    CHECK(interface_sysctl(p.a, "a0", "disable_ipv6", SysctlFamily::V6) == "1");
    bool any_v6 = false;
    for (const auto& a : p.veth.first().addresses()) any_v6 |= !a.prefix.address().is_v4();
    CHECK_FALSE(any_v6);
    set_ipv6_interface(p.a, "a0", {.disable_ipv6 = false});

    CHECK_THROWS_AS(set_ipv6_interface(p.a, "a0", {.accept_dad = 3}), InvalidArgument);
    CHECK_THROWS_AS(set_ipv6_interface(p.a, "a0/../x", {.forwarding = true}), InvalidArgument);
    CHECK(nsnet::sysctl(NetnsRef::current(), "net.ipv6.conf.default.accept_dad") == host_dad);
}
