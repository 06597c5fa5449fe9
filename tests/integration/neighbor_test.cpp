// Integration tests of include/nsnet/neighbor.hpp (root): ARP/NDP entries created, replaced, listed,
// looked up, removed and flushed on a veth in a namespace of the test's own; the owner removes its
// entry unless persist()ed, the static remove takes a kept one (absent is success); proxy entries;
// the kernel using a permanent entry (no ARP request is needed to reach the address).
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

std::optional<NeighborInfo> find(const Link& dev, const std::string& address, bool proxy = false) {
    return Neighbor::find(dev.netns(), {.dev = dev, .address = address, .proxy = proxy});
}

}  // namespace

TEST_CASE("Neighbor: create, replace, list, get/find and remove ARP and NDP entries") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    const NetnsRef& ns = bed.ns;

    auto n9 = Neighbor::create(ns, {.dev = a, .address = "10.99.0.9", .lladdr = "02:00:00:00:00:09"});
    CHECK(n9.owned());
    CHECK(n9.description() == "10.99.0.9 dev a");
    NeighborInfo n = Neighbor::get(ns, {.dev = "a", .address = "10.99.0.9"});
    CHECK(n.state == NeighborState::Permanent);
    CHECK(n.lladdr == MacAddress::parse("02:00:00:00:00:09"));
    CHECK(n.index == a.index());
    if (auto out = iproute2_output("-n " + bed.ns.name() + " neigh show dev a")) {
        INFO(*out);
        CHECK(out->find("10.99.0.9 lladdr 02:00:00:00:00:09 PERMANENT") != std::string::npos);
    }
    int dup = error_of([&] { (void)Neighbor::create(ns, {.dev = a, .address = "10.99.0.9", .lladdr = "02:00:00:00:00:0a"}); });
    CHECK(dup == EEXIST);

    auto replaced = Neighbor::replace(ns, {.dev = a.index(), .address = IpAddress::parse("10.99.0.9"),
                                           .lladdr = MacAddress::parse("02:00:00:00:00:0a"), .state = NeighborState::Reachable});
    auto r = find(a, "10.99.0.9");
    REQUIRE(r);
    CHECK(r->lladdr == MacAddress::parse("02:00:00:00:00:0a"));
    // reachable decays (delay/stale) on its own timers; right after the replace it is still reachable
    CHECK((static_cast<unsigned>(r->state) & (NUD_REACHABLE | NUD_STALE | NUD_DELAY)) != 0);

    auto v6 = Neighbor::create(ns, {.dev = a, .address = "2001:db8:99::9", .lladdr = "02:00:00:00:00:09", .router = true});
    auto r6 = find(a, "2001:db8:99::9");
    REQUIRE(r6);
    CHECK(r6->router);
    CHECK(r6->state == NeighborState::Permanent);
    CHECK(Neighbor::list(ns, {.family = Family::V6, .dev = a}).size() >= 1);
    for (const auto& e : Neighbor::list(ns, {.family = Family::V4})) CHECK(e.family() == Family::V4);

    // get names what it did not find; find says nullopt (also for a device that does not exist)
    try {
        (void)Neighbor::get(ns, {.dev = a, .address = "10.99.0.77"});
        FAIL("found an absent entry");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENOENT);
        CHECK(std::string(e.what()).find("10.99.0.77 dev a") != std::string::npos);
    }
    CHECK_FALSE(Neighbor::find(ns, {.dev = "nosuchdev0", .address = "10.99.0.9"}));
    CHECK(error_of([&] { (void)Neighbor::get(ns, {.dev = "nosuchdev0", .address = "10.99.0.9"}); }) == ENODEV);

    // the owner's remove() and the static remove: absent is success
    replaced.remove();
    CHECK_FALSE(find(a, "10.99.0.9"));
    CHECK_FALSE(replaced.owned());
    replaced.remove();  // idempotent
    n9.remove();        // the same entry, already gone: success
    Neighbor::remove(ns, {.dev = a, .address = "10.99.0.9"});
    Neighbor::remove(ns, {.dev = "nosuchdev0", .address = "10.99.0.9"});  // device gone: nothing to remove
    v6.remove();
    CHECK_FALSE(find(a, "2001:db8:99::9"));
}

TEST_CASE("Neighbor: the owner removes its entry; persist() keeps it for the static remove") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    const NetnsRef& ns = bed.ns;
    {
        auto owned = Neighbor::create(ns, {.dev = a, .address = "10.99.0.20", .lladdr = "02:00:00:00:00:20"});
        auto kept = Neighbor::create(ns, {.dev = "a", .address = "10.99.0.21", .lladdr = "02:00:00:00:00:21"});
        auto proxy = Neighbor::create(ns, {.dev = a, .address = "10.99.0.22", .proxy = true});
        kept.persist();
        CHECK_FALSE(kept.owned());
        CHECK(find(a, "10.99.0.20"));
        CHECK(find(a, "10.99.0.22", true));
        // a moved-from owner owns nothing; the moved-to one removes the entry
        Neighbor moved = std::move(owned);
        CHECK_FALSE(owned.owned());
        CHECK(moved.owned());
    }
    CHECK_FALSE(find(a, "10.99.0.20"));
    CHECK_FALSE(find(a, "10.99.0.22", true));
    REQUIRE(find(a, "10.99.0.21"));
    // a later process: the static remove by the options it was created with
    Neighbor::remove(ns, {.dev = "a", .address = "10.99.0.21", .lladdr = "02:00:00:00:00:21"});
    CHECK_FALSE(find(a, "10.99.0.21"));
    Neighbor::remove(ns, {.dev = "a", .address = "10.99.0.21"});  // again: absent is success

    // an owner whose device is gone counts its entry as removed
    auto veth = VethPair::create(ns, {.name = "c", .peer = {.name = "d"}});
    veth.first().up();
    auto on_c = Neighbor::create(ns, {.dev = veth.first(), .address = "10.95.0.2", .lladdr = "02:00:00:00:00:95"});
    veth.remove();
    CHECK_NOTHROW(on_c.remove());
    CHECK_FALSE(on_c.owned());
}

TEST_CASE("proxy entries are a table of their own") {
    auto bed = make_objects_bed("ne");
    const Link& a = bed.a();
    auto proxy = Neighbor::create(bed.ns, {.dev = a, .address = "10.99.0.50", .proxy = true});
    CHECK(proxy.description() == "proxy 10.99.0.50 dev a");
    auto p = find(a, "10.99.0.50", true);
    REQUIRE(p);
    CHECK(p->proxy);
    CHECK_FALSE(find(a, "10.99.0.50", false));
    CHECK(Neighbor::list(bed.ns, {.dev = a, .proxy = true}).size() == 1);
    if (auto out = iproute2_output("-n " + bed.ns.name() + " neigh show proxy")) {
        INFO(*out);
        CHECK(out->find("10.99.0.50 dev a proxy") != std::string::npos);
    }
    Neighbor::remove(bed.ns, {.dev = a, .address = "10.99.0.50", .proxy = true});
    CHECK_FALSE(find(a, "10.99.0.50", true));
}

TEST_CASE("flush deletes the dynamic entries of one device and says how many") {
    auto bed = make_objects_bed("ne");
    const NetnsRef& ns = bed.ns;
    const Link& a = bed.a();
    const Link& b = bed.b();
    b.add_address("10.98.0.1/16");
    // The flush removes them; the owners then find them gone (success). Kept ones are persisted.
    auto n11 = Neighbor::create(ns, {.dev = a, .address = "10.99.0.11", .lladdr = "02:00:00:00:00:0b", .state = NeighborState::Reachable});
    auto n12 = Neighbor::create(ns, {.dev = a, .address = "10.99.0.12", .lladdr = "02:00:00:00:00:0c", .state = NeighborState::Stale});
    auto n13 = Neighbor::create(ns, {.dev = a, .address = "2001:db8:99::13", .lladdr = "02:00:00:00:00:0d", .state = NeighborState::Stale});
    Neighbor::create(ns, {.dev = a, .address = "10.99.0.14", .lladdr = "02:00:00:00:00:0e"}).persist();  // permanent: kept
    Neighbor::create(ns, {.dev = b, .address = "10.98.0.15", .lladdr = "02:00:00:00:00:0f", .state = NeighborState::Stale})
        .persist();                                                                                   // other device
    Neighbor::create(ns, {.dev = a, .address = "10.99.0.16", .proxy = true}).persist();              // proxy: kept

    CHECK(Neighbor::flush(ns, {.dev = a}) == 3);
    CHECK_FALSE(find(a, "10.99.0.11"));
    CHECK_FALSE(find(a, "10.99.0.12"));
    CHECK_FALSE(find(a, "2001:db8:99::13"));
    CHECK(find(a, "10.99.0.14"));
    CHECK(find(b, "10.98.0.15"));
    CHECK(find(a, "10.99.0.16", true));
    CHECK(Neighbor::flush(ns, {.dev = "a"}) == 0);
    // nud all: the permanent one goes too (the kernel's own IPv6 multicast noarp entries as well)
    std::size_t n = Neighbor::flush(ns, {.dev = a, .include_permanent = true});
    CHECK(n >= 1);
    CHECK_FALSE(find(a, "10.99.0.14"));
    CHECK(Neighbor::flush(ns, {.dev = b, .family = Family::V4}) == 1);
    CHECK_NOTHROW(n11.remove());
    CHECK_NOTHROW(n12.remove());
    CHECK_NOTHROW(n13.remove());
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
    Neighbor::flush(n1, {.dev = veth.first()});  // forget the FAILED/INCOMPLETE attempt
    auto entry = Neighbor::create(n1, {.dev = veth.first(), .address = "10.96.0.2", .lladdr = *veth.second().info().mac});
    auto after = ping(n1, "10.96.0.2", {.count = 2, .timeout = std::chrono::milliseconds(1000)});
    INFO(after.summary());
    CHECK(after.all_answered());
}

TEST_CASE("bad input is refused before the kernel sees it; kernel refusals name the entry") {
    auto bed = make_objects_bed("ne");
    const NetnsRef& ns = bed.ns;
    const Link& a = bed.a();
    auto refusal = [&](const NeighborOptions& o) -> std::string {
        try {
            (void)Neighbor::create(ns, o);
        } catch (const InvalidArgument& e) {
            return e.what();
        }
        return "(accepted)";
    };
    CHECK(refusal({.dev = a, .address = "10.99.0.300", .lladdr = "02:00:00:00:00:01"})
              .find("NeighborOptions.address '10.99.0.300'") != std::string::npos);
    CHECK(refusal({.dev = a, .address = "10.99.0.3", .lladdr = "zz:00:00:00:00:01"})
              .find("NeighborOptions.lladdr 'zz:00:00:00:00:01'") != std::string::npos);
    CHECK(refusal({.dev = a, .address = "10.99.0.3", .lladdr = "02:00:00:00:00:01", .proxy = true})
              .find("proxy") != std::string::npos);
    // a device in another namespace is refused, naming both
    Netns other = Netns::create(nsnet::test::unique_name("ne"));
    auto elsewhere = VethPair::create(other, {.name = "o1", .peer = {.name = "o2"}});
    CHECK(refusal({.dev = elsewhere.first(), .address = "10.99.0.3", .lladdr = "02:00:00:00:00:01"})
              .find("is in namespace") != std::string::npos);
    // a permanent entry without a link-layer address on an Ethernet device: refused by nsnet (the
    // kernel would refuse too, but only after creating an empty entry)
    std::string why = refusal({.dev = a, .address = "10.99.0.3"});
    CHECK(why.find("10.99.0.3 dev a") != std::string::npos);
    CHECK(why.find("NeighborOptions.lladdr") != std::string::npos);
    // a missing device is ENODEV naming it
    CHECK(error_of([&] { (void)Neighbor::create(ns, {.dev = "nosuchdev0", .address = "10.99.0.3", .lladdr = "02:00:00:00:00:01"}); }) ==
          ENODEV);
    CHECK_FALSE(find(a, "10.99.0.3"));
    CHECK(Neighbor::list(ns, {.dev = a, .proxy = true}).empty());
}
