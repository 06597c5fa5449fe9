// Integration tests of include/nsnet/nexthop.hpp (root): nexthop objects (single, weighted group,
// blackhole, IPv6, kernel-assigned id) created, listed, replaced and removed in a namespace of the
// test's own, and a route that uses one (`ip route add ... nhid N`) following it. SKIPs on kernels
// without nexthop objects (before 5.3).
#include "nsnet/nexthop.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "nsnet/route.hpp"
#include "objects_support.hpp"

using namespace nsnet;
using nsnet::test::connect_errno;
using nsnet::test::iproute2_output;
using nsnet::test::make_objects_bed;

namespace {

int error_of(auto&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.errnum();
    }
    return 0;
}

// ip route add DST nhid ID
void add_route_nhid(const NetnsRef& ns, const std::string& dst, std::uint32_t id) {
    Route::create(ns, {.dst = dst, .nexthop_id = id}).persist();
}

}  // namespace

TEST_CASE("single, group and blackhole nexthops; a route follows its nexthop") {
    auto bed = make_objects_bed("nh");
    NetnsRef ns = bed.ns;
    if (!Nexthop::supported(ns)) NSNET_SKIP("this kernel has no nexthop objects (Linux 5.3+)");

    auto first = Nexthop::create(ns, {.id = 1, .via = IpAddress::parse("10.99.0.254"), .dev = bed.a()});
    CHECK(first.id() == 1u);
    first.persist();
    Nexthop::create(ns, {.id = 2, .via = "10.99.0.253", .dev = "a"}).persist();
    Nexthop::create(ns, {.id = 10, .group = {{1}, {2, 3}}}).persist();  // ip nexthop add id 10 group 1/2,3
    Nexthop::create(ns, {.id = 20, .blackhole = true}).persist();
    Nexthop::create(ns, {.id = 30, .via = "2001:db8:99::fe", .dev = "a"}).persist();

    auto all = Nexthop::list(ns);
    REQUIRE(all.size() == 5);
    auto g = Nexthop::find(ns, 10);
    REQUIRE(g);
    REQUIRE(g->group.size() == 2);
    CHECK(g->group[0] == NexthopGroupMember{1, 1});
    CHECK(g->group[1] == NexthopGroupMember{2, 3});
    auto one = Nexthop::find(ns, 1);
    REQUIRE(one);
    CHECK(one->gateway == IpAddress::parse("10.99.0.254"));
    CHECK(one->oif == bed.a().index());
    CHECK(Nexthop::find(ns, 20)->blackhole);
    CHECK(Nexthop::find(ns, 30)->family == Family::V6);
    CHECK_FALSE(Nexthop::find(ns, 99));
    if (auto out = iproute2_output("-n " + bed.ns.name() + " nexthop show")) {
        INFO(*out);
        CHECK(out->find("id 10 group 1/2,3") != std::string::npos);
        CHECK(out->find("id 1 via 10.99.0.254 dev a") != std::string::npos);
        CHECK(out->find("id 20 blackhole") != std::string::npos);
    }

    // A route through the group: the kernel picks one of its gateways.
    add_route_nhid(ns, "10.70.0.0/16", 10);
    auto routes = Route::list(ns);
    CHECK(std::any_of(routes.begin(), routes.end(), [](const RouteInfo& r) { return r.nh_id == 10u; }));
    auto r = Route::get(ns, "10.70.1.1");
    REQUIRE(r.gateway);
    CHECK((*r.gateway == IpAddress::parse("10.99.0.254") || *r.gateway == IpAddress::parse("10.99.0.253")));

    // A route through a single nexthop follows `ip nexthop replace`.
    add_route_nhid(ns, "10.71.0.0/16", 2);
    CHECK(*Route::get(ns, "10.71.0.1").gateway == IpAddress::parse("10.99.0.253"));
    Nexthop::replace(ns, {.id = 2, .via = "10.99.0.252", .dev = "a"}).persist();
    CHECK(*Route::get(ns, "10.71.0.1").gateway == IpAddress::parse("10.99.0.252"));

    // A blackhole nexthop drops: the lookup fails.
    add_route_nhid(ns, "10.72.0.0/16", 20);
    CHECK(connect_errno(ns, "10.72.0.1") != 0);

    // Removing a nexthop removes the routes that use only it; removing it again is success.
    Nexthop::remove(ns, 20);
    CHECK(connect_errno(ns, "10.72.0.1") == ENETUNREACH);
    CHECK(error_of([&] { Nexthop::remove(ns, 20); }) == 0);
    CHECK(error_of([&] { (void)Nexthop::get(ns, 20); }) == ENOENT);
    Nexthop::remove(ns, 10);
    routes = Route::list(ns);
    CHECK_FALSE(std::any_of(routes.begin(), routes.end(), [](const RouteInfo& x) { return x.nh_id == 10u; }));
}

TEST_CASE("kernel-assigned ids, the Nexthop owner and refusals") {
    auto bed = make_objects_bed("nh");
    NetnsRef ns = bed.ns;
    if (!Nexthop::supported(ns)) NSNET_SKIP("this kernel has no nexthop objects (Linux 5.3+)");

    std::uint32_t id = Nexthop::create(ns, {.via = "10.99.0.254", .dev = "a"}).release().id();
    CHECK(id != 0u);
    CHECK(Nexthop::find(ns, id));
    {
        auto owned = Nexthop::create(ns, {.id = 500, .dev = "a"});
        CHECK(owned.id() == 500u);
        CHECK(Nexthop::find(ns, 500));
    }
    CHECK_FALSE(Nexthop::find(ns, 500));

    CHECK(error_of([&] { Nexthop::create(ns, {.id = id, .via = "10.99.0.250", .dev = "a"}).persist(); }) == EEXIST);
    CHECK(error_of([&] { Nexthop::create(ns, {.id = 600, .via = "10.99.0.250", .dev = "nosuch"}).persist(); }) == ENODEV);
    try {
        (void)Nexthop::create(ns, {.id = 601, .via = "10.99.0.999", .dev = "a"});
        FAIL("a bad via was accepted");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("NexthopOptions.via '10.99.0.999'") != std::string::npos);
    }
    CHECK_THROWS_AS((void)Nexthop::create(ns, {.id = 602}), InvalidArgument);
    // a group member that does not exist: the kernel refuses and explains
    try {
        Nexthop::create(ns, {.id = 603, .group = {{777}}}).persist();
        FAIL("a group of a missing nexthop was accepted");
    } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.errnum() == EINVAL);
        CHECK(std::string(e.what()).find("create nexthop 'id 603 group 777'") != std::string::npos);
        CHECK_FALSE(e.kernel_message().empty());
    }
    // a gateway that is not reachable on the device: refused with the kernel's reason
    CHECK(error_of([&] { Nexthop::create(ns, {.id = 604, .via = "192.0.2.1", .dev = "a"}).persist(); }) != 0);
    CHECK(Nexthop::create(ns, {.id = 605, .via = "192.0.2.1", .dev = "a", .onlink = true}).release().id() == 605u);
    CHECK(Nexthop::find(ns, 605)->onlink);
}
