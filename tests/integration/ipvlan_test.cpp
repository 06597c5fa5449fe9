// Integration tests of include/nsnet/ipvlan.hpp (root). Kernels without ipvlan (this project's
// development machines) refuse the kind: each case then prints "SKIP: <reason>" and returns; the
// VM kernel matrix (tests/vm) runs them for real. Where ipvlan exists: every mode and flag created,
// read back, changed, deleted; placed in another namespace by the same request; L2 siblings reach
// each other (bridge flag) or not (private flag), and never their parent.
#include "nsnet/ipvlan.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "link_kinds.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;
using nsnet::test::Uplink;

namespace {

// Creates an ipvlan, or returns the reason this kernel cannot (then the caller skips).
std::optional<Ipvlan> try_create(const NetnsRef& ns, const IpvlanOptions& o, std::string& why) {
    try {
        return Ipvlan::create(ns, o);
    } catch (const Error& e) {
        if (!is_unknown_link_kind(e)) throw;
        CHECK(std::string(e.what()).find("no ipvlan support") != std::string::npos);
        why = e.what();
        return std::nullopt;
    }
}

}  // namespace

TEST_CASE("Ipvlan: every mode and flag created, read back, changed, deleted") {
    Uplink u = Uplink::make();
    std::string why;
    for (IpvlanMode mode : {IpvlanMode::L2, IpvlanMode::L3, IpvlanMode::L3S}) {
        for (IpvlanFlag flag : {IpvlanFlag::Bridge, IpvlanFlag::Private, IpvlanFlag::Vepa}) {
            std::string mode_name = rtnl::to_string(mode);
            CAPTURE(mode_name);
            std::string flag_name = rtnl::to_string(flag);
            CAPTURE(flag_name);
            auto v = try_create(u.host, {.name = "ipvlan1", .parent = u.ens41(), .mode = mode, .flag = flag}, why);
            if (!v) NSNET_SKIP("ipvlan: " << why);
            LinkInfo l = v->info();
            CHECK(l.kind == "ipvlan");
            CHECK(l.parent == u.ens41().index());
            CHECK(l.mac == u.ens41().info().mac);  // ipvlan slaves share the parent's MAC
            IpvlanInfo s = v->settings();
            CHECK(s.mode == mode);
            CHECK(s.flag == flag);
            if (auto ip = test::ip_detail(u.host, "ipvlan1")) {
                INFO(*ip);
                CHECK(ip->find(std::string("mode ") + rtnl::to_string(mode) + " " + rtnl::to_string(flag)) != std::string::npos);
            }
            v->set_mode(mode == IpvlanMode::L2 ? IpvlanMode::L3 : IpvlanMode::L2, flag);
            CHECK(v->settings().mode == (mode == IpvlanMode::L2 ? IpvlanMode::L3 : IpvlanMode::L2));
            v->remove();
            CHECK_FALSE(Link::find(u.host, "ipvlan1"));
        }
    }
}

TEST_CASE("Ipvlan: created directly in another namespace by the same request") {
    Uplink u = Uplink::make();
    Netns ns2 = Netns::create(unique_name("n"));
    std::string why;
    auto v = try_create(ns2, {.name = "ipvlan1", .parent = u.ens41(), .mode = IpvlanMode::L3S}, why);
    if (!v) NSNET_SKIP("ipvlan: " << why);
    CHECK(v->netns() == ns2);
    CHECK_FALSE(Link::find(u.host, "ipvlan1"));
    auto there = Link::find(ns2, "ipvlan1");
    REQUIRE(there);
    CHECK(ipvlan_info(there->info())->mode == IpvlanMode::L3S);

    // Look-ups check the kind; adopt owns it and reads its parent from the kernel, across
    // namespaces (IFLA_LINK + IFLA_LINK_NETNSID).
    CHECK(Ipvlan::get(ns2, "ipvlan1").index() == v->index());
    CHECK_FALSE(Ipvlan::find(ns2, "nosuch0"));
    try {
        (void)Ipvlan::adopt(u.host, "ens41");
        FAIL("a veth was adopted as an ipvlan");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("is a veth, not an ipvlan") != std::string::npos);
    }
    v->persist();
    {
        Ipvlan again = Ipvlan::adopt(ns2, "ipvlan1");
        CHECK(again.owned());
        CHECK(again.parent() == u.ens41());
        CHECK(again.parent().netns() == u.host);
    }
    CHECK_FALSE(Link::find(ns2, "ipvlan1"));
}

TEST_CASE("Ipvlan: options are checked before the kernel sees them, naming the field") {
    Uplink u = Uplink::make();
    auto message = [](auto&& fn) -> std::string {
        try {
            fn();
        } catch (const InvalidArgument& e) {
            return e.what();
        }
        return "(accepted)";
    };
    CHECK(message([&] { (void)Ipvlan::create(u.host, {.name = "iv0"}); }).find("IpvlanOptions.parent: not given") != std::string::npos);
    CHECK(message([&] { (void)Ipvlan::create(u.host, {.name = "iv0", .parent = u.ens41(), .mtu = 9000}); })
              .find("IpvlanOptions.mtu: 9000 exceeds the mtu of parent 'ens41'") != std::string::npos);
    CHECK(message([&] { (void)Ipvlan::create(NetnsRef{}, {.name = "iv0", .parent = u.ens41()}); })
              .find("an empty NetnsRef") != std::string::npos);
    CHECK_FALSE(Link::find(u.host, "iv0"));
}

TEST_CASE("Ipvlan L2: siblings reach each other (bridge) or not (private), never the parent") {
    Uplink u = Uplink::make("192.168.7.89/24");
    u.ens41().add_address("192.168.7.220/24");
    for (IpvlanFlag flag : {IpvlanFlag::Bridge, IpvlanFlag::Private}) {
        std::string flag_name = rtnl::to_string(flag);
        CAPTURE(flag_name);
        Netns ns2 = Netns::create(unique_name("n"));
        Netns ns3 = Netns::create(unique_name("n"));
        std::string why;
        auto v1 = try_create(ns2, {.name = "ipvlan1", .parent = u.ens41(), .mode = IpvlanMode::L2, .flag = flag}, why);
        if (!v1) NSNET_SKIP("ipvlan: " << why);
        Ipvlan v2 = Ipvlan::create(ns3, {.name = "ipvlan2", .parent = u.ens41(), .mode = IpvlanMode::L2, .flag = flag});
        v1->add_address("192.168.7.230/24");
        v2.add_address("192.168.7.240/24");
        v1->up();
        v2.up();
        test::wait_up(*v1);
        test::wait_up(v2);
        auto r = test::ping_ok(ns2, "192.168.7.89");
        CHECK_MESSAGE(r.all_answered(), r.summary());
        if (flag == IpvlanFlag::Bridge) {
            r = test::ping_ok(ns2, "192.168.7.240");
            CHECK_MESSAGE(r.all_answered(), r.summary());
        } else {
            r = test::ping_fails(ns2, "192.168.7.240");
            CHECK_MESSAGE(r.none_answered(), r.summary());
        }
        r = test::ping_fails(ns2, "192.168.7.220");
        CHECK_MESSAGE(r.none_answered(), r.summary());
    }
}
