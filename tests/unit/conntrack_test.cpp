// Unit tests for include/nsnet/conntrack.hpp that need no privileges: which entries a
// ConntrackFilter selects (every set member must match; unset members match anything; zone 0 and
// mark 0 also match entries that carry no zone or mark), and bad input rejected before any I/O.
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

TEST_CASE("Conntrack: bad input is InvalidArgument before any namespace is touched") {
    CHECK_THROWS_AS(Conntrack::list(NetnsRef{}), InvalidArgument);
    CHECK_THROWS_AS(Conntrack::remove(NetnsRef{}, udp_entry()), InvalidArgument);
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
