// Integration tests of include/nsnet/neighbor.hpp (root): ARP/NDP entries added, replaced, listed,
// deleted and flushed on a veth in a namespace of the test's own; proxy entries; the kernel using a
// permanent entry (no ARP request is needed to reach the address).
#include "nsnet/neighbor.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "nsnet_probe/probe.hpp"
#include "objects_support.hpp"

using namespace nsnet;
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

std::optional<Neighbor> find(const Link& dev, const std::string& address, bool proxy = false) {
    for (const auto& n : list_neighbors(dev, proxy))
        if (n.address == IpAddress::parse(address)) return n;
    return std::nullopt;
}

}  // namespace

TEST_CASE("add, replace, list and delete ARP and NDP entries") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();

    add_neighbor(a, {.address = "10.99.0.9", .lladdr = "02:00:00:00:00:09"});
    auto n = find(a, "10.99.0.9");
    REQUIRE(n);
    CHECK(n->state == NeighborState::Permanent);
    CHECK(n->lladdr == MacAddress::parse("02:00:00:00:00:09"));
    CHECK(n->index == a.index());
    if (auto out = iproute2_output("-n " + bed.ns.name() + " neigh show dev a")) {
        INFO(*out);
        CHECK(out->find("10.99.0.9 lladdr 02:00:00:00:00:09 PERMANENT") != std::string::npos);
    }
    CHECK(error_of([&] { add_neighbor(a, {.address = "10.99.0.9", .lladdr = "02:00:00:00:00:0a"}); }) == EEXIST);

    replace_neighbor(a, {.address = "10.99.0.9", .lladdr = "02:00:00:00:00:0a", .state = NeighborState::Reachable});
    n = find(a, "10.99.0.9");
    REQUIRE(n);
    CHECK(n->lladdr == MacAddress::parse("02:00:00:00:00:0a"));
    // reachable decays (delay/stale) on its own timers; right after the replace it is still reachable
    CHECK((static_cast<unsigned>(n->state) & (NUD_REACHABLE | NUD_STALE | NUD_DELAY)) != 0);

    add_neighbor(a, {.address = "2001:db8:99::9", .lladdr = "02:00:00:00:00:09", .router = true});
    n = find(a, "2001:db8:99::9");
    REQUIRE(n);
    CHECK(n->router);
    CHECK(n->state == NeighborState::Permanent);
    CHECK(list_neighbors(bed.ns, {.family = Family::V6, .index = a.index()}).size() >= 1);
    for (const auto& e : list_neighbors(bed.ns, {.family = Family::V4})) CHECK(e.family() == Family::V4);

    delete_neighbor(a, "10.99.0.9");
    CHECK_FALSE(find(a, "10.99.0.9"));
    CHECK(error_of([&] { delete_neighbor(a, "10.99.0.9"); }) == ENOENT);
    delete_neighbor(a, "2001:db8:99::9");
    CHECK_FALSE(find(a, "2001:db8:99::9"));
}

TEST_CASE("proxy entries are a table of their own") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    add_neighbor(a, {.address = "10.99.0.50", .proxy = true});
    auto p = find(a, "10.99.0.50", true);
    REQUIRE(p);
    CHECK(p->proxy);
    CHECK_FALSE(find(a, "10.99.0.50", false));
    if (auto out = iproute2_output("-n " + bed.ns.name() + " neigh show proxy")) {
        INFO(*out);
        CHECK(out->find("10.99.0.50 dev a proxy") != std::string::npos);
    }
    delete_neighbor(a, "10.99.0.50", true);
    CHECK_FALSE(find(a, "10.99.0.50", true));
}

TEST_CASE("flush deletes the dynamic entries of one device and says how many") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    const Link& b = bed.b();
    b.add_address("10.98.0.1/16");
    add_neighbor(a, {.address = "10.99.0.11", .lladdr = "02:00:00:00:00:0b", .state = NeighborState::Reachable});
    add_neighbor(a, {.address = "10.99.0.12", .lladdr = "02:00:00:00:00:0c", .state = NeighborState::Stale});
    add_neighbor(a, {.address = "2001:db8:99::13", .lladdr = "02:00:00:00:00:0d", .state = NeighborState::Stale});
    add_neighbor(a, {.address = "10.99.0.14", .lladdr = "02:00:00:00:00:0e"});  // permanent: kept
    add_neighbor(b, {.address = "10.98.0.15", .lladdr = "02:00:00:00:00:0f", .state = NeighborState::Stale});  // other device
    add_neighbor(a, {.address = "10.99.0.16", .proxy = true});                     // proxy: kept

    CHECK(flush_neighbors(a) == 3);
    CHECK_FALSE(find(a, "10.99.0.11"));
    CHECK_FALSE(find(a, "10.99.0.12"));
    CHECK_FALSE(find(a, "2001:db8:99::13"));
    CHECK(find(a, "10.99.0.14"));
    CHECK(find(b, "10.98.0.15"));
    CHECK(find(a, "10.99.0.16", true));
    CHECK(flush_neighbors(a) == 0);
    // nud all: the permanent one goes too (the kernel's own IPv6 multicast noarp entries as well)
    std::size_t n = flush_neighbors(a, {.include_permanent = true});
    CHECK(n >= 1);
    CHECK_FALSE(find(a, "10.99.0.14"));
    CHECK(flush_neighbors(b, {.family = Family::V4}) == 1);
}

TEST_CASE("the kernel uses a permanent entry: traffic flows with ARP answered by nobody") {
    // Two namespaces joined by a veth; the receiver never answers ARP (arp_ignore=8), so only a
    // permanent entry on the sender makes the ping work.
    Netns n1 = Netns::create(nsnet::test::unique_name("ne"));
    Netns n2 = Netns::create(nsnet::test::unique_name("ne"));
    auto veth = VethPair::create(n1, {.name = "x", .peer = {.name = "y", .netns = n2}});
    veth.first().add_address("10.96.0.1/24");
    veth.second().add_address("10.96.0.2/24");
    n2.run([] {
        FILE* f = std::fopen("/proc/sys/net/ipv4/conf/all/arp_ignore", "w");
        REQUIRE(f);
        std::fputs("8\n", f);  // 8: never reply to ARP requests
        std::fclose(f);
    });
    veth.first().up();
    veth.second().up();
    auto before = ping(n1, "10.96.0.2", {.count = 1, .timeout = std::chrono::milliseconds(600)});
    CHECK(before.none_answered());
    flush_neighbors(veth.first());  // forget the FAILED/INCOMPLETE attempt
    add_neighbor(veth.first(), {.address = "10.96.0.2", .lladdr = veth.second().info().mac->to_string()});
    auto after = ping(n1, "10.96.0.2", {.count = 2, .timeout = std::chrono::milliseconds(1000)});
    INFO(after.summary());
    CHECK(after.all_answered());
}

TEST_CASE("bad input is refused before the kernel sees it; kernel refusals name the entry") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    CHECK_THROWS_AS(add_neighbor(a, {.address = "10.99.0.300", .lladdr = "02:00:00:00:00:01"}), InvalidArgument);
    CHECK_THROWS_AS(add_neighbor(a, {.address = "10.99.0.3", .lladdr = "zz:00:00:00:00:01"}), InvalidArgument);
    CHECK_THROWS_AS(add_neighbor(a, {.address = "10.99.0.3", .lladdr = "02:00:00:00:00:01", .proxy = true}), InvalidArgument);
    // a permanent entry without a link-layer address on an Ethernet device: refused by nsnet (the
    // kernel would refuse too, but only after creating an empty entry)
    try {
        add_neighbor(a, {.address = "10.99.0.3"});
        FAIL("accepted a permanent entry without lladdr");
    } catch (const InvalidArgument& e) {
        std::string what = e.what();
        CHECK(what.find("10.99.0.3 dev a") != std::string::npos);
        CHECK(what.find("lladdr") != std::string::npos);
    }
    // a kernel refusal names the entry and the device
    try {
        delete_neighbor(a, "10.99.0.77");
        FAIL("deleted an absent entry");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENOENT);
        CHECK(std::string(e.what()).find("delete neighbor '10.99.0.77 dev a'") != std::string::npos);
    }
    CHECK_FALSE(find(a, "10.99.0.3"));
}
