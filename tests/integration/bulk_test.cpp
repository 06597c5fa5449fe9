// Integration tests of include/nsnet/{request_batch,route_dump,link_group,netns_group}.hpp (root): RequestBatch (links, addresses, routes in one
// pipelined run, refusals reported against their requests, in both ack modes), apply_routes /
// remove_routes (a span, and a route source streamed a window at a time), for_each_route (counts, table filter), LinkGroup (one request removes the group;
// adopted objects no longer delete themselves; single objects still do), NetnsGroup (created
// together, usable at once, removed together). No timing assertions.
#include "nsnet/link_group.hpp"
#include "nsnet/netns_group.hpp"
#include "nsnet/request_batch.hpp"
#include "nsnet/route_dump.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nsnet/veth.hpp"
#include "support.hpp"
#include "../support/system.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

std::vector<RouteSpec> host_routes(int n, const Link& dev, const char* gateway) {
    std::vector<RouteSpec> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto& r = v[static_cast<std::size_t>(i)];
        r.dst = Prefix(IpAddress::v4(0x0a140000u + static_cast<std::uint32_t>(i)), 32);  // 10.20.0.0/32, ...
        r.gateway = IpAddress::parse(gateway);
        r.oif = dev.index();
    }
    return v;
}

std::size_t main_v4_routes(const NetnsRef& ns) {
    return for_each_route(ns, [](const RouteInfo&) {}, {.family = Family::V4, .table = 254});
}

bool has_link(const NetnsRef& ns, const std::string& name) { return Link::find(ns, name).has_value(); }

}  // namespace

TEST_CASE("RequestBatch: veths, links up, addresses and routes in one run, applied in order") {
    auto ns = Netns::create(unique_name("bk"));
    auto other = Netns::create(unique_name("bk"));
    RequestBatch b(ns);
    for (int i = 0; i < 20; ++i)
        b.create_veth({.name = "va" + std::to_string(i)}, {.name = "vb" + std::to_string(i), .netns = other}, {.up = true});
    b.set_up("lo");
    CHECK(b.size() == 21);
    CHECK(b.run().empty());
    for (int i = 0; i < 20; ++i) {
        auto a = Link::get(ns, "va" + std::to_string(i));
        CHECK(a.info().is_up());
        CHECK(has_link(other, "vb" + std::to_string(i)));
    }
    CHECK(Link::loopback(ns).info().is_up());

    // A second batch configures what the first created, by handle and by name.
    Link va0 = Link::get(ns, "va0");
    RequestBatch c(ns);
    c.add_address(va0, "192.0.2.1/24");
    c.create_route(RouteOptions{.dst = "198.51.100.0/24", .via = "192.0.2.2"});
    c.create_route(RouteSpec{.dst = Prefix::parse("203.0.113.0/24"), .gateway = IpAddress::parse("192.0.2.3"), .oif = va0.index()});
    c.run_or_throw(BatchAcks::Each);
    auto addrs = va0.addresses();
    CHECK(std::any_of(addrs.begin(), addrs.end(), [](const AddressInfo& a) { return a.prefix.to_string() == "192.0.2.1/24"; }));
    CHECK(main_v4_routes(ns) == 3);  // 192.0.2.0/24 and the two
    RequestBatch d(ns);
    for (int i = 0; i < 20; ++i) d.remove_link("va" + std::to_string(i));
    d.run_or_throw();
    CHECK_FALSE(has_link(ns, "va0"));
    CHECK_FALSE(has_link(other, "vb19"));  // a veth takes its peer along
}

TEST_CASE("RequestBatch: refusals come back against their requests; the others are applied") {
    auto ns = Netns::create(unique_name("bk"));
    auto v = VethPair::create(ns, {.name = "a", .peer = {.name = "b"}});
    v.first().add_address("192.0.2.1/24");
    v.first().up();
    for (BatchAcks acks : {BatchAcks::ErrorsOnly, BatchAcks::Each}) {
        RequestBatch b(ns);
        b.create_route(RouteOptions{.dst = "10.1.0.0/16", .via = "192.0.2.2"});
        b.create_route(RouteOptions{.dst = "10.2.0.0/16", .via = "198.18.0.1"});  // not on a connected subnet
        b.create_route(RouteOptions{.dst = "10.3.0.0/16", .via = "192.0.2.2"});
        b.create_route(RouteOptions{.dst = "10.1.0.0/16", .via = "192.0.2.2"});  // exists by then
        auto failures = b.run(acks);
        REQUIRE(failures.size() == 2);
        CHECK(failures[0].index == 1);
        CHECK(failures[0].error.errnum() == ENETUNREACH);
        CHECK(std::string(failures[0].error.what()).find("10.2.0.0/16") != std::string::npos);
        CHECK(failures[1].index == 3);
        CHECK(failures[1].error.errnum() == EEXIST);
        CHECK(main_v4_routes(ns) == 3);
        Route::remove(ns, {.dst = "10.1.0.0/16"});
        Route::remove(ns, {.dst = "10.3.0.0/16"});
    }
    RequestBatch bad(ns);
    CHECK_THROWS_AS(bad.add_address(Link(), "192.0.2.9/24"), Error);
    auto elsewhere = Netns::create(unique_name("bk"));
    CHECK_THROWS_AS(bad.add_address(Link::loopback(elsewhere), "192.0.2.9/24"), InvalidArgument);
    CHECK(bad.empty());
}

TEST_CASE("apply_routes / remove_routes / for_each_route: a thousand routes, streamed back") {
    auto ns = Netns::create(unique_name("bk"));
    auto v = VethPair::create(ns, {.name = "a", .peer = {.name = "b"}});
    v.first().add_address("192.0.2.1/24");
    v.first().up();
    auto routes = host_routes(1000, v.first(), "192.0.2.2");
    apply_routes(ns, routes);
    std::size_t seen = 0, via = 0;
    std::size_t n = for_each_route(ns, [&](const RouteInfo& r) {
        ++seen;
        if (r.gateway && r.gateway->to_string() == "192.0.2.2" && r.dst.length() == 32) ++via;
    }, {.family = Family::V4, .table = 254});
    CHECK(n == 1001);
    CHECK(seen == 1001);
    CHECK(via == 1000);
    CHECK(for_each_route(ns, [](const RouteInfo&) {}, {.family = Family::V4, .table = 255}) > 0);  // table local only
    CHECK(for_each_route(ns, [](const RouteInfo&) {}, {.family = Family::V6, .table = 254}) == 0);  // no IPv6 here

    // Adding them again: every one refused, the first thrown with the count.
    try {
        apply_routes(ns, routes);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(std::string(e.what()).find("1000 of 1000") != std::string::npos);
        CHECK(std::string(e.what()).find("10.20.0.0/32") != std::string::npos);
    }
    apply_routes(ns, routes, RouteWrite::Replace, BatchAcks::Each);
    remove_routes(ns, routes);
    CHECK(main_v4_routes(ns) == 1);
    CHECK_THROWS_AS(remove_routes(ns, std::span<const RouteSpec>(routes).first(1)), Error);  // ESRCH
}

TEST_CASE("apply_routes / remove_routes with a route source: routes built as they are sent, refusals named across windows") {
    auto ns = Netns::create(unique_name("bk"));
    auto v = VethPair::create(ns, {.name = "a", .peer = {.name = "b"}});
    v.first().add_address("192.0.2.1/24");
    v.first().up();
    const auto all = host_routes(1300, v.first(), "192.0.2.2");  // three windows of up to 512
    // Routes 5, 700 and 1299 (in the first, second and last window) exist already.
    std::vector<RouteSpec> taken{all[5], all[700], all[1299]};
    apply_routes(ns, taken);
    std::vector<std::size_t> asked;
    auto source = [&](std::size_t i) {
        asked.push_back(i);
        return all.at(i);
    };
    try {
        apply_routes(ns, all.size(), source);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(std::string(e.what()).find("3 of 1300") != std::string::npos);
        CHECK(std::string(e.what()).find("10.20.0.5/32 via 192.0.2.2") != std::string::npos);  // the first refusal, named
    }
    REQUIRE(asked.size() == all.size());  // each route made once, in order
    for (std::size_t i = 0; i < asked.size(); ++i) REQUIRE(asked[i] == i);
    CHECK(main_v4_routes(ns) == 1301);  // the other 1297 were applied

    // Removing: the three refused in three windows again (each is named from its window's copy of
    // the made routes; a wrong index would throw std::out_of_range, not Error).
    remove_routes(ns, taken);
    try {
        remove_routes(ns, all.size(), source);
        FAIL("no exception");
    } catch (const Error& e) {  // routes 5, 700 and 1299 are gone already: ESRCH for those three
        CHECK(std::string(e.what()).find("3 of 1300") != std::string::npos);
        CHECK(std::string(e.what()).find("10.20.0.5/32") != std::string::npos);
    }
    CHECK(main_v4_routes(ns) == 1);
    CHECK_THROWS_AS(apply_routes(ns, 1, RouteSource{}), Error);  // an empty source is refused
    apply_routes(ns, 0, source);  // nothing to do
    CHECK(main_v4_routes(ns) == 1);
}

TEST_CASE("LinkGroup: one request removes the group's links; links taken from their owners do not delete themselves") {
    auto ns = Netns::create(unique_name("bk"));
    auto other = Netns::create(unique_name("bk"));
    auto keep = VethPair::create(ns, {.name = "keep", .peer = {.name = "keep-b"}});
    {
        auto group = LinkGroup::create(ns);
        CHECK(group.id() != 0);
        CHECK(group.owned());
        RequestBatch b(ns);
        for (int i = 0; i < 30; ++i)
            b.create_veth({.name = "ga" + std::to_string(i), .group = group.id()}, {.name = "gb" + std::to_string(i), .netns = other});
        b.run_or_throw();
        auto pair = VethPair::create(ns, {.name = "gp", .group = group.id(), .peer = {.name = "gq", .netns = other}});
        group.take(pair);
        CHECK_FALSE(pair.owned());
        auto untagged = VethPair::create(ns, {.name = "un", .peer = {.name = "un-b"}});
        CHECK_THROWS_AS(group.take(untagged), InvalidArgument);
        Link tagged_later = untagged.first();
        group.add(tagged_later);
        group.take(untagged);
        CHECK(group.links().size() == 32);
    }  // ~LinkGroup: ip link del group N
    CHECK_FALSE(has_link(ns, "ga0"));
    CHECK_FALSE(has_link(ns, "gp"));
    CHECK_FALSE(has_link(ns, "un"));
    CHECK_FALSE(has_link(other, "gb29"));
    CHECK(has_link(ns, "keep"));  // not in the group

    // remove() twice, and a group with nothing left, are fine; persist() keeps the links.
    auto g2 = LinkGroup::create(ns);
    g2.remove();
    g2.remove();
    auto g3 = LinkGroup::create(ns);
    const std::uint32_t id3 = g3.id();
    auto p = VethPair::create(ns, {.name = "pa", .group = id3, .peer = {.name = "pb"}});
    g3.take(p);
    g3.persist();
    g3 = LinkGroup();
    CHECK(has_link(ns, "pa"));
    LinkGroup::adopt(ns, id3).remove();
    CHECK_FALSE(has_link(ns, "pa"));
    CHECK_THROWS_AS(LinkGroup::adopt(ns, 0), InvalidArgument);
}

TEST_CASE("NetnsGroup: namespaces made together (sockets ready) and removed together") {
    std::vector<std::string> names;
    for (int i = 0; i < 6; ++i) names.push_back(unique_name("bg"));
    {
        auto cs = NetnsGroup::create(names);
        REQUIRE(cs.size() == 6);
        CHECK(cs.owned());
        // Each is a distinct, usable namespace, visible to `ip netns` by name.
        for (std::size_t i = 0; i < cs.size(); ++i) {
            CHECK(cs[i].name() == names[i]);
            CHECK(NetnsRef::open(names[i]) == cs[i]);
            if (i) CHECK_FALSE(cs[i] == cs[i - 1]);
            RequestBatch b(cs[i]);
            b.set_up("lo");
            CHECK(b.run().empty());
            CHECK(Link::loopback(cs[i]).info().is_up());
        }
        // A veth into one of them dies with it: no request of its own.
        auto host = Netns::create(unique_name("bg"));
        {
            RequestBatch b(host);  // holds cs[0] (the peer's namespace) while it lives
            b.create_veth({.name = "to0"}, {.name = "eth0", .netns = cs[0]});
            b.run_or_throw();
        }
        CHECK(has_link(cs[0], "eth0"));
        cs.remove();
        for (const auto& n : names) CHECK_THROWS_AS(NetnsRef::open(n), Error);
        // The kernel frees the namespace (and the veth) once the last reference is gone.
        bool gone = false;
        for (int i = 0; i < 200 && !gone; ++i) {
            gone = !has_link(host, "to0");
            if (!gone) ::usleep(10000);
        }
        CHECK(gone);
    }
    // A name that exists already: nothing is left behind, the other names are not taken.
    auto taken = Netns::create(unique_name("bg"));
    std::vector<std::string> clash = {unique_name("bg"), taken.name(), unique_name("bg")};
    CHECK_THROWS_AS(NetnsGroup::create(clash), Error);
    CHECK_THROWS_AS(NetnsRef::open(clash[0]), Error);
    CHECK_THROWS_AS(NetnsRef::open(clash[2]), Error);
    CHECK_NOTHROW(NetnsRef::open(taken.name()));
    CHECK_THROWS_AS(NetnsGroup::create({"bad/name"}), InvalidArgument);
    // adopt() removes namespaces made elsewhere; persist() keeps them.
    auto a = Netns::create(unique_name("bg"));
    const std::string an = a.name();
    a.persist();
    a = Netns();
    auto adopted = NetnsGroup::adopt({an});
    adopted.persist();
    adopted = NetnsGroup();
    CHECK_NOTHROW(NetnsRef::open(an));
    NetnsGroup::adopt({an}).remove();
    CHECK_THROWS_AS(NetnsRef::open(an), Error);
}

TEST_CASE("LinkGroup with an owner tag: a later process finds the group by the tag and removes it") {
    auto ns = Netns::create(unique_name("bk"));
    const std::string tag = "ctr-" + unique_name("o");
    const std::uint32_t id = LinkGroup::id_for(tag);
    CHECK(id >= 0x10000u);
    CHECK(LinkGroup::id_for(tag) == id);            // the same in every call (and process: below)
    CHECK(LinkGroup::id_for(tag + "x") != id);
    CHECK_THROWS_AS(LinkGroup::id_for(""), InvalidArgument);
    // A process (the fork child: a CNI ADD) makes the group and its links, and keeps them.
    const int child = nsnet::test::run_watched(std::chrono::seconds(20), [&] {
        auto g = LinkGroup::create(ns, {.owner = tag});
        if (g.id() != id) return 2;
        auto v = VethPair::create(ns, {.name = "ta", .group = g.id(), .peer = {.name = "tb"}});
        g.take(v);
        g.persist();
        return 0;
    });
    REQUIRE(child == 0);
    REQUIRE(has_link(ns, "ta"));
    // Another (this one: a CNI DEL) finds the group from the tag alone.
    {
        auto found = LinkGroup::adopt(ns, LinkGroup::id_for(tag));
        auto in_group = found.links();
        REQUIRE(in_group.size() == 1);  // .group tags the first end; its peer goes with it
        CHECK(in_group.front().name == "ta");
        found.persist();
    }
    LinkGroup::remove_owned(ns, tag);
    CHECK_FALSE(has_link(ns, "ta"));
    CHECK_FALSE(has_link(ns, "tb"));
    CHECK_NOTHROW(LinkGroup::remove_owned(ns, tag));  // nothing left: success
    CHECK_THROWS_AS(LinkGroup::remove(ns, 0), InvalidArgument);
    CHECK_THROWS_AS(LinkGroup::remove(NetnsRef(), id), InvalidArgument);
}
