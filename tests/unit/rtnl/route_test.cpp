// Unit tests for include/nsnet/rtnl/route.hpp (and the request side of nsnet/route.hpp, which needs
// no kernel when no device name is involved): request bytes equal iproute2's (tests/unit/golden/
// route_*.txt, dump_route*.txt), captured kernel replies decode to the right fields, and malformed
// or truncated replies are rejected with Error(EBADMSG), never read past the buffer.
#include <doctest/doctest.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "golden.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/route.hpp"

using namespace nsnet;
using rtnl::RoutePath;
using rtnl::RouteSpec;
using rtnl::RouteType;
using rtnl::RouteWrite;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }
Prefix pfx(const char* s) { return Prefix::parse(s); }

// The typed layer's request for `options` (no device names, so no namespace is needed).
RouteSpec typed(const RouteOptions& options, const char* op = "add route") {
    return detail::resolve_route(NetnsRef{}, options, op).spec;
}

// Every route decoded from every datagram of a reply file.
std::vector<rtnl::RouteInfo> decode_all(const char* file) {
    std::vector<rtnl::RouteInfo> out;
    for (const auto& b : golden::load(file).blocks)
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes)))
            if (auto r = rtnl::decode_route(m)) out.push_back(*r);
    return out;
}

const rtnl::RouteInfo* find(const std::vector<rtnl::RouteInfo>& routes, const char* dst, std::uint32_t table = 254) {
    for (const auto& r : routes)
        if (r.dst == pfx(dst) && r.table == table) return &r;
    return nullptr;
}

}  // namespace

TEST_CASE("route requests equal iproute2's bytes (golden captures)") {
    SUBCASE("ip route add 10.20.0.0/16 via 10.10.10.254") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.20.0.0/16"), .gateway = ip("10.10.10.254")})),
                           golden::load("route_add_gw"));
    }
    SUBCASE("ip route add 10.30.0.0/16 dev veth-n1 (link scope)") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.30.0.0/16"), .oif = 3})),
                           golden::load("route_add_dev"));
    }
    SUBCASE("ip route add default via 10.10.10.254 (no RTA_DST)") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.gateway = ip("10.10.10.254")})), golden::load("route_default"));
    }
    SUBCASE("ip route add ... table 100 metric 50") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.dst = pfx("10.40.0.0/16"), .gateway = ip("10.10.10.254"), .table = 100, .metric = 50})),
                           golden::load("route_table_metric"));
    }
    SUBCASE("ip route replace") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.20.0.0/16"), .gateway = ip("10.10.10.253")},
                                                           RouteWrite::Replace)),
                           golden::load("route_replace"));
    }
    SUBCASE("ip route append") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.50.0.0/16"), .gateway = ip("10.10.10.251")},
                                                           RouteWrite::Append)),
                           golden::load("route_append"));
    }
    SUBCASE("ip route del 10.20.0.0/16 (protocol 0, scope nowhere, type 0)") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_del({.dst = pfx("10.20.0.0/16")})), golden::load("route_del"));
    }
    SUBCASE("ip route del with gateway, table 1000, metric and dev") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_del({.dst = pfx("10.80.0.0/16"), .gateway = ip("10.10.10.254"),
                                                            .table = 1000, .metric = 100, .oif = 3})),
                           golden::load("route_del_full"));
    }
    SUBCASE("ip route add ... src table 1000 metric proto static dev (RTA_TABLE, attribute order)") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.80.0.0/16"), .gateway = ip("10.10.10.254"),
                                                            .prefsrc = ip("10.10.10.1"), .table = 1000, .metric = 100,
                                                            .protocol = rtnl::RouteProtocol::Static, .oif = 3})),
                           golden::load("route_add_full"));
    }
    SUBCASE("IPv6 via") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.family = Family::V6, .dst = pfx("2001:db8:1::/64"), .gateway = ip("2001:db8::fe")})),
                           golden::load("route_v6"));
    }
    SUBCASE("IPv6 dev, table 1000, metric: universe scope") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.family = Family::V6, .dst = pfx("2001:db8:2::/64"), .table = 1000, .metric = 10, .oif = 3})),
                           golden::load("route_v6_dev_table"));
    }
    SUBCASE("ip -6 route add default via ... dev: ip sends RTA_DST :: when the family is known") {
        // nsnet's "default" is `ip route add default` (no RTA_DST); "::/0" is what `ip -6` sends.
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.family = Family::V6, .dst = pfx("::/0"), .gateway = ip("2001:db8::fe"), .oif = 3})),
                           golden::load("route_default_v6"));
    }
    SUBCASE("multipath: rtnexthop {len, flags, weight-1, ifindex} + RTA_GATEWAY") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.dst = pfx("10.50.0.0/16"),
                                .paths = {RoutePath{.gateway = ip("10.10.10.253"), .weight = 1},
                                             RoutePath{.gateway = ip("10.10.10.254"), .weight = 2}}})),
                           golden::load("route_multipath"));
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.dst = pfx("10.51.0.0/16"),
                                .paths = {RoutePath{.gateway = ip("10.10.10.253"), .ifindex = 3, .weight = 1},
                                             RoutePath{.gateway = ip("10.10.10.252"), .ifindex = 3, .weight = 3}}})),
                           golden::load("route_multipath_dev"));
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.family = Family::V6, .dst = pfx("2001:db8:5::/64"),
                                .paths = {RoutePath{.gateway = ip("2001:db8::fd"), .ifindex = 3},
                                             RoutePath{.gateway = ip("2001:db8::fc"), .ifindex = 3}}})),
                           golden::load("route_multipath_v6"));
    }
    SUBCASE("route types: blackhole, unreachable, prohibit (universe), local (table local, host scope)") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.60.0.0/16"), .type = RouteType::Blackhole})),
                           golden::load("route_blackhole"));
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.61.0.0/16"), .type = RouteType::Unreachable})),
                           golden::load("route_unreachable"));
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.62.0.0/16"), .type = RouteType::Prohibit})),
                           golden::load("route_prohibit"));
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.90.0.1"), .type = RouteType::Local, .oif = 3})),
                           golden::load("route_add_local"));
    }
    SUBCASE("onlink sets rtm_flags RTNH_F_ONLINK") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(
                               {.dst = pfx("10.81.0.0/16"), .gateway = ip("192.0.2.1"), .oif = 3, .flags = RTNH_F_ONLINK})),
                           golden::load("route_onlink"));
    }
    SUBCASE("nhid") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new({.dst = pfx("10.70.0.0/16"), .nh_id = 10})),
                           golden::load("route_nhid"));
    }
}

TEST_CASE("ip route get requests") {
    // ip sends RTM_GETROUTE without NLM_F_ACK (it waits for the answer itself); nl::request() adds
    // NLM_F_ACK to every request, which for a GET only makes the kernel send an ack after the
    // answer. The encoder's own bytes (before the transport adds the flag) are ip's exactly.
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_get({.dst = ip("10.20.1.1")}), false), golden::load("route_get"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_get({.dst = ip("2001:db8:1::1")}), false), golden::load("route_get_v6"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_get({.dst = ip("10.20.1.1"), .src = ip("10.10.10.1"), .oif = 3, .mark = 7}), false),
                       golden::load("route_get_opts"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_get({.dst = ip("10.20.1.1"), .src = ip("10.10.10.9"), .iif = 2, .mark = 7}), false),
                       golden::load("route_get_iif"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_get({.dst = ip("10.20.1.1"), .fib_match = true}), false),
                       golden::load("route_get_fibmatch"));
    auto sent = golden::as_sent(rtnl::route_get({.dst = ip("10.20.1.1")}));
    CHECK(sent[6] == (NLM_F_REQUEST | NLM_F_ACK));
}

TEST_CASE("route dump requests") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_dump(AF_INET, RT_TABLE_MAIN)), golden::load("dump_route4").block(1));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_dump(AF_INET6, RT_TABLE_MAIN)), golden::load("dump_route6"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_dump(AF_INET)), golden::load("dump_route_all"));
}

TEST_CASE("the typed options produce the same bytes as ip") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.20.0.0/16", .via = "10.10.10.254"}))),
                       golden::load("route_add_gw"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "default", .via = "10.10.10.254"}))),
                       golden::load("route_default"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.40.0.0/16", .via = "10.10.10.254", .table = 100, .metric = 50}))),
                       golden::load("route_table_metric"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "2001:db8:1::/64", .via = "2001:db8::fe"}))),
                       golden::load("route_v6"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.50.0.0/16",
                                                               .paths = {{.via = "10.10.10.253", .weight = 1},
                                                                            {.via = "10.10.10.254", .weight = 2}}}))),
                       golden::load("route_multipath"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.60.0.0/16", .type = RouteType::Blackhole}))),
                       golden::load("route_blackhole"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.61.0.0/16", .type = RouteType::Unreachable}))),
                       golden::load("route_unreachable"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_del(typed({.dst = "10.20.0.0/16"}, "delete route"))),
                       golden::load("route_del"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::route_new(typed({.dst = "10.20.0.0/16", .via = "10.10.10.253"}), RouteWrite::Replace)),
                       golden::load("route_replace"));

    // A bare address is a host route; "default" with an IPv6 gateway is an IPv6 default route.
    auto host = typed({.dst = "10.90.0.1", .type = RouteType::Local});
    CHECK(host.dst == pfx("10.90.0.1/32"));
    auto v6default = typed({.dst = "default", .via = "2001:db8::fe"});
    CHECK(v6default.family == Family::V6);
    CHECK_FALSE(v6default.dst.has_value());
    CHECK(typed({.dst = "default", .type = RouteType::Blackhole, .family = Family::V6}).family == Family::V6);
    // Text and typed values give the same request.
    auto text_form = typed({.dst = "10.20.0.0/16", .via = "10.10.10.254", .src = "10.10.10.1"});
    auto typed_form = typed({.dst = pfx("10.20.0.0/16"), .via = ip("10.10.10.254"), .src = ip("10.10.10.1")});
    CHECK(golden::as_sent(rtnl::route_new(text_form)) == golden::as_sent(rtnl::route_new(typed_form)));
    CHECK(typed({.dst = ip("10.90.0.1"), .type = RouteType::Local}).dst == pfx("10.90.0.1/32"));
    // An IPv4 route through an IPv6 gateway is sent as RTA_VIA.
    auto via = golden::as_sent(rtnl::route_new(typed({.dst = "10.99.0.0/16", .via = "fe80::1"})));
    REQUIRE(via.size() == 28 + 8 + 4 + 2 + 16 + 2);
    CHECK(via[28 + 8 + 2] == RTA_VIA);
    CHECK(via[28 + 8 + 4] == AF_INET6);
}

TEST_CASE("bad route input is rejected before anything is sent, naming the value") {
    auto rejects = [](const RouteOptions& o, const std::string& needle) {
        try {
            typed(o);
            FAIL("accepted: " << needle);
        } catch (const InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, std::string(e.what()));
            CHECK(e.errnum() == EINVAL);
        }
    };
    rejects({.dst = "10.0.0.1/33", .via = "10.0.0.254"}, "RouteOptions.dst '10.0.0.1/33' is not a prefix");
    rejects({.dst = "10.300.0.0/16"}, "RouteOptions.dst '10.300.0.0/16'");
    rejects({.dst = ""}, "RouteOptions.dst is not set");
    rejects({.dst = "10.20.0.1/16", .via = "10.0.0.1"}, "host bits set (the network is 10.20.0.0/16)");
    rejects({.dst = "10.20.0.0/16", .via = "10.0.0"}, "RouteOptions.via '10.0.0' is not an IPv4 or IPv6 address");
    rejects({.dst = "10.20.0.0/16", .via = "10.0.0.300"}, "RouteOptions.via '10.0.0.300'");
    rejects({.dst = "2001:db8::/64", .via = "10.0.0.1"}, "IPv4 gateway RouteOptions.via 10.0.0.1");
    rejects({.dst = "10.20.0.0/16", .src = "2001:db8::1"}, "RouteOptions.src 2001:db8::1 is not an IPv4 address");
    rejects({.dst = "10.20.0.0/16", .src = "10.0.0.1.1"}, "RouteOptions.src '10.0.0.1.1'");
    rejects({.dst = "10.20.0.0/16", .family = Family::V6}, "does not match RouteOptions.dst 10.20.0.0/16");
    rejects({.dst = "10.20.0.0/16", .paths = {{.via = "10.0.0.1", .weight = 0}}}, "RouteOptions.paths[0].weight 0");
    rejects({.dst = "10.20.0.0/16", .paths = {{.via = "10.0.0.1"}, {.via = "10.0.0.2", .weight = 257}}},
            "RouteOptions.paths[1].weight 257");
    rejects({.dst = "10.20.0.0/16", .paths = {{.via = "10.0.0.1"}, {.via = "10.0.0.x"}}}, "RouteOptions.paths[1].via '10.0.0.x'");
    rejects({.dst = "10.20.0.0/16", .paths = {{.weight = 1}}}, "RouteOptions.paths[0] has neither a via nor a dev");
    rejects({.dst = "10.20.0.0/16", .via = "10.0.0.1", .paths = {{.via = "10.0.0.2"}}}, "not both");
    rejects({.dst = "10.20.0.0/16", .via = "10.0.0.1", .nexthop_id = 3}, "RouteOptions.nexthop_id 3");
    rejects({.dst = "10.20.0.0/16", .dev = "bad/name"}, "bad/name");
    rejects({.dst = "10.20.0.0/16", .dev = "a-name-of-16-byt"}, "a-name-of-16-byt");
    // Typed values are taken as they are; they cannot be malformed, but they are still checked.
    rejects({.dst = Prefix::parse("2001:db8::/64"), .via = IpAddress::parse("10.0.0.1")}, "IPv4 gateway");
    rejects({.dst = Prefix(IpAddress::parse("10.20.0.1"), 16)}, "host bits set");
    CHECK_THROWS_AS(rtnl::route_new({.dst = pfx("10.0.0.0/8"), .paths = {RoutePath{.gateway = ip("10.1.1.1"), .weight = 0}}}),
                    InvalidArgument);
}

TEST_CASE("decode_route: ip -4 route show (table main, filtered by the kernel)") {
    auto routes = decode_all("reply_route4");
    CHECK(routes.size() == 12);
    for (const auto& r : routes) {
        CHECK(r.family == Family::V4);
        CHECK(r.table == 254);
    }
    const auto* def = find(routes, "0.0.0.0/0");
    REQUIRE(def);
    CHECK(def->is_default());
    CHECK(def->gateway == ip("10.10.10.254"));
    CHECK(def->oif == 3);
    CHECK(def->metric == 10);
    CHECK(def->protocol == rtnl::RouteProtocol::Boot);
    CHECK(def->scope == Scope::Universe);

    const auto* subnet = find(routes, "10.10.10.0/24");
    REQUIRE(subnet);
    CHECK(subnet->protocol == rtnl::RouteProtocol::Kernel);
    CHECK(subnet->scope == Scope::Link);
    CHECK(subnet->prefsrc == ip("10.10.10.1"));
    CHECK_FALSE(subnet->gateway);

    const auto* mp = find(routes, "10.52.0.0/16");
    REQUIRE(mp);
    REQUIRE(mp->paths.size() == 2);
    CHECK(mp->paths[0].gateway == ip("10.10.10.253"));
    CHECK(mp->paths[0].weight == 1);
    CHECK(mp->paths[0].ifindex == 3);  // the kernel fills in the device it found
    CHECK(mp->paths[1].gateway == ip("10.10.10.254"));
    CHECK(mp->paths[1].weight == 2);
    CHECK_FALSE(mp->gateway);
    CHECK(mp->oif == 0);
    const auto* mp3 = find(routes, "10.51.0.0/16");
    REQUIRE(mp3);
    REQUIRE(mp3->paths.size() == 2);
    CHECK(mp3->paths[1].weight == 3);

    CHECK(find(routes, "10.60.0.0/16")->type == RouteType::Blackhole);
    CHECK(find(routes, "10.61.0.0/16")->type == RouteType::Unreachable);
    CHECK(find(routes, "10.62.0.0/16")->type == RouteType::Prohibit);
    const auto* onlink = find(routes, "10.81.0.0/16");
    REQUIRE(onlink);
    CHECK((onlink->flags & RTNH_F_ONLINK) != 0);
    CHECK(to_string(*onlink) == "10.81.0.0/16 via 192.0.2.1 dev #3 onlink");
    CHECK(to_string(*subnet) == "10.10.10.0/24 dev #3 proto kernel scope link src 10.10.10.1");
    // Device names (a container may put ESC in them) are shown escaped, in every path too.
    RouteInfo named = *onlink;
    named.dev = "e\x1b[2J";
    CHECK(to_string(named) == "10.81.0.0/16 via 192.0.2.1 dev e\\x1b[2J onlink");
    RouteInfo multipath = *mp3;
    for (auto& path : multipath.paths) path.dev = "p\x07";
    CHECK(to_string(multipath).find("dev p\\x07") != std::string::npos);
    CHECK(to_string(multipath).find('\x07') == std::string::npos);
}

TEST_CASE("decode_route: every table, RTA_TABLE, local routes") {
    auto routes = decode_all("reply_route_all");
    const auto* t100 = find(routes, "10.40.0.0/16", 100);
    REQUIRE(t100);
    CHECK(t100->metric == 50);
    const auto* t1000 = find(routes, "10.80.0.0/16", 1000);  // rtm_table 0 (RT_TABLE_UNSPEC) + RTA_TABLE 1000
    REQUIRE(t1000);
    CHECK(t1000->protocol == rtnl::RouteProtocol::Static);
    CHECK(t1000->prefsrc == ip("10.10.10.1"));
    CHECK(t1000->metric == 100);
    CHECK(t1000->oif == 3);
    const auto* local = find(routes, "10.90.0.1/32", 255);
    REQUIRE(local);
    CHECK(local->type == RouteType::Local);
    CHECK(local->scope == Scope::Host);
    const auto* lo = find(routes, "127.0.0.0/8", 255);
    REQUIRE(lo);
    CHECK(lo->oif == 1);
}

TEST_CASE("decode_route: IPv6 dump and ip route get answers") {
    auto v6 = decode_all("reply_route6");
    const auto* via = find(v6, "2001:db8:1::/64");
    REQUIRE(via);
    CHECK(via->family == Family::V6);
    CHECK(via->gateway == ip("2001:db8::fe"));
    CHECK(via->metric == 1024);
    const auto* mp = find(v6, "2001:db8:5::/64");
    REQUIRE(mp);
    REQUIRE(mp->paths.size() == 2);
    CHECK(mp->paths[0].gateway == ip("2001:db8::fd"));
    CHECK(mp->paths[1].ifindex == 3);
    const auto* def = find(v6, "::/0");
    REQUIRE(def);
    CHECK(def->is_default());

    auto get = decode_all("reply_route_get");
    REQUIRE(get.size() == 1);
    CHECK(get[0].dst == pfx("10.20.1.1/32"));
    CHECK(get[0].gateway == ip("10.10.10.254"));
    CHECK(get[0].prefsrc == ip("10.10.10.1"));
    CHECK(get[0].oif == 3);
    CHECK(get[0].table == 254);
    CHECK((get[0].flags & RTM_F_CLONED) != 0);
    auto get6 = decode_all("reply_route_get6");
    REQUIRE(get6.size() == 1);
    CHECK(get6[0].gateway == ip("2001:db8::fe"));
    CHECK(get6[0].prefsrc == ip("2001:db8::1"));
    CHECK(to_string(get6[0]) == "2001:db8:1::1 from :: via 2001:db8::fe dev #3 src 2001:db8::1 metric 1024");
}

TEST_CASE("decode_route_into: one reused RouteInfo decodes every route as decode_route does") {
    // Multipath, metrics, IPv6 and plain routes one after the other into the same object: nothing
    // of a previous route may survive into the next (gateway, nexthops, mtu, pref, src, dev...).
    for (const char* file : {"reply_route4", "reply_route6", "reply_route_all", "reply_route_get", "reply_route_get6"}) {
        CAPTURE(file);
        rtnl::RouteInfo reused;
        reused.dev = "stale";
        std::size_t n = 0;
        for (const auto& b : golden::load(file).blocks)
            for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes))) {
                auto fresh = rtnl::decode_route(m);
                REQUIRE(rtnl::decode_route_into(m, reused) == fresh.has_value());
                if (!fresh) continue;
                ++n;
                CHECK(reused.family == fresh->family);
                CHECK(reused.dst == fresh->dst);
                CHECK(reused.src == fresh->src);
                CHECK(reused.tos == fresh->tos);
                CHECK(reused.table == fresh->table);
                CHECK(reused.protocol == fresh->protocol);
                CHECK(reused.scope == fresh->scope);
                CHECK(reused.type == fresh->type);
                CHECK(reused.flags == fresh->flags);
                CHECK(reused.gateway == fresh->gateway);
                CHECK(reused.prefsrc == fresh->prefsrc);
                CHECK(reused.oif == fresh->oif);
                CHECK(reused.iif == fresh->iif);
                CHECK(reused.metric == fresh->metric);
                CHECK(reused.nh_id == fresh->nh_id);
                CHECK(reused.mtu == fresh->mtu);
                CHECK(reused.pref == fresh->pref);
                CHECK(reused.paths == fresh->paths);
                CHECK(reused.dev.empty());
            }
        CHECK(n > 0);
    }
    // Another message type leaves it untouched.
    rtnl::RouteInfo r;
    r.oif = 7;
    nl::MessageBuilder other(RTM_NEWLINK, 0);
    other.put_header(ifinfomsg{});
    CHECK_FALSE(rtnl::decode_route_into(nl::MessageView(other.bytes()), r));
    CHECK(r.oif == 7);
}

TEST_CASE("decode_route skips other message types and families") {
    nl::MessageBuilder m(RTM_NEWROUTE, 0);
    rtmsg r{};
    r.rtm_family = 128;  // RTNL_FAMILY_IPMR
    m.put_header(r);
    CHECK_FALSE(rtnl::decode_route(nl::MessageView(m.bytes())));
    nl::MessageBuilder other(RTM_NEWLINK, 0);
    other.put_header(ifinfomsg{});
    CHECK_FALSE(rtnl::decode_route(nl::MessageView(other.bytes())));
}

namespace {

// Decoding must either succeed or throw nsnet::Error(EBADMSG); nothing else, never a crash.
void decode_or_ebadmsg(const golden::ByteVec& bytes) {
    try {
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(bytes))) (void)rtnl::decode_route(m);
    } catch (const Error& e) {
        CHECK_MESSAGE(e.errnum() == EBADMSG, std::string(e.what()));
    }
}

golden::ByteVec route_message(std::uint8_t dst_len, const std::vector<std::pair<std::uint16_t, golden::ByteVec>>& attrs) {
    nl::MessageBuilder m(RTM_NEWROUTE, 0);
    rtmsg r{};
    r.rtm_family = AF_INET;
    r.rtm_dst_len = dst_len;
    r.rtm_table = 254;
    m.put_header(r);
    for (const auto& [type, payload] : attrs) m.put(type, payload.data(), payload.size());
    return golden::to_vec(m.bytes());
}

void check_ebadmsg(const golden::ByteVec& bytes, const char* what) {
    INFO(what);
    try {
        (void)rtnl::decode_route(nl::MessageView(golden::as_bytes(bytes)));
        FAIL("decoded malformed input: " << what);
    } catch (const Error& e) {
        CHECK(e.errnum() == EBADMSG);
    }
}

}  // namespace

TEST_CASE("malformed and truncated route messages throw Error(EBADMSG)") {
    check_ebadmsg(route_message(16, {{RTA_DST, {10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}}), "16-byte RTA_DST in an IPv4 route");
    check_ebadmsg(route_message(16, {{RTA_GATEWAY, {10, 20, 0}}}), "3-byte gateway");
    check_ebadmsg(route_message(33, {}), "dst_len 33");
    check_ebadmsg(route_message(16, {{RTA_OIF, {3, 0}}}), "2-byte RTA_OIF");
    check_ebadmsg(route_message(16, {{RTA_VIA, {10}}}), "RTA_VIA without a family");
    check_ebadmsg(route_message(16, {{RTA_VIA, {AF_INET6, 0, 1, 2, 3, 4}}}), "RTA_VIA with a short address");
    // RTA_MULTIPATH: a nexthop claiming more bytes than there are, one shorter than its header,
    // and a gateway of the wrong size inside a nexthop.
    check_ebadmsg(route_message(16, {{RTA_MULTIPATH, {32, 0, 0, 0, 0, 0, 0, 0}}}), "rtnh_len past the attribute");
    check_ebadmsg(route_message(16, {{RTA_MULTIPATH, {4, 0, 0, 0, 0, 0, 0, 0}}}), "rtnh_len below its header");
    check_ebadmsg(route_message(16, {{RTA_MULTIPATH, {1, 2, 3}}}), "nexthop header truncated");
    check_ebadmsg(route_message(16, {{RTA_MULTIPATH, {14, 0, 0, 0, 0, 0, 0, 0, 6, 0, 5, 0, 10, 10}}}), "2-byte gateway in a nexthop");
    check_ebadmsg(route_message(16, {{RTA_MULTIPATH, {16, 0, 0, 0, 0, 0, 0, 0, 12, 0, 5, 0, 10, 10, 10, 1}}}),
                  "nested attribute longer than its nexthop");
    {
        auto bad = route_message(16, {{RTA_DST, {10, 20, 0, 0}}});
        bad[28] = 40;  // the attribute claims 40 bytes; the message has 8
        check_ebadmsg(bad, "attribute length past the message");
    }
    {
        // Shorter than struct rtmsg.
        auto m = route_message(16, {});
        m.resize(16 + 6);
        std::uint32_t len = static_cast<std::uint32_t>(m.size());
        std::memcpy(m.data(), &len, 4);
        check_ebadmsg(m, "message shorter than rtmsg");
    }

    // Every truncation of every captured reply, with nlmsg_len patched to the cut: the decoder
    // either decodes a prefix of the attributes or reports EBADMSG.
    for (const char* file : {"reply_route4", "reply_route_all", "reply_route6", "reply_route_get", "reply_route_get6"}) {
        for (const auto& b : golden::load(file).blocks) {
            for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes))) {
                auto whole = golden::to_vec(m.bytes());
                for (std::size_t cut = 16; cut < whole.size(); ++cut) {
                    golden::ByteVec part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
                    std::uint32_t len = static_cast<std::uint32_t>(cut);
                    std::memcpy(part.data(), &len, 4);
                    decode_or_ebadmsg(part);
                }
                // And the unpatched cut: nlmsg_len larger than the buffer.
                golden::ByteVec half(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() / 2));
                decode_or_ebadmsg(half);
            }
        }
    }
    // Random byte corruption of the captured replies (fixed seed: reproducible).
    std::mt19937 rng(20240601);
    for (const char* file : {"reply_route4", "reply_route6", "reply_route_all"}) {
        for (const auto& b : golden::load(file).blocks) {
            for (int round = 0; round < 300; ++round) {
                auto v = b.bytes;
                if (v.empty()) continue;
                for (int k = 0; k < 4; ++k) v[rng() % v.size()] = static_cast<std::uint8_t>(rng());
                decode_or_ebadmsg(v);
            }
        }
    }
}
