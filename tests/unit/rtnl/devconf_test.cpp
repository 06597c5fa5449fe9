// Unit tests for include/nsnet/rtnl/devconf.hpp: the bytes of RTM_NEWLINK with IFLA_AF_SPEC /
// AF_INET / IFLA_INET_CONF. iproute2 sends no such request (no `ip` command sets an IPv4 devconf),
// so the expected bytes are spelled out here from the uapi (linux/netlink.h, linux/rtnetlink.h,
// linux/if_link.h, linux/ip.h); tests/integration/sysctl_test.cpp checks that the kernel applies
// them (the value then reads back from /proc/sys/net/ipv4/conf/IF/KEY).
#include "nsnet/rtnl/devconf.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace nsnet;

namespace {

std::vector<std::uint8_t> bytes_of(const nl::MessageBuilder& m) {
    const auto b = m.bytes();
    const auto* p = reinterpret_cast<const std::uint8_t*>(b.data());
    return {p, p + b.size()};
}

}  // namespace

TEST_CASE("link_set_ipv4_devconf: one key, as the uapi lays it out") {
    const rtnl::Ipv4Devconf v[] = {{IPV4_DEVCONF_ARP_NOTIFY, 1}};
    auto m = rtnl::link_set_ipv4_devconf(7, v);
    const std::vector<std::uint8_t> want = {
        0x34, 0x00, 0x00, 0x00,  // nlmsg_len 52
        0x10, 0x00,              // RTM_NEWLINK
        0x01, 0x00,              // NLM_F_REQUEST (the sender adds NLM_F_ACK); no NLM_F_CREATE: the link exists
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq, pid (set when sent)
        0x00, 0x00, 0x00, 0x00,  // ifi_family AF_UNSPEC, pad, ifi_type 0
        0x07, 0x00, 0x00, 0x00,  // ifi_index 7
        0x00, 0x00, 0x00, 0x00,  // ifi_flags
        0x00, 0x00, 0x00, 0x00,  // ifi_change
        0x14, 0x00, 0x1a, 0x00,  // IFLA_AF_SPEC (26), len 20, no NLA_F_NESTED (as iproute2 writes it)
        0x10, 0x00, 0x02, 0x00,  //   AF_INET (2), len 16
        0x0c, 0x00, 0x01, 0x80,  //     IFLA_INET_CONF (1) | NLA_F_NESTED, len 12
        0x08, 0x00, 0x16, 0x00,  //       IPV4_DEVCONF_ARP_NOTIFY (22), len 8
        0x01, 0x00, 0x00, 0x00,  //       1
    };
    CHECK(bytes_of(m) == want);
}

TEST_CASE("link_set_ipv4_devconf: several keys, in the order given, all in one IFLA_INET_CONF") {
    const rtnl::Ipv4Devconf v[] = {{IPV4_DEVCONF_ARP_IGNORE, 1}, {IPV4_DEVCONF_ARP_ANNOUNCE, 2}};
    auto m = rtnl::link_set_ipv4_devconf(3, v);
    const std::vector<std::uint8_t> tail = {
        0x1c, 0x00, 0x1a, 0x00,  // IFLA_AF_SPEC, len 28
        0x18, 0x00, 0x02, 0x00,  //   AF_INET, len 24
        0x14, 0x00, 0x01, 0x80,  //     IFLA_INET_CONF | NLA_F_NESTED, len 20
        0x08, 0x00, 0x13, 0x00,  //       IPV4_DEVCONF_ARP_IGNORE (19)
        0x01, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x12, 0x00,  //       IPV4_DEVCONF_ARP_ANNOUNCE (18)
        0x02, 0x00, 0x00, 0x00,
    };
    auto got = bytes_of(m);
    REQUIRE(got.size() == 32 + tail.size());
    CHECK(got[0] == 32 + tail.size());
    CHECK(got[20] == 3);  // ifi_index
    CHECK(std::vector<std::uint8_t>(got.begin() + 32, got.end()) == tail);
}
