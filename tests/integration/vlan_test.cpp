// Integration tests of include/nsnet/vlan.hpp (root). Invalid ids are refused before anything is
// sent (checked with the syscall fault-injection hook: not one sendmsg happens). Kernels without
// 8021q (this project's development machines) refuse the kind: those cases print
// "SKIP: <reason>" and return; the VM kernel matrix (tests/vm) runs them for real. Where 8021q
// exists: 802.1Q and 802.1ad vlans created, read back, deleted; placed in another namespace by
// the same request; tagged traffic crosses a veth, and a tag only one side has does not.
#include "nsnet/vlan.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>

#include "link_kinds.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

std::optional<Vlan> try_create(const NetnsRef& ns, const VlanOptions& o, std::string& why) {
    try {
        return Vlan::create(ns, o);
    } catch (const Error& e) {
        if (!is_unknown_link_kind(e)) throw;
        CHECK(std::string(e.what()).find("no 802.1Q VLAN support") != std::string::npos);
        why = e.what();
        return std::nullopt;
    }
}

// Counts netlink sends (and lets them happen).
struct CountSends : detail::FaultInjector {
    std::atomic<int> sends{0};
    int before(detail::Call c) override {
        if (c == detail::Call::sendmsg) ++sends;
        return 0;
    }
};

}  // namespace

TEST_CASE("VLAN ids 0 and 4095 are refused naming them, before anything is sent") {
    Netns ns = Netns::create(unique_name("vl"));
    VethPair v = VethPair::create(ns, {.name = "veth-ns1", .peer = {.name = "veth-ns2"}});
    Link parent = v.first();
    auto before = Link::list(ns).size();
    for (int bad : {0, 4095}) {
        CAPTURE(bad);
        CountSends counter;
        {
            detail::ScopedFaultInjector inject(counter);
            try {
                (void)Vlan::create(ns, {.name = "veth-ns1.x", .parent = parent, .id = bad});
                FAIL("VLAN id " << bad << " was accepted");
            } catch (const InvalidArgument& e) {
                std::string what = e.what();
                CHECK(what.find("VlanOptions.id: " + std::to_string(bad)) != std::string::npos);
                CHECK(what.find("1..4094") != std::string::npos);
            }
        }
        CHECK(counter.sends == 0);
    }
    CHECK(Link::list(ns).size() == before);
}

TEST_CASE("Vlan: 802.1Q and 802.1ad created, read back, deleted; placed in another namespace") {
    Netns ns1 = Netns::create(unique_name("vl"));
    Netns ns2 = Netns::create(unique_name("vl"));
    VethPair v = VethPair::create(ns1, {.name = "veth-ns1", .peer = {.name = "veth-ns2"}});
    std::string why;
    auto q = try_create(ns1, {.name = "veth-ns1.100", .parent = v.first(), .id = 100}, why);
    if (!q) NSNET_SKIP("vlan: " << why);
    LinkInfo l = q->info();
    CHECK(l.kind == "vlan");
    CHECK(l.parent == v.first().index());
    VlanInfo s = q->settings();
    CHECK(s.id == 100);
    CHECK(s.protocol == VlanProtocol::Dot1Q);
    CHECK(s.reorder_hdr);  // the kernel's default flag
    if (auto ip = test::ip_detail(ns1, "veth-ns1.100")) {
        INFO(*ip);
        CHECK(ip->find("vlan protocol 802.1Q id 100") != std::string::npos);
    }
    CHECK(q->describe().rfind("vlan protocol 802.1Q id 100", 0) == 0);

    Vlan ad = Vlan::create(ns1, {.name = "veth-ns1.200", .parent = v.first(), .id = 200, .protocol = VlanProtocol::Dot1AD});
    CHECK(ad.settings().protocol == VlanProtocol::Dot1AD);
    CHECK(ad.settings().id == 200);

    // A second vlan with the same id on the same parent is refused, and the error says why.
    try {
        (void)Vlan::create(ns1, {.name = "dup.100", .parent = v.first(), .id = 100});
        FAIL("a duplicate vlan id was accepted");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(std::string(e.what()).find("id 100") != std::string::npos);
    }

    Vlan moved = Vlan::create(ns2, {.name = "ens41.300", .parent = v.first(), .id = 300});
    CHECK(moved.netns() == ns2);
    CHECK_FALSE(Link::find(ns1, "ens41.300"));
    REQUIRE(Link::find(ns2, "ens41.300"));
    CHECK(vlan_info(Link::get(ns2, "ens41.300").info())->id == 300);

    // Look-ups check the kind; adopt owns an existing vlan and reads its parent from the kernel,
    // also across namespaces (IFLA_LINK_NETNSID).
    CHECK(Vlan::get(ns2, "ens41.300").index() == moved.index());
    CHECK_FALSE(Vlan::find(ns2, "nosuch0"));
    try {
        (void)Vlan::get(ns1, "veth-ns1");
        FAIL("a veth was taken for a vlan");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("is a veth, not a vlan") != std::string::npos);
    }
    moved.persist();
    {
        Vlan again = Vlan::adopt(ns2, "ens41.300");
        CHECK(again.owned());
        CHECK(again.parent() == v.first());
        CHECK(again.parent().netns() == ns1);
        CHECK(again.settings().id == 300);
    }
    CHECK_FALSE(Link::find(ns2, "ens41.300"));  // the adopting owner deleted it
    Vlan same = Vlan::adopt(Vlan::get(ns1, "veth-ns1.100"));
    same.persist();
    CHECK(same.parent() == v.first());

    q->remove();
    ad.remove();
    CHECK_FALSE(Link::find(ns1, "veth-ns1.100"));
}

TEST_CASE("Vlan: tagged traffic crosses, a tag only one side has does not (the tutorial's VLAN lab)") {
    Netns ns1 = Netns::create(unique_name("vl"));
    Netns ns2 = Netns::create(unique_name("vl"));
    VethPair v = VethPair::create(ns1, {.name = "veth-ns1", .peer = {.name = "veth-ns2", .netns = ns2}});
    v.first().add_address("172.16.0.1/24");
    v.second().add_address("172.16.0.2/24");
    v.first().up();
    v.second().up();
    std::string why;
    auto a = try_create(ns1, {.name = "veth-ns1.100", .parent = v.first(), .id = 100}, why);
    if (!a) NSNET_SKIP("vlan: " << why);
    Vlan b = Vlan::create(ns2, {.name = "veth-ns2.100", .parent = v.second(), .id = 100});
    a->add_address("10.10.10.1/24");
    b.add_address("10.10.10.2/24");
    a->up();
    b.up();
    Vlan lone = Vlan::create(ns1, {.name = "veth-ns1.200", .parent = v.first(), .id = 200});
    lone.add_address("10.20.20.1/24");
    lone.up();
    // ns2 has 10.20.20.2 on its untagged interface: untagged frames do not reach a vlan 200 interface.
    v.second().add_address("10.20.20.2/24");
    for (const Link* l : {&v.first(), &v.second(), &a->link(), &b.link()}) CHECK(test::wait_up(*l));

    auto r = test::ping_ok(ns1, "172.16.0.2");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_ok(ns1, "10.10.10.2");
    CHECK_MESSAGE(r.all_answered(), r.summary());
    r = test::ping_fails(ns1, "10.20.20.2");
    CHECK_MESSAGE(r.none_answered(), r.summary());
}
