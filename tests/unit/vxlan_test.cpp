// Unit tests of include/nsnet/vxlan.hpp (no privileges): every bad option is refused before the
// kernel sees anything, with an error naming the field and the value. The namespace is an empty
// NetnsRef, checked after the options: a check that let a bad value through would end in the
// "empty NetnsRef" error instead (and the test would fail), never in a kernel request.
#include "nsnet/vxlan.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "../support/errors.hpp"

using namespace nsnet;
using namespace std::chrono_literals;
using nsnet::test::has;
using nsnet::test::rejection;

namespace {

std::string create(const VxlanOptions& o) {
    return rejection([&] { (void)Vxlan::create(NetnsRef{}, o); });
}

}  // namespace

TEST_CASE("VxlanOptions: each bad field is named with its value") {
    CHECK(has(create({.name = "vx0", .vni = 1u << 24}), "VxlanOptions.vni: 16777216 exceeds 2^24-1 (16777215)"));
    CHECK(has(create({.name = "vx0"}), "VxlanOptions.vni: not given"));
    CHECK(has(create({.name = "vx0", .vni = 1, .local = "10.0.0.300"}), "VxlanOptions.local '10.0.0.300' is not an IPv4 or IPv6 address"));
    CHECK(has(create({.name = "vx0", .vni = 1, .remote = "239.1.1.1"}), "VxlanOptions.remote: 239.1.1.1 is a multicast address"));
    CHECK(has(create({.name = "vx0", .vni = 1, .group = "10.0.0.1"}), "VxlanOptions.group: 10.0.0.1 is not a multicast address"));
    CHECK(has(create({.name = "vx0", .vni = 1, .group = "239.1.1.1"}), "VxlanOptions.group: 239.1.1.1 needs an underlay device (.device)"));
    CHECK(has(create({.name = "vx0", .vni = 1, .remote = "10.0.0.2", .group = "239.1.1.1", .device = "eth0"}),
              "VxlanOptions.remote: 10.0.0.2 given together with .group 239.1.1.1"));
    CHECK(has(create({.name = "vx0", .vni = 1, .local = "10.0.0.1", .remote = "2001:db8::2"}),
              "VxlanOptions.local: 10.0.0.1 and .remote 2001:db8::2 are of different address families"));
    CHECK(has(create({.name = "vx0", .vni = 1, .ttl = 256}), "VxlanOptions.ttl: 256 is outside 0..255"));
    CHECK(has(create({.name = "vx0", .vni = 1, .source_ports = VxlanPortRange{.first = 2000, .last = 1000}}),
              "VxlanOptions.source_ports: 2000-1000 ends before it starts"));
    CHECK(has(create({.name = "vx0", .vni = 1, .ageing = -1s}), "VxlanOptions.ageing: -1 s is outside 0..4294967295 s"));
    CHECK(has(create({.name = "vx0", .vni = 1, .mac = MacAddress::parse("01:00:5e:00:00:01")}), "multicast address"));
    CHECK(has(create({.name = "a-name-too-long-for-linux", .vni = 1}), "a-name-too-long-for-linux"));
}

TEST_CASE("VxlanOptions: good values, text or typed, pass the checks and reach the namespace check") {
    // Every field valid: what stops it is the empty NetnsRef (NetnsRef::current() names the caller's).
    CHECK(has(create({.name = "vx0", .vni = 16777215, .local = "10.0.0.1", .remote = IpAddress::parse("10.0.0.2"),
                      .source_ports = VxlanPortRange{.first = 1000, .last = 2000}, .ttl = 64, .ageing = 5min}),
              "no namespace: an empty NetnsRef (default-constructed, moved from, or of a removed Netns); "
              "the caller's own namespace is NetnsRef::current()"));
    CHECK(has(create({.name = "vx0", .vni = 0, .local = "2001:db8::1", .group = "ff05::100", .device = 2}), "an empty NetnsRef"));
}
