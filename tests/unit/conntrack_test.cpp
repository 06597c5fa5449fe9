// Unit tests for include/nsnet/conntrack.hpp that need no privileges: which entries a
// ConntrackFilter selects (every set member must match; unset members match anything; zone 0 and
// mark 0 also match entries that carry no zone or mark), which filtered dumps select them, and bad
// input rejected before any I/O.
#include "nsnet/conntrack.hpp"

#include <doctest/doctest.h>

#include "../support/errors.hpp"

using namespace nsnet;
using nsnet::test::has;
using nsnet::test::rejection;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }

ConntrackEntry udp_entry() {
    return {.family = AF_INET,
            .orig = {.src = ip("10.0.0.2"), .dst = ip("10.0.0.1"), .protocol = IPPROTO_UDP, .src_port = 40000, .dst_port = 53},
            .reply = ConntrackTuple{.src = ip("10.0.0.1"), .dst = ip("10.0.0.2"), .protocol = IPPROTO_UDP,
                                    .src_port = 53, .dst_port = 40000},
            .mark = 7};
}

}  // namespace

TEST_CASE("ConntrackFilter: every member set must match") {
    const auto e = udp_entry();
    CHECK(ConntrackFilter{}.matches(e));
    CHECK(ConntrackFilter{.family = Family::V4}.matches(e));
    CHECK_FALSE(ConntrackFilter{.family = Family::V6}.matches(e));
    CHECK(ConntrackFilter{.protocol = IPPROTO_UDP}.matches(e));
    CHECK_FALSE(ConntrackFilter{.protocol = IPPROTO_TCP}.matches(e));
    CHECK(ConntrackFilter{.orig_src = ip("10.0.0.2"), .orig_dst = ip("10.0.0.1")}.matches(e));
    CHECK_FALSE(ConntrackFilter{.orig_dst = ip("10.0.0.2")}.matches(e));  // the reply direction's address
    CHECK(ConntrackFilter{.orig_src_port = 40000, .orig_dst_port = 53}.matches(e));
    CHECK_FALSE(ConntrackFilter{.orig_dst_port = 40000}.matches(e));
    CHECK(ConntrackFilter{.protocol = IPPROTO_UDP, .orig_dst_port = 53, .mark = 7}.matches(e));
    CHECK_FALSE(ConntrackFilter{.protocol = IPPROTO_UDP, .orig_dst_port = 53, .mark = 8}.matches(e));
    // No CTA_ZONE in the entry means zone 0.
    CHECK(ConntrackFilter{.zone = 0}.matches(e));
    CHECK_FALSE(ConntrackFilter{.zone = 1}.matches(e));
    auto zoned = e;
    zoned.zone = 1;
    CHECK(ConntrackFilter{.zone = 1}.matches(zoned));
    // An ICMP entry has no ports: a port filter never matches it.
    ConntrackEntry icmp{.family = AF_INET,
                        .orig = {.src = ip("10.0.0.2"), .dst = ip("10.0.0.1"), .protocol = IPPROTO_ICMP, .icmp_id = 9}};
    CHECK_FALSE(ConntrackFilter{.orig_dst_port = 53}.matches(icmp));
    CHECK(ConntrackFilter{.protocol = IPPROTO_ICMP}.matches(icmp));
}

TEST_CASE("Conntrack's dumps: the kernel filters by what it compares right, the rest is matched here") {
    int asked = 0;
    auto dumps = [&](const ConntrackFilter& f, std::size_t entries) {
        return detail::conntrack_dump_filters(detail::resolve_conntrack_filter(f, "list", "ns"), [&] {
            ++asked;
            return entries;
        });
    };
    // A family, given or implied by an address: one dump of that family, filtered.
    auto d = dumps({.family = Family::V4, .protocol = IPPROTO_UDP, .orig_dst_port = 5353}, 0);
    REQUIRE(d.size() == 1);
    CHECK(d[0].family == AF_INET);
    CHECK(d[0].protocol == IPPROTO_UDP);
    CHECK(d[0].orig_dst_port == 5353);
    d = dumps({.orig_src = "10.0.0.1", .orig_dst = "10.0.0.2", .mark = 3}, 0);
    REQUIRE(d.size() == 1);
    CHECK(d[0].family == AF_INET);
    CHECK(d[0].orig_src == ip("10.0.0.1"));
    CHECK(d[0].orig_dst == ip("10.0.0.2"));
    CHECK(d[0].mark == 3u);
    // IPv6 addresses only imply the family: Linux's dump filter compares them the wrong way round.
    d = dumps({.protocol = IPPROTO_TCP, .orig_dst = "fd00::2", .orig_dst_port = 80}, 0);
    REQUIRE(d.size() == 1);
    CHECK(d[0].family == AF_INET6);
    CHECK_FALSE(d[0].orig_dst);
    CHECK(d[0].protocol == IPPROTO_TCP);
    CHECK(d[0].orig_dst_port == 80);
    // Ports without a protocol: the kernel cannot take them.
    d = dumps({.family = Family::V6, .orig_src_port = 1, .orig_dst_port = 2}, 0);
    REQUIRE(d.size() == 1);
    CHECK_FALSE(d[0].orig_src_port);
    CHECK_FALSE(d[0].orig_dst_port);
    // Addresses of two families, or a family its address contradicts: nothing to dump.
    CHECK(dumps({.orig_src = "10.0.0.1", .orig_dst = "fd00::2"}, 0).empty());
    CHECK(dumps({.family = Family::V6, .orig_dst = "10.0.0.2"}, 0).empty());
    CHECK(asked == 0);  // a family decides without asking the table's size
    // A protocol but no family: two filtered dumps only for a big table, else one of everything.
    d = dumps({.protocol = IPPROTO_UDP, .orig_dst_port = 53}, detail::conntrack_split_threshold);
    REQUIRE(d.size() == 2);
    CHECK(d[0].family == AF_INET);
    CHECK(d[1].family == AF_INET6);
    CHECK(d[1].protocol == IPPROTO_UDP);
    CHECK(d[1].orig_dst_port == 53);
    d = dumps({.protocol = IPPROTO_UDP, .orig_dst_port = 53}, detail::conntrack_split_threshold - 1);
    REQUIRE(d.size() == 1);
    CHECK(d[0].family == AF_UNSPEC);
    CHECK_FALSE(d[0].protocol);
    CHECK(asked == 2);
    // Nothing but a mark (which needs no family): one dump of every family, the mark filtered.
    d = dumps({.zone = 2, .mark = 9}, 0);
    REQUIRE(d.size() == 1);
    CHECK(d[0].family == AF_UNSPEC);
    CHECK(d[0].mark == 9u);
    CHECK(asked == 2);
}

TEST_CASE("Conntrack: bad input is InvalidArgument before any namespace is touched") {
    CHECK_THROWS_AS(Conntrack::list(NetnsRef{}), InvalidArgument);
    CHECK_THROWS_AS(Conntrack::remove(NetnsRef{}, udp_entry()), InvalidArgument);
    CHECK_THROWS_AS(Conntrack::count(NetnsRef{}), InvalidArgument);
}

TEST_CASE("ConntrackFilter addresses are text or typed; bad text is refused naming the field and the value") {
    const auto e = udp_entry();
    CHECK(ConntrackFilter{.orig_src = "10.0.0.2", .orig_dst = "10.0.0.1"}.matches(e));
    CHECK_FALSE(ConntrackFilter{.orig_dst = "10.0.0.2"}.matches(e));
    CHECK(ConntrackFilter{.orig_dst = std::string("10.0.0.1"), .orig_dst_port = 53}.matches(e));
    CHECK(has(rejection([&] { (void)ConntrackFilter{.orig_dst = "10.0.0.300"}.matches(e); }),
              "ConntrackFilter.orig_dst '10.0.0.300' is not an IPv4 or IPv6 address"));
    // list()/remove() resolve the filter before anything is sent (an empty NetnsRef: the filter
    // is checked first, so this can only be the filter's error).
    auto listed = rejection([] { (void)Conntrack::list(NetnsRef{}, {.orig_src = "10.0.0.1/24"}); });
    CHECK(has(listed, "list conntrack entries"));
    CHECK(has(listed, "ConntrackFilter.orig_src '10.0.0.1/24' is not an IPv4 or IPv6 address"));
    auto removed = rejection([] { (void)Conntrack::remove(NetnsRef{}, {.protocol = IPPROTO_UDP, .orig_dst = "nohost"}); });
    CHECK(has(removed, "delete conntrack entries"));
    CHECK(has(removed, "ConntrackFilter.orig_dst 'nohost' is not an IPv4 or IPv6 address"));
    // The resolved form matches as the filter does, without throwing.
    const auto r = detail::resolve_conntrack_filter({.orig_dst = "10.0.0.1", .mark = 7}, "t", "x");
    CHECK(r.orig_dst == IpAddress::parse("10.0.0.1"));
    CHECK(r.matches(e));
    static_assert(noexcept(r.matches(e)));
}
