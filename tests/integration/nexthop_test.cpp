// Integration tests of include/nsnet/nexthop.hpp (root): nexthop objects (single, weighted group,
// blackhole, IPv6, kernel-assigned id) added, listed, replaced and deleted in a namespace of the
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
    add_route(ns, {.dst = dst, .nexthop_id = id});
}

}  // namespace

TEST_CASE("single, group and blackhole nexthops; a route follows its nexthop") {
    auto bed = make_objects_bed("nh");
    NetnsRef ns = bed.ns;
    if (!nexthops_supported(ns)) NSNET_SKIP("this kernel has no nexthop objects (Linux 5.3+)");

    CHECK(add_nexthop(ns, {.id = 1, .via = "10.99.0.254", .dev = "a"}) == 1u);
    add_nexthop(ns, {.id = 2, .via = "10.99.0.253", .dev = "a"});
    add_nexthop(ns, {.id = 10, .group = {{1}, {2, 3}}});  // ip nexthop add id 10 group 1/2,3
    add_nexthop(ns, {.id = 20, .blackhole = true});
    add_nexthop(ns, {.id = 30, .via = "2001:db8:99::fe", .dev = "a"});

    auto all = list_nexthops(ns);
    REQUIRE(all.size() == 5);
    auto g = get_nexthop(ns, 10);
    REQUIRE(g);
    REQUIRE(g->group.size() == 2);
    CHECK(g->group[0] == NexthopGroupMember{1, 1});
    CHECK(g->group[1] == NexthopGroupMember{2, 3});
    auto one = get_nexthop(ns, 1);
    REQUIRE(one);
    CHECK(one->gateway == IpAddress::parse("10.99.0.254"));
    CHECK(one->oif == bed.a().index());
    CHECK(get_nexthop(ns, 20)->blackhole);
    CHECK(get_nexthop(ns, 30)->family == Family::V6);
    CHECK_FALSE(get_nexthop(ns, 99));
    if (auto out = iproute2_output("-n " + bed.ns.name() + " nexthop show")) {
        INFO(*out);
        CHECK(out->find("id 10 group 1/2,3") != std::string::npos);
        CHECK(out->find("id 1 via 10.99.0.254 dev a") != std::string::npos);
        CHECK(out->find("id 20 blackhole") != std::string::npos);
    }

    // A route through the group: the kernel picks one of its gateways.
    add_route_nhid(ns, "10.70.0.0/16", 10);
    auto routes = list_routes(ns);
    CHECK(std::any_of(routes.begin(), routes.end(), [](const Route& r) { return r.nh_id == 10u; }));
    auto r = get_route(ns, "10.70.1.1");
    REQUIRE(r.gateway);
    CHECK((*r.gateway == IpAddress::parse("10.99.0.254") || *r.gateway == IpAddress::parse("10.99.0.253")));

    // A route through a single nexthop follows `ip nexthop replace`.
    add_route_nhid(ns, "10.71.0.0/16", 2);
    CHECK(*get_route(ns, "10.71.0.1").gateway == IpAddress::parse("10.99.0.253"));
    replace_nexthop(ns, {.id = 2, .via = "10.99.0.252", .dev = "a"});
    CHECK(*get_route(ns, "10.71.0.1").gateway == IpAddress::parse("10.99.0.252"));

    // A blackhole nexthop drops: the lookup fails.
    add_route_nhid(ns, "10.72.0.0/16", 20);
    CHECK(connect_errno(ns, "10.72.0.1") != 0);

    // Deleting a nexthop deletes the routes that use only it.
    delete_nexthop(ns, 20);
    CHECK(connect_errno(ns, "10.72.0.1") == ENETUNREACH);
    CHECK(error_of([&] { delete_nexthop(ns, 20); }) == ENOENT);
    delete_nexthop(ns, 10);
    routes = list_routes(ns);
    CHECK_FALSE(std::any_of(routes.begin(), routes.end(), [](const Route& x) { return x.nh_id == 10u; }));
}

TEST_CASE("kernel-assigned ids, OwnedNexthop and refusals") {
    auto bed = make_objects_bed("nh");
    NetnsRef ns = bed.ns;
    if (!nexthops_supported(ns)) NSNET_SKIP("this kernel has no nexthop objects (Linux 5.3+)");

    std::uint32_t id = add_nexthop(ns, {.via = "10.99.0.254", .dev = "a"});
    CHECK(id != 0u);
    CHECK(get_nexthop(ns, id));
    {
        auto owned = OwnedNexthop::add(ns, {.id = 500, .dev = "a"});
        CHECK(owned.id() == 500u);
        CHECK(get_nexthop(ns, 500));
    }
    CHECK_FALSE(get_nexthop(ns, 500));

    CHECK(error_of([&] { add_nexthop(ns, {.id = id, .via = "10.99.0.250", .dev = "a"}); }) == EEXIST);
    CHECK(error_of([&] { add_nexthop(ns, {.id = 600, .via = "10.99.0.250", .dev = "nosuch"}); }) == ENODEV);
    CHECK_THROWS_AS(add_nexthop(ns, {.id = 601, .via = "10.99.0.999", .dev = "a"}), InvalidArgument);
    CHECK_THROWS_AS(add_nexthop(ns, {.id = 602}), InvalidArgument);
    // a group member that does not exist: the kernel refuses and explains
    try {
        add_nexthop(ns, {.id = 603, .group = {{777}}});
        FAIL("a group of a missing nexthop was accepted");
    } catch (const Error& e) {
        INFO(e.what());
        CHECK(e.errnum() == EINVAL);
        CHECK(std::string(e.what()).find("add nexthop 'id 603 group 777'") != std::string::npos);
        CHECK_FALSE(e.kernel_message().empty());
    }
    // a gateway that is not reachable on the device: refused with the kernel's reason
    CHECK(error_of([&] { add_nexthop(ns, {.id = 604, .via = "192.0.2.1", .dev = "a"}); }) != 0);
    CHECK(add_nexthop(ns, {.id = 605, .via = "192.0.2.1", .dev = "a", .onlink = true}) == 605u);
    CHECK(get_nexthop(ns, 605)->onlink);
}
