// Unit tests of include/nsnet/link_kind.hpp (no privileges): how a link's kind is named in errors,
// the kind checks of the look-ups, and the checks every stacked kind (macvlan, vlan, ipvlan) makes
// before the kernel sees anything, naming the field. The new link's namespace is an empty NetnsRef:
// a check that let a bad value through would end in the "empty NetnsRef" error, never in a request.
#include "nsnet/link_kind.hpp"

#include <doctest/doctest.h>

#include <string>

#include "nsnet/bridge.hpp"
#include "nsnet/ipvlan.hpp"
#include "nsnet/macvlan.hpp"
#include "nsnet/tun.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/vlan.hpp"
#include "nsnet/vxlan.hpp"
#include "../support/errors.hpp"

using namespace nsnet;
using nsnet::test::has;
using nsnet::test::rejection;

namespace {

LinkInfo of_kind(const std::string& kind) {
    LinkInfo l{};
    l.kind = kind;
    return l;
}

// A handle that names a link without asking the kernel (lo is ifindex 1 in every namespace).
Link parent() { return Link(NetnsRef::current(), 1, "lo"); }

}  // namespace

TEST_CASE("kind_phrase names what a link is, for the errors of the look-ups") {
    CHECK(detail::kind_phrase(of_kind("veth")) == "a veth");
    CHECK(detail::kind_phrase(of_kind("ipvlan")) == "an ipvlan");
    CHECK(detail::kind_phrase(of_kind("")) == "a device without a kind (physical or loopback)");
    CHECK(detail::kind_phrase(of_kind("tun")) == "a tun");  // no IFLA_TUN_TYPE: the kernel's default, TUN
}

TEST_CASE("each kind's check accepts its own kind only") {
    CHECK(detail::bridge_kind.is(of_kind("bridge")));
    CHECK_FALSE(detail::bridge_kind.is(of_kind("veth")));
    CHECK(detail::macvlan_kind.is(of_kind("macvlan")));
    CHECK(detail::macvlan_kind.is(of_kind("macvtap")));
    CHECK_FALSE(detail::macvlan_kind.is(of_kind("ipvlan")));
    CHECK(detail::ipvlan_kind.is(of_kind("ipvlan")));
    CHECK(detail::vlan_kind.is(of_kind("vlan")));
    CHECK_FALSE(detail::vlan_kind.is(of_kind("vxlan")));
    CHECK(detail::vxlan_kind.is(of_kind("vxlan")));
    CHECK(detail::tuntap_kind.is(of_kind("tun")));
    CHECK(detail::tun_kind.is(of_kind("tun")));
    CHECK_FALSE(detail::tap_kind.is(of_kind("tun")));
    CHECK_FALSE(detail::tun_kind.is(of_kind("veth")));
}

TEST_CASE("look-ups and create refuse an empty NetnsRef, naming NetnsRef::current()") {
    const std::string current = "the caller's own namespace is NetnsRef::current()";
    CHECK(has(rejection([] { (void)Bridge::get(NetnsRef{}, "br0"); }), current));
    CHECK(has(rejection([] { (void)Macvlan::find(NetnsRef{}, "m0"); }), current));
    CHECK(has(rejection([] { (void)Vxlan::adopt(NetnsRef{}, "vx0"); }), current));
    CHECK(has(rejection([] { (void)Tun::open(NetnsRef{}, "tun0", TunMode::Tun); }), current));
    CHECK(has(rejection([] { (void)Bridge::create(NetnsRef{}, {.name = "br0"}); }), current));
    CHECK(has(rejection([] { (void)Tun::create(NetnsRef{}, {.name = "tun0"}); }), current));
    CHECK(has(rejection([] { (void)Macvlan::create(NetnsRef{}, {.name = "m0", .parent = parent()}); }), current));
    CHECK(has(rejection([] { (void)Vlan::create(NetnsRef{}, {.name = "v0", .parent = parent(), .id = 10}); }), current));
    CHECK(has(rejection([] { (void)Ipvlan::create(NetnsRef{}, {.name = "i0", .parent = parent()}); }), current));
}

TEST_CASE("stacked kinds: a missing parent and misplaced options are named") {
    CHECK(has(rejection([] { (void)Macvlan::create(NetnsRef{}, {.name = "m0"}); }), "MacvlanOptions.parent: not given"));
    CHECK(has(rejection([] { (void)Vlan::create(NetnsRef{}, {.name = "v0", .id = 10}); }), "VlanOptions.parent: not given"));
    CHECK(has(rejection([] { (void)Ipvlan::create(NetnsRef{}, {.name = "i0"}); }), "IpvlanOptions.parent: not given"));
    CHECK(has(rejection([] { (void)Macvlan::create(NetnsRef{}, {.name = "m0", .parent = Link(NetnsRef::current(), 0, "gone0")}); }),
              "MacvlanOptions.parent: 'gone0' is an empty or removed link handle"));
    CHECK(has(rejection([] {
              (void)Macvlan::create(NetnsRef{}, {.name = "m0", .parent = parent(), .mode = MacvlanMode::Bridge,
                                                 .source_macs = {MacAddress::parse("02:00:00:00:00:01")}});
          }),
              "MacvlanOptions.source_macs: only used in mode source"));
    CHECK(has(rejection([] { (void)Macvlan::create(NetnsRef{}, {.name = "m0", .parent = parent(), .nopromisc = true}); }),
              "MacvlanOptions.nopromisc: only used in mode passthru"));
    for (int bad : {0, 4095, -1, 5000}) {
        CAPTURE(bad);
        CHECK(has(rejection([&] { (void)Vlan::create(NetnsRef{}, {.name = "v0", .parent = parent(), .id = bad}); }),
                  "VlanOptions.id: " + std::to_string(bad) + " is outside 1..4094"));
    }
}

TEST_CASE("Bridge and Tun options: durations and counts are checked, naming the field") {
    using namespace std::chrono_literals;
    CHECK(has(rejection([] { (void)Bridge::create(NetnsRef{}, {.name = "br0", .forward_delay = 15ms}); }),
              "BridgeOptions.forward_delay: 15 ms is not a multiple of 10 ms"));
    CHECK(has(rejection([] { (void)Bridge::create(NetnsRef{}, {.name = "br0", .ageing_time = -10ms}); }),
              "BridgeOptions.ageing_time: -10 ms is outside"));
    CHECK(has(rejection([] { (void)Bridge::ensure(NetnsRef{}, {.name = "br0", .hello_time = 2001ms}); }),
              "BridgeOptions.hello_time: 2001 ms"));
    // A change names its own struct (BridgeChange, as VxlanChange); checked before anything is sent.
    Bridge none;
    CHECK(has(rejection([&] { none.change({.hello_time = 2001ms}); }), "BridgeChange.hello_time: 2001 ms"));
    CHECK(has(rejection([&] { none.change({.forward_delay = -10ms}); }), "BridgeChange.forward_delay: -10 ms is outside"));
    CHECK(has(rejection([] { (void)Tun::create(NetnsRef{}, {.name = "tun0", .queues = 0}); }), "TunOptions.queues: 0 is outside 1..256"));
    CHECK(has(rejection([] { (void)Tun::open(NetnsRef{}, "tun0", TunMode::Tun, 257); }), "queues: 257 is outside 1..256"));
}

TEST_CASE("owner tags at creation (.owner) are checked as Link::set_owner checks them, naming the field, before anything is sent") {
    // The namespace is an empty NetnsRef: an owner let through would end in that error, never in a request.
    const std::string spaced = "ctr 1", long_one(201, 'x'), control = "ctr\x01";
    CHECK(has(rejection([&] { (void)VethPair::create(NetnsRef{}, {.name = "a", .peer = {.name = "b"}, .owner = spaced}); }),
              "VethOptions.owner 'ctr 1' holds a space or a non-printable byte"));
    CHECK(has(rejection([&] { (void)VethPair::create(NetnsRef{}, {.name = "a", .peer = {.name = "b"}, .owner = long_one}); }),
              "VethOptions.owner '" + long_one + "' must be 1..200 bytes"));
    CHECK(has(rejection([&] { (void)Bridge::create(NetnsRef{}, {.name = "br0", .owner = control}); }), "BridgeOptions.owner"));
    CHECK(has(rejection([&] { (void)Bridge::ensure(NetnsRef{}, {.name = "br0", .owner = spaced}); }), "BridgeOptions.owner 'ctr 1'"));
    CHECK(has(rejection([&] { (void)Macvlan::create(NetnsRef{}, {.name = "m0", .parent = parent(), .owner = spaced}); }),
              "MacvlanOptions.owner 'ctr 1'"));
    CHECK(has(rejection([&] { (void)Vlan::create(NetnsRef{}, {.name = "v0", .parent = parent(), .id = 10, .owner = spaced}); }),
              "VlanOptions.owner 'ctr 1'"));
    CHECK(has(rejection([&] { (void)Ipvlan::create(NetnsRef{}, {.name = "i0", .parent = parent(), .owner = spaced}); }),
              "IpvlanOptions.owner 'ctr 1'"));
    CHECK(has(rejection([&] { (void)Vxlan::create(NetnsRef{}, {.name = "vx0", .vni = 1, .owner = spaced}); }),
              "VxlanOptions.owner 'ctr 1'"));
    CHECK(has(rejection([&] { (void)Tun::create(NetnsRef{}, {.name = "tun0", .owner = long_one}); }), "TunOptions.owner"));
    // A good owner passes: the next error is the empty namespace.
    CHECK(has(rejection([&] { (void)VethPair::create(NetnsRef{}, {.name = "a", .peer = {.name = "b"}, .owner = "ctr-1"}); }),
              "NetnsRef::current()"));
}
