// Integration tests of include/nsnet/route.hpp (root): create / replace / append / remove / list /
// get / find in namespaces the test creates, read back through Route::list() and Route::get()
// (nsnet's own dumps), iproute2 as a cross-check; IPv4 and IPv6, tables, metrics, multipath, route
// types; error paths (names and the kernel's extended ack); the Route owner; removal by a second
// process (the static Route::remove and Rule::remove).
//
// Testbed: namespace `ns` with a0 (10.10.10.1/24, 2001:db8::1/64) and a1 (10.10.11.1/24), veth
// ends whose peers b0 (10.10.10.254, .253 | 2001:db8::fe) and b1 (10.10.11.254) sit in a second
// namespace `peer`; everything up, IPv6 DAD off.
#include "nsnet/route.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "link_support.hpp"
#include "nsnet/rule.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::caught;
using nsnet::test::contains;
using nsnet::test::ip_in;
using nsnet::test::unique_name;

namespace {

struct Bed {
    Netns ns;
    Netns peer;
    VethPair p0;
    VethPair p1;
    const Link& a0() const { return p0.first(); }
    const Link& a1() const { return p1.first(); }
};

Bed make_bed() {
    Bed bed{Netns::create(unique_name("ro")), Netns::create(unique_name("ro")), {}, {}};
    test::no_dad(bed.ns);
    test::no_dad(bed.peer);
    Link::loopback(bed.ns).up();
    bed.p0 = VethPair::create(bed.ns, {.name = "a0", .peer = {.name = "b0", .netns = bed.peer}});
    bed.p1 = VethPair::create(bed.ns, {.name = "a1", .peer = {.name = "b1", .netns = bed.peer}});
    bed.a0().add_address("10.10.10.1/24");
    bed.a0().add_address("2001:db8::1/64");
    bed.a1().add_address("10.10.11.1/24");
    const Link& b0 = bed.p0.second();
    b0.add_address("10.10.10.254/24");
    b0.add_address("10.10.10.253/24");
    b0.add_address("2001:db8::fe/64");
    bed.p1.second().add_address("10.10.11.254/24");
    for (const Link* l : {&bed.p0.first(), &bed.p0.second(), &bed.p1.first(), &bed.p1.second()}) l->up();
    REQUIRE(test::wait_addresses_ready(bed.a0()));
    REQUIRE(test::wait_addresses_ready(b0));
    REQUIRE(test::wait_addresses_ready(bed.a1()));
    return bed;
}

std::vector<RouteInfo> with_dst(const std::vector<RouteInfo>& routes, const std::string& dst) {
    auto p = Prefix::parse(dst);
    std::vector<RouteInfo> out;
    for (const auto& r : routes)
        if (r.dst == p) out.push_back(r);
    return out;
}
std::optional<RouteInfo> one(const NetnsRef& ns, const std::string& dst, const RouteFilter& f = {}) {
    auto found = with_dst(Route::list(ns, f), dst);
    REQUIRE(found.size() <= 1);
    if (found.empty()) return std::nullopt;
    return found.front();
}

}  // namespace

TEST_CASE("add gateway, device and default routes; list them back") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"}).persist();
    Route::create(ns, {.dst = "10.30.0.0/16", .dev = bed.a0()}).persist();          // a Link
    Route::create(ns, {.dst = "10.31.0.0/16", .dev = bed.a1().index()}).persist();  // an ifindex
    Route::create(ns, {.dst = "10.32.0.1", .dev = "a1"}).persist();                 // a name; a host route
    Route::create(ns, {.dst = "default", .via = "10.10.10.254", .dev = bed.a0()}).persist();

    auto gw = one(ns, "10.20.0.0/16");
    REQUIRE(gw);
    CHECK(gw->gateway == IpAddress::parse("10.10.10.254"));
    CHECK(gw->dev == "a0");
    CHECK(gw->oif == bed.a0().index());
    CHECK(gw->scope == Scope::Universe);
    CHECK(gw->protocol == RouteProtocol::Boot);
    CHECK(gw->type == RouteType::Unicast);
    CHECK(gw->table == 254);
    CHECK(to_string(*gw) == "10.20.0.0/16 via 10.10.10.254 dev a0");

    auto dev = one(ns, "10.30.0.0/16");
    REQUIRE(dev);
    CHECK_FALSE(dev->gateway);
    CHECK(dev->scope == Scope::Link);
    CHECK(dev->dev == "a0");
    CHECK(one(ns, "10.31.0.0/16")->dev == "a1");
    CHECK(one(ns, "10.32.0.1/32")->dev == "a1");
    auto def = one(ns, "0.0.0.0/0");
    REQUIRE(def);
    CHECK(def->is_default());
    CHECK(to_string(*def) == "default via 10.10.10.254 dev a0");

    // The kernel's own subnet routes are listed too.
    auto subnet = one(ns, "10.10.10.0/24");
    REQUIRE(subnet);
    CHECK(subnet->protocol == RouteProtocol::Kernel);
    CHECK(subnet->prefsrc == IpAddress::parse("10.10.10.1"));

    // Filters: family, device, type, protocol.
    for (const auto& r : Route::list(ns, {.family = Family::V4, .dev = "a1"})) CHECK(r.dev == "a1");
    for (const auto& r : Route::list(ns, {.family = Family::V6})) CHECK(r.family == Family::V6);
    auto boot = Route::list(ns, {.family = Family::V4, .protocol = RouteProtocol::Boot});
    CHECK(boot.size() == 5);

    if (auto out = ip_in(ns, {"route", "show"})) {
        INFO(*out);
        CHECK(contains(*out, "default via 10.10.10.254 dev a0"));
        CHECK(contains(*out, "10.20.0.0/16 via 10.10.10.254 dev a0"));
        CHECK(contains(*out, "10.30.0.0/16 dev a0 scope link"));
        CHECK(contains(*out, "10.32.0.1 dev a1 scope link"));
    }
}

TEST_CASE("tables, metrics, protocol, scope, source; replace, append and delete") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.40.0.0/16", .via = "10.10.10.254", .table = 100, .metric = 50}).persist();
    Route::create(ns, {.dst = "10.80.0.0/16", .via = "10.10.10.254", .dev = "a0", .table = 1000, .metric = 100,
                   .protocol = RouteProtocol::Static, .src = "10.10.10.1"}).persist();
    Route::create(ns, {.dst = "10.90.0.0/16", .dev = "a0", .scope = Scope::Host}).persist();

    CHECK_FALSE(one(ns, "10.40.0.0/16"));  // not in table main
    auto t100 = one(ns, "10.40.0.0/16", {.table = 100});
    REQUIRE(t100);
    CHECK(t100->metric == 50);
    CHECK(t100->table == 100);
    auto t1000 = one(ns, "10.80.0.0/16", {.table = 1000});
    REQUIRE(t1000);
    CHECK(t1000->table == 1000);
    CHECK(t1000->protocol == RouteProtocol::Static);
    CHECK(t1000->prefsrc == IpAddress::parse("10.10.10.1"));
    CHECK(to_string(*t1000) == "10.80.0.0/16 table 1000 via 10.10.10.254 dev a0 proto static src 10.10.10.1 metric 100");
    auto all = Route::list(ns, {.all_tables = true});
    CHECK(with_dst(all, "10.40.0.0/16").size() == 1);
    CHECK(with_dst(all, "10.80.0.0/16").size() == 1);
    CHECK(std::any_of(all.begin(), all.end(), [](const RouteInfo& r) { return r.table == 255; }));  // the local table
    CHECK(one(ns, "10.90.0.0/16")->scope == Scope::Host);
    if (auto out = ip_in(ns, {"route", "show", "table", "1000"})) {
        INFO(*out);
        CHECK(contains(*out, "10.80.0.0/16 via 10.10.10.254 dev a0 proto static src 10.10.10.1 metric 100"));
    }

    // replace: same key, new gateway. append: a second route with the same key.
    Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"}).persist();
    Route::replace(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.253"}).persist();
    auto replaced = one(ns, "10.20.0.0/16");
    REQUIRE(replaced);
    CHECK(replaced->gateway == IpAddress::parse("10.10.10.253"));
    Route::replace(ns, {.dst = "10.21.0.0/16", .via = "10.10.10.253"}).persist();  // replace also creates
    CHECK(one(ns, "10.21.0.0/16"));
    Route::append(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254", .metric = 5}).persist();
    CHECK(with_dst(Route::list(ns), "10.20.0.0/16").size() == 2);

    // delete: the key must match (metric, table); gateway narrows it down.
    Route::remove(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254", .metric = 5});
    auto left = with_dst(Route::list(ns), "10.20.0.0/16");
    REQUIRE(left.size() == 1);
    CHECK(left[0].gateway == IpAddress::parse("10.10.10.253"));
    Route::remove(ns, {.dst = "10.20.0.0/16"});
    CHECK_FALSE(one(ns, "10.20.0.0/16"));
    // The key includes the table: in main there is no 10.40.0.0/16, which is success (nothing to
    // remove), and the route in table 100 stays.
    auto wrong_table = caught([&] { Route::remove(ns, {.dst = "10.40.0.0/16"}); });
    CHECK(wrong_table.errnum == 0);
    CHECK(one(ns, "10.40.0.0/16", {.table = 100}));
    Route::remove(ns, {.dst = "10.40.0.0/16", .table = 100});
    Route::remove(ns, {.dst = "10.80.0.0/16", .table = 1000});
    CHECK(Route::list(ns, {.table = 100}).empty());
    CHECK(Route::list(ns, {.table = 1000}).empty());
}

TEST_CASE("IPv6 routes") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "2001:db8:1::/64", .via = "2001:db8::fe"}).persist();
    Route::create(ns, {.dst = "2001:db8:2::/64", .dev = "a0", .table = 1000, .metric = 10}).persist();
    Route::create(ns, {.dst = "default", .via = "2001:db8::fe", .dev = bed.a0()}).persist();  // family from the gateway
    Route::create(ns, {.dst = "default", .table = 200, .type = RouteType::Unreachable, .family = Family::V6}).persist();

    auto via = one(ns, "2001:db8:1::/64", {.family = Family::V6});
    REQUIRE(via);
    CHECK(via->gateway == IpAddress::parse("2001:db8::fe"));
    CHECK(via->dev == "a0");
    CHECK(via->metric == 1024);  // the kernel's default IPv6 metric
    auto dev = one(ns, "2001:db8:2::/64", {.table = 1000});
    REQUIRE(dev);
    CHECK(dev->metric == 10);
    CHECK_FALSE(dev->gateway);
    auto def = one(ns, "::/0", {.family = Family::V6});
    REQUIRE(def);
    CHECK(def->gateway == IpAddress::parse("2001:db8::fe"));
    auto unreach = one(ns, "::/0", {.table = 200});
    REQUIRE(unreach);
    CHECK(unreach->type == RouteType::Unreachable);

    auto got = Route::get(ns, "2001:db8:1::1");
    CHECK(got.gateway == IpAddress::parse("2001:db8::fe"));
    CHECK(got.dev == "a0");
    CHECK(got.prefsrc == IpAddress::parse("2001:db8::1"));

    Route::remove(ns, {.dst = "2001:db8:1::/64"});
    CHECK_FALSE(one(ns, "2001:db8:1::/64", {.family = Family::V6}));
    if (auto out = ip_in(ns, {"-6", "route", "show"})) {
        INFO(*out);
        CHECK(contains(*out, "default via 2001:db8::fe dev a0"));
        CHECK_FALSE(contains(*out, "2001:db8:1::/64"));
    }
}

TEST_CASE("multipath routes (RTA_MULTIPATH), IPv4 and IPv6") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.50.0.0/16",
                   .paths = {{.via = "10.10.10.253", .weight = 1}, {.via = "10.10.11.254", .dev = "a1", .weight = 2}}}).persist();
    auto mp = one(ns, "10.50.0.0/16");
    REQUIRE(mp);
    REQUIRE(mp->paths.size() == 2);
    CHECK(mp->paths[0].gateway == IpAddress::parse("10.10.10.253"));
    CHECK(mp->paths[0].weight == 1);
    CHECK(mp->paths[0].dev == "a0");  // found by the kernel from the gateway
    CHECK(mp->paths[1].gateway == IpAddress::parse("10.10.11.254"));
    CHECK(mp->paths[1].weight == 2);
    CHECK(mp->paths[1].dev == "a1");
    CHECK(to_string(*mp) == "10.50.0.0/16 nexthop via 10.10.10.253 dev a0 weight 1 nexthop via 10.10.11.254 dev a1 weight 2");
    if (auto out = ip_in(ns, {"route", "show", "10.50.0.0/16"})) {
        INFO(*out);
        CHECK(contains(*out, "nexthop via 10.10.10.253 dev a0 weight 1"));
        CHECK(contains(*out, "nexthop via 10.10.11.254 dev a1 weight 2"));
    }
    // A lookup picks one of the paths.
    auto got = Route::get(ns, "10.50.1.1");
    CHECK((got.gateway == IpAddress::parse("10.10.10.253") || got.gateway == IpAddress::parse("10.10.11.254")));

    Route::create(ns, {.dst = "2001:db8:5::/64",
                   .paths = {{.via = "2001:db8::fe", .dev = "a0"}, {.via = "2001:db8::fd", .dev = "a0", .weight = 3}}}).persist();
    auto mp6 = one(ns, "2001:db8:5::/64", {.family = Family::V6});
    REQUIRE(mp6);
    REQUIRE(mp6->paths.size() == 2);
    CHECK(mp6->paths[1].weight == 3);

    Route::remove(ns, {.dst = "10.50.0.0/16"});
    CHECK_FALSE(one(ns, "10.50.0.0/16"));
}

TEST_CASE("route types: blackhole, unreachable, prohibit, local; what the kernel's lookup says") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.60.0.0/16", .type = RouteType::Blackhole}).persist();
    Route::create(ns, {.dst = "10.61.0.0/16", .type = RouteType::Unreachable}).persist();
    Route::create(ns, {.dst = "10.62.0.0/16", .type = RouteType::Prohibit}).persist();
    Route::create(ns, {.dst = "10.63.0.1", .dev = "a0", .type = RouteType::Local}).persist();

    CHECK(one(ns, "10.60.0.0/16")->type == RouteType::Blackhole);
    CHECK(one(ns, "10.61.0.0/16")->type == RouteType::Unreachable);
    CHECK(one(ns, "10.62.0.0/16")->type == RouteType::Prohibit);
    auto local = one(ns, "10.63.0.1/32", {.table = 255});
    REQUIRE(local);
    CHECK(local->type == RouteType::Local);
    CHECK(local->scope == Scope::Host);
    CHECK(to_string(*one(ns, "10.60.0.0/16")) == "blackhole 10.60.0.0/16");

    auto blackhole = caught([&] { Route::get(ns, "10.60.0.1"); });
    CHECK(blackhole.errnum == EINVAL);
    CHECK(contains(blackhole.what, "10.60.0.1"));
    CHECK(caught([&] { Route::get(ns, "10.61.0.1"); }).errnum == EHOSTUNREACH);
    CHECK(caught([&] { Route::get(ns, "10.62.0.1"); }).errnum == EACCES);
    auto to_local = Route::get(ns, "10.63.0.1");
    CHECK(to_local.type == RouteType::Local);

    // A blackhole route with a gateway: the kernel refuses and says why.
    auto gw = caught([&] { Route::create(ns, {.dst = "10.64.0.0/16", .via = "10.10.10.254", .type = RouteType::Blackhole}).persist(); });
    CHECK(gw.errnum == EINVAL);
    CHECK(contains(gw.what, "blackhole 10.64.0.0/16 via 10.10.10.254"));
    if (!gw.kernel.empty()) CHECK(contains(gw.what, gw.kernel));

    Route::remove(ns, {.dst = "10.60.0.0/16", .type = RouteType::Blackhole});
    CHECK_FALSE(one(ns, "10.60.0.0/16"));
    Route::remove(ns, {.dst = "10.63.0.1", .type = RouteType::Local});
    CHECK_FALSE(one(ns, "10.63.0.1/32", {.table = 255}));
}

TEST_CASE("Route::get: the route the kernel picks, with gateway, device and source") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"}).persist();
    Route::create(ns, {.dst = "10.20.5.0/24", .via = "10.10.11.254", .metric = 7}).persist();

    auto r = Route::get(ns, "10.20.1.1");
    CHECK(r.dst == Prefix::parse("10.20.1.1/32"));
    CHECK(r.gateway == IpAddress::parse("10.10.10.254"));
    CHECK(r.dev == "a0");
    CHECK(r.oif == bed.a0().index());
    CHECK(r.prefsrc == IpAddress::parse("10.10.10.1"));
    CHECK(r.table == 254);
    auto longest = Route::get(ns, "10.20.5.9");  // longest prefix wins
    CHECK(longest.gateway == IpAddress::parse("10.10.11.254"));
    CHECK(longest.dev == "a1");
    CHECK(longest.prefsrc == IpAddress::parse("10.10.11.1"));

    auto match = Route::get(ns, {.to = "10.20.5.9", .fib_match = true});  // the FIB entry itself
    CHECK(match.dst == Prefix::parse("10.20.5.0/24"));
    CHECK(match.metric == 7);
    auto forced = Route::get(ns, {.to = "10.10.11.7", .oif = bed.a0()});
    CHECK(forced.dev == "a0");
    // With `from`, the kernel answers with that source as RTA_SRC (and no RTA_PREFSRC).
    auto sourced = Route::get(ns, {.to = "10.20.1.1", .from = "10.10.11.1"});
    CHECK((sourced.src == Prefix::parse("10.10.11.1/32") || sourced.prefsrc == IpAddress::parse("10.10.11.1")));
    CHECK(sourced.gateway == IpAddress::parse("10.10.10.254"));
    if (auto out = ip_in(ns, {"route", "get", "10.20.1.1"})) CHECK(contains(*out, "via 10.10.10.254 dev a0 src 10.10.10.1"));

    auto none = caught([&] { Route::get(ns, "192.0.2.1"); });
    CHECK(none.errnum == ENETUNREACH);
    CHECK(contains(none.what, "192.0.2.1"));
    auto bad = caught([&] { Route::get(ns, "10.20.1"); });
    CHECK(bad.invalid_argument);
    CHECK(contains(bad.what, "10.20.1"));
}

TEST_CASE("route errors name the route; bad input changes nothing") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"}).persist();
    // IPv4 only: IPv6 link-local routes may still appear asynchronously while the test runs.
    auto before = Route::list(ns, {.family = Family::V4, .all_tables = true}).size();

    auto dup = caught([&] { Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"}).persist(); });
    CHECK(dup.errnum == EEXIST);
    CHECK(contains(dup.what, "create route '10.20.0.0/16 via 10.10.10.254'"));

    // A gateway on no connected subnet: the kernel's extended ack is in the message.
    auto unreachable_gw = caught([&] { Route::create(ns, {.dst = "10.21.0.0/16", .via = "10.99.99.1"}).persist(); });
    CHECK(unreachable_gw.errnum != 0);
    CHECK(contains(unreachable_gw.what, "10.21.0.0/16 via 10.99.99.1"));
    CHECK(contains(unreachable_gw.kernel, "Nexthop has invalid gateway"));
    CHECK(contains(unreachable_gw.what, "Nexthop has invalid gateway"));

    // Removing what does not exist is success; so is removing through a device that is gone.
    CHECK(caught([&] { Route::remove(ns, {.dst = "10.22.0.0/16"}); }).errnum == 0);
    CHECK(caught([&] { Route::remove(ns, {.dst = "10.22.0.0/16", .dev = "ghost0"}); }).errnum == 0);

    auto no_dev = caught([&] { Route::create(ns, {.dst = "10.23.0.0/16", .dev = "ghost0"}).persist(); });
    CHECK(no_dev.errnum == ENODEV);
    CHECK(contains(no_dev.what, "ghost0"));
    CHECK(contains(no_dev.what, "10.23.0.0/16"));

    auto other_ns = caught([&] { Route::create(ns, {.dst = "10.24.0.0/16", .dev = bed.p0.second()}).persist(); });
    CHECK(other_ns.invalid_argument);
    CHECK(contains(other_ns.what, "b0"));

    auto too_long = caught([&] { Route::create(ns, {.dst = "10.0.0.1/33", .via = "10.10.10.254"}).persist(); });
    CHECK(too_long.invalid_argument);
    CHECK(contains(too_long.what, "RouteOptions.dst '10.0.0.1/33'"));
    auto host_bits = caught([&] { Route::create(ns, {.dst = "10.25.0.1/16", .via = "10.10.10.254"}).persist(); });
    CHECK(host_bits.invalid_argument);
    CHECK(contains(host_bits.what, "10.25.0.1/16"));
    auto bad_gw = caught([&] { Route::create(ns, {.dst = "10.26.0.0/16", .via = "10.10.10"}).persist(); });
    CHECK(bad_gw.invalid_argument);
    CHECK(contains(bad_gw.what, "RouteOptions.via '10.10.10'"));
    auto bad_path = caught([&] {
        Route::create(ns, {.dst = "10.27.0.0/16", .paths = {{.via = "10.10.10.254"}, {.via = "10.10.11.300"}}}).persist();
    });
    CHECK(bad_path.invalid_argument);
    CHECK(contains(bad_path.what, "RouteOptions.paths[1].via '10.10.11.300'"));
    auto mixed = caught([&] { Route::create(ns, {.dst = "2001:db8:9::/64", .via = "10.10.10.254"}).persist(); });
    CHECK(mixed.invalid_argument);

    CHECK(Route::list(ns, {.family = Family::V4, .all_tables = true}).size() == before);
}

TEST_CASE("onlink: a gateway outside every connected subnet") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    Route::create(ns, {.dst = "10.81.0.0/16", .via = "192.0.2.1", .dev = "a0", .onlink = true}).persist();
    auto r = one(ns, "10.81.0.0/16");
    REQUIRE(r);
    CHECK((r->flags & RTNH_F_ONLINK) != 0);
    CHECK(r->gateway == IpAddress::parse("192.0.2.1"));
    CHECK(to_string(*r) == "10.81.0.0/16 via 192.0.2.1 dev a0 onlink");
}

TEST_CASE("Route: removed on scope exit unless persisted; a route already gone is fine") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    {
        auto r = Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254", .metric = 9});
        CHECK(r.owned());
        CHECK(r.description() == "10.20.0.0/16 via 10.10.10.254 metric 9");
        CHECK(one(ns, "10.20.0.0/16"));
        // Another route with the same prefix but a different metric is left alone.
        Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.253", .metric = 10}).persist();
    }
    auto left = with_dst(Route::list(ns), "10.20.0.0/16");
    REQUIRE(left.size() == 1);
    CHECK(left[0].metric == 10);
    {
        auto r = Route::create(ns, {.dst = "10.30.0.0/16", .dev = "a0"});
        r.persist();
    }
    CHECK(one(ns, "10.30.0.0/16"));
    {
        auto r = Route::create(ns, {.dst = "10.31.0.0/16", .via = "10.10.10.254", .table = 300});
        Route::remove(ns, {.dst = "10.31.0.0/16", .table = 300});  // behind its back
        CHECK_NOTHROW(r.remove());
        CHECK_FALSE(r.owned());
    }
    {
        auto r = Route::create(ns, {.dst = "10.32.0.0/16", .via = "10.10.11.254"});
        Route moved = std::move(r);
        CHECK_FALSE(r.owned());
        CHECK(moved.owned());
        auto v6 = Route::replace(ns, {.dst = "2001:db8:7::/64", .via = "2001:db8::fe"});
        CHECK(one(ns, "2001:db8:7::/64", {.family = Family::V6}));
        // Its device goes away (and the route with it): destruction is quiet.
        bed.p1.remove();
        CHECK_FALSE(one(ns, "10.32.0.0/16"));
    }
    CHECK_FALSE(one(ns, "2001:db8:7::/64", {.family = Family::V6}));
    CHECK(Route::list(ns, {.table = 300}).empty());
}

TEST_CASE("typed values, Route::find, release: the route stays, RouteRef removes it") {
    Bed bed = make_bed();
    NetnsRef ns = bed.ns;
    const Prefix dst = Prefix::parse("10.33.0.0/16");
    const IpAddress gw = IpAddress::parse("10.10.10.254");
    RouteRef ref = Route::create(ns, {.dst = dst, .via = gw, .dev = bed.a0(), .src = IpAddress::parse("10.10.10.1")}).release();
    auto r = one(ns, "10.33.0.0/16");
    REQUIRE(r);
    CHECK(r->gateway == gw);
    CHECK(r->prefsrc == IpAddress::parse("10.10.10.1"));
    CHECK(ref.description() == "10.33.0.0/16 via 10.10.10.254 dev a0 src 10.10.10.1");
    auto found = Route::find(ns, "10.33.1.1");
    REQUIRE(found);
    CHECK(found->gateway == gw);
    CHECK_FALSE(Route::find(ns, IpAddress::parse("192.0.2.1")));  // no route: nullopt, not ENETUNREACH
    ref.remove();
    CHECK_FALSE(one(ns, "10.33.0.0/16"));
    CHECK_NOTHROW(ref.remove());  // already gone
    // Multipath with typed paths.
    auto mp = Route::create(ns, {.dst = "10.34.0.0/16",
                                 .paths = {{.via = IpAddress::parse("10.10.10.253"), .dev = bed.a0()},
                                           {.via = "10.10.11.254", .weight = 2}}});
    auto listed = one(ns, "10.34.0.0/16");
    REQUIRE(listed);
    REQUIRE(listed->paths.size() == 2);
    CHECK(listed->paths[1].weight == 2);
}

TEST_CASE("a persisted route and rule are removed by a second process with the static remove") {
    Bed bed = make_bed();
    const std::string name = bed.ns.name();
    const RouteOptions route{.dst = "10.35.0.0/16", .via = "10.10.10.254", .table = 135, .metric = 7};
    Route::create(bed.ns, route).persist();
    Rule::create(bed.ns, {.from = "10.10.10.0/24", .priority = 1350, .table = 135}).persist();
    REQUIRE(one(bed.ns, "10.35.0.0/16", {.table = 135}));
    REQUIRE(Rule::find(bed.ns, 1350));

    // The second process knows only the namespace's name and what it asked for (a CNI DEL).
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        try {
            NetnsRef later = NetnsRef::open(name);
            Route::remove(later, route);
            Rule::remove(later, {.priority = 1350});
            // Again: what is gone already is success.
            Route::remove(later, route);
            Rule::remove(later, {.priority = 1350});
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(one(bed.ns, "10.35.0.0/16", {.table = 135}));
    CHECK_FALSE(Rule::find(bed.ns, 1350));
}
