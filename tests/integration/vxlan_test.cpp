// Integration tests of include/nsnet/vxlan.hpp (root): vxlans created with every option, read
// back from the kernel (and cross-checked with `ip -d link show`), changed, deleted; bad settings
// refused before anything exists; the tutorial's two-host overlay answering; learning visible in
// the FDB (and absent with nolearning). Everything lives in namespaces the tests create.
#include "nsnet/vxlan.hpp"

#include <doctest/doctest.h>

#include <string>

#include "support.hpp"
#include "vxlan_support.hpp"

using namespace nsnet;
using nsnet::test::Hosts;
using namespace std::chrono_literals;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }

template <class Fn>
const Error caught(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    return Error(0, "(nothing thrown)");
}

}  // namespace

TEST_CASE("Vxlan: created with every option, read back, changed, deleted") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    // Addresses as text or typed, the device by name, durations as std::chrono.
    Vxlan vx = Vxlan::create(h.ns[0], {.name = "vx0", .vni = 100, .local = "172.16.0.10", .remote = ip("172.16.0.20"),
                                       .device = "eth0", .destination_port = 4789, .source_ports = VxlanPortRange{1000, 2000},
                                       .ttl = 64, .learning = false, .ageing = 2min, .mtu = 1400u});
    LinkInfo l = vx.info();
    CHECK(l.kind == "vxlan");
    CHECK(l.name == "vx0");
    CHECK(l.mtu == 1400);
    VxlanInfo v = vx.settings();
    CHECK(v.vni == 100);
    CHECK(v.local == ip("172.16.0.10"));
    CHECK(v.remote == ip("172.16.0.20"));
    CHECK_FALSE(v.group);
    CHECK(v.device == h.eth0(0).index());
    CHECK(v.port == 4789);
    CHECK(v.source_ports == VxlanPortRange{1000, 2000});
    CHECK(v.ttl == 64);
    CHECK_FALSE(v.learning);
    CHECK(v.ageing == 120s);
    CHECK(vx.describe() == "vxlan id 100 remote 172.16.0.20 local 172.16.0.10 dev eth0 srcport 1000 2000 dstport 4789 "
                           "nolearning ttl 64 ageing 120");
    if (auto out = test::run_ip(h.ns[0], {"-d", "link", "show", "dev", "vx0"})) {
        INFO(*out);
        CHECK(out->find(vx.describe() + " ") != std::string::npos);
    }
    // The same settings through a plain listing of the namespace's links.
    bool listed = false;
    for (const LinkInfo& li : Link::list(h.ns[0]))
        if (auto lv = vxlan_info(li)) listed = li.name == "vx0" && *lv == v;
    CHECK(listed);

    // ip link set vx0 type vxlan remote 172.16.0.21 ttl 10 learning ageing 60
    vx.change({.remote = "172.16.0.21", .ttl = 10, .learning = true, .ageing = 60s});
    v = vx.settings();
    CHECK(v.remote == ip("172.16.0.21"));
    CHECK(v.ttl == 10);
    CHECK(v.learning);
    CHECK(v.ageing == 60s);
    CHECK(v.vni == 100);  // untouched
    // The default FDB entry follows the remote.
    auto zero = FdbEntry::list(h.ns[0], {.dev = vx, .mac = MacAddress{}});
    REQUIRE(zero.size() == 1);
    CHECK(zero[0].dst == ip("172.16.0.21"));

    vx.remove();
    CHECK_FALSE(Link::find(h.ns[0], "vx0"));
    CHECK_FALSE(vx.owned());
}

TEST_CASE("Vxlan: multicast group, IPv6 endpoints, defaults") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    Vxlan g = Vxlan::create(h.ns[0], {.name = "vx1", .vni = 200, .group = ip("239.1.1.1"), .device = "eth0"});
    VxlanInfo gv = g.settings();
    CHECK(gv.group == ip("239.1.1.1"));
    CHECK_FALSE(gv.remote);
    CHECK(gv.port == 4789);  // nsnet's default: IANA's port, not Linux's 8472
    CHECK(gv.learning);      // ip's default
    CHECK(gv.ageing == 300s); // the kernel's default

    Vxlan six = Vxlan::create(h.ns[0], {.name = "vx2", .vni = 300, .local = ip("2001:db8::1"), .remote = ip("2001:db8::2")});
    VxlanInfo sv = six.settings();
    CHECK(sv.local == ip("2001:db8::1"));
    CHECK(sv.remote == ip("2001:db8::2"));
    CHECK(sv.device == 0);

    Vxlan linux_port = Vxlan::create(h.ns[0], {.name = "vx3", .vni = 400, .device = "eth0", .destination_port = 0});
    CHECK(linux_port.settings().port == 8472);  // dstport 0: the kernel's default

    Vxlan up = Vxlan::create(h.ns[0], {.name = "vx4", .vni = 500, .device = h.eth0(0), .up = true});  // device as a Link
    CHECK(up.info().is_up());
}

TEST_CASE("Vxlan: bad settings are refused before anything is created; kernel refusals name the link") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    auto before = Link::list(h.ns[0]).size();

    Error e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1u << 24, .device = "eth0"}); });
    CHECK(e.errnum() == EINVAL);
    CHECK(std::string(e.what()).find("VxlanOptions.vni: 16777216 exceeds 2^24-1") != std::string::npos);
    CHECK_THROWS_AS(Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1u << 24}), InvalidArgument);
    CHECK_THROWS_AS(Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1, .group = ip("239.1.1.1")}), InvalidArgument);
    CHECK_THROWS_AS(Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1, .remote = ip("239.1.1.1")}), InvalidArgument);
    e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1, .remote = "172.16.0.300"}); });
    CHECK(std::string(e.what()).find("VxlanOptions.remote '172.16.0.300' is not an IPv4 or IPv6 address") != std::string::npos);
    e = caught([&] { Vxlan::create(NetnsRef{}, {.name = "vx0", .vni = 1}); });
    CHECK(std::string(e.what()).find("an empty NetnsRef") != std::string::npos);
    CHECK(Link::list(h.ns[0]).size() == before);

    e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1, .device = "eth9"}); });
    CHECK(e.errnum() == ENODEV);
    CHECK(std::string(e.what()).find("VxlanOptions.device: device eth9 does not exist") != std::string::npos);
    e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx0", .vni = 1, .device = h.eth0(1)}); });  // another namespace
    CHECK(e.errnum() == EINVAL);
    CHECK(std::string(e.what()).find("VxlanOptions.device") != std::string::npos);

    Vxlan vx = Vxlan::create(h.ns[0], {.name = "vx0", .vni = 100, .device = "eth0"});
    e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx0", .vni = 101, .device = "eth0"}); });
    CHECK(e.errnum() == EEXIST);
    CHECK(std::string(e.what()).find("'vx0'") != std::string::npos);
    // Same VNI and port on another device: the kernel says why.
    e = caught([&] { Vxlan::create(h.ns[0], {.name = "vx1", .vni = 100, .device = "eth0"}); });
    CHECK(e.errnum() == EEXIST);
    CHECK(e.kernel_message().find("VNI") != std::string::npos);
    CHECK(Link::list(h.ns[0]).size() == before + 1);
}

TEST_CASE("Vxlan: the tutorial's two hosts — underlay and overlay answer") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    // ip link add vx0 type vxlan id 100 local 172.16.0.10 remote 172.16.0.20 dev eth0 dstport 4789 (and mirrored)
    Vxlan a = h.vxlan(0, {.vni = 100, .remote = ip("172.16.0.20")});
    Vxlan b = h.vxlan(1, {.vni = 100, .remote = ip("172.16.0.10")});
    PingResult under = test::ping_answers(h.ns[0], "172.16.0.20");
    CHECK_MESSAGE(under.all_answered(), under.summary());
    PingResult over = test::ping_answers(h.ns[0], "172.20.0.20");
    CHECK_MESSAGE(over.all_answered(), over.summary());
}

TEST_CASE("Vxlan: learning — A without a remote learns B behind 172.16.0.20 from B's traffic") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    Vxlan a = h.vxlan(0, {.vni = 100});                                // A: no remote
    Vxlan b = h.vxlan(1, {.vni = 100, .remote = ip("172.16.0.10")});  // B: remote A
    // A was told about nobody: without a remote it has no default (all-zero) entry, and no entry
    // that is not learned. It may have learned B already: B's link-up sends IPv6 multicast (DAD,
    // MLD) to A, which arrived before this look-up in a VM stage run (TCG, 2026-12-07).
    for (const auto& e : FdbEntry::list(h.ns[0], {.dev = a}))
        CHECK_MESSAGE(e.dynamic(), show_fdb(h.ns[0], {.dev = a}));

    PingResult ba = test::ping_answers(h.ns[1], "172.20.0.10");
    CHECK_MESSAGE(ba.all_answered(), ba.summary());
    MacAddress b_mac = *b.info().mac;
    auto learned = FdbEntry::list(h.ns[0], {.dev = a, .mac = b_mac});
    REQUIRE_MESSAGE(learned.size() == 1, show_fdb(h.ns[0], {.dev = a}));
    CHECK(learned[0].dynamic());
    CHECK(learned[0].dst == ip("172.16.0.20"));
    CHECK(show_fdb(h.ns[0], {.dev = a}).find(b_mac.to_string() + " dst 172.16.0.20 self") != std::string::npos);
    if (auto out = test::run_ip(h.ns[0], {"fdb", "show", "dev", "vx0"}, "bridge")) {
        INFO(*out);
        CHECK(out->find(b_mac.to_string() + " dst 172.16.0.20 self") != std::string::npos);
    }

    PingResult ab = test::ping_answers(h.ns[0], "172.20.0.20");
    CHECK_MESSAGE(ab.all_answered(), ab.summary());
}

TEST_CASE("Vxlan: nolearning — A learns nothing, so it cannot answer B") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    Vxlan a = h.vxlan(0, {.vni = 100, .learning = false});
    Vxlan b = h.vxlan(1, {.vni = 100, .remote = ip("172.16.0.10")});
    PingResult ba = test::ping_unanswered(h.ns[1], "172.20.0.10");
    CHECK_MESSAGE(ba.none_answered(), ba.summary());
    CHECK_MESSAGE(FdbEntry::list(h.ns[0], {.dev = a}).empty(), show_fdb(h.ns[0], {.dev = a}));
    // Telling A by hand where B is (what learning would have done) makes it answer.
    auto b_entry = FdbEntry::create(h.ns[0], {.dev = a, .mac = *b.info().mac, .dst = ip("172.16.0.20")});
    PingResult again = test::ping_answers(h.ns[1], "172.20.0.10");
    CHECK_MESSAGE(again.all_answered(), again.summary());
}

TEST_CASE("Vxlan: persist() keeps the link, adopt() takes it back") {
    if (auto why = test::kind_missing("vxlan"); !why.empty()) NSNET_SKIP(why);
    Hosts h = Hosts::pair();
    {
        Vxlan vx = Vxlan::create(h.ns[0], {.name = "vx0", .vni = 100, .device = "eth0"});
        vx.persist();
    }
    auto kept = Vxlan::find(h.ns[0], "vx0");
    REQUIRE(kept);
    CHECK(Vxlan::get(h.ns[0], "vx0") == *kept);
    CHECK_FALSE(Vxlan::find(h.ns[0], "vx9"));
    Vxlan again = Vxlan::adopt(h.ns[0], "vx0");
    CHECK(again.owned());
    CHECK(again.settings().vni == 100);
    Error e = caught([&] { (void)Vxlan::adopt(h.eth0(0)); });
    CHECK(std::string(e.what()).find("link 'eth0' in namespace " + h.ns[0].display_name() + " is a veth, not a vxlan") !=
          std::string::npos);
    CHECK_THROWS_AS((void)Vxlan::get(h.ns[0], "eth0"), InvalidArgument);
    again.remove();
    CHECK_FALSE(Link::find(h.ns[0], "vx0"));
}
