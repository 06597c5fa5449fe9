// Unit tests of include/nsnet/show.hpp: the `ip a` text of links and addresses (format_addresses,
// no namespace needed; show_addresses on a real namespace: tests/integration/probe_test.cpp).
#include "nsnet/show.hpp"

#include <doctest/doctest.h>

#include <string>

using nsnet::IpAddress;

TEST_CASE("format_addresses: an `ip a` view with name@peer, flags, state, kind, master and addresses") {
    using nsnet::LinkInfo;
    LinkInfo lo{.index = 1, .name = "lo", .flags = IFF_LOOPBACK, .type = 772, .mtu = 65536,
                .mac = nsnet::MacAddress(), .broadcast = nsnet::MacAddress(), .operstate = 0};
    lo.operstate = 2;  // DOWN
    LinkInfo veth{.index = 20, .name = "veth-n1", .flags = IFF_BROADCAST | IFF_MULTICAST | IFF_UP | IFF_LOWER_UP | IFF_RUNNING,
                  .type = 1, .mtu = 1500};
    veth.mac = nsnet::MacAddress::parse("16:1d:d3:67:46:e6");
    veth.broadcast = nsnet::MacAddress::parse("ff:ff:ff:ff:ff:ff");
    veth.parent = 19;
    veth.link_netnsid = 0;
    veth.operstate = 6;  // UP
    veth.kind = "veth";
    veth.master = 3;
    LinkInfo br{.index = 3, .name = "switch", .flags = IFF_BROADCAST | IFF_UP, .type = 1, .mtu = 1500};
    br.kind = "bridge";
    LinkInfo local_peer{.index = 5, .name = "a", .flags = IFF_BROADCAST, .type = 1, .mtu = 1500};
    local_peer.parent = 20;  // a peer in the same namespace is shown by name

    nsnet::AddressInfo v4{.index = 20, .prefix = nsnet::Prefix::parse("10.10.10.1/24")};
    v4.broadcast = IpAddress::parse("10.10.10.255");
    nsnet::AddressInfo v6{.index = 20, .prefix = nsnet::Prefix::parse("fe80::141d:d3ff:fe67:46e6/64"), .scope = nsnet::Scope::Link};
    v6.flags = IFA_F_TENTATIVE;

    std::string text = nsnet::detail::format_addresses({veth, local_peer, lo, br}, {v4, v6});
    CHECK(text ==
          "1: lo: <LOOPBACK> mtu 65536 state DOWN\n"
          "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
          "3: switch: <NO-CARRIER,BROADCAST,UP> mtu 1500 state UNKNOWN kind bridge\n"
          "    link/ether\n"
          "5: a@veth-n1: <BROADCAST> mtu 1500 state UNKNOWN\n"
          "    link/ether\n"
          "20: veth-n1@if19: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master switch state UP kind veth\n"
          "    link/ether 16:1d:d3:67:46:e6 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n"
          "    inet 10.10.10.1/24 brd 10.10.10.255 scope global veth-n1\n"
          "    inet6 fe80::141d:d3ff:fe67:46e6/64 scope link tentative\n");
}

TEST_CASE("format_addresses: a veth whose peer has the same index in its namespace is still shown as @ifN") {
    // The kernel leaves IFLA_LINK out when the peer's index equals the link's own.
    nsnet::LinkInfo eth0{.index = 2, .name = "eth0", .flags = IFF_BROADCAST, .type = 1, .mtu = 1500};
    eth0.link_netnsid = 0;
    eth0.operstate = 2;
    eth0.kind = "veth";
    CHECK(nsnet::detail::format_addresses({eth0}, {}) ==
          "2: eth0@if2: <BROADCAST> mtu 1500 state DOWN kind veth\n    link/ether link-netnsid 0\n");
}

TEST_CASE("format_addresses shows names and labels with their control bytes escaped (ip prints them raw)") {
    using nsnet::LinkInfo;
    // The kernel allows ESC and BEL in an interface name or label: a container may choose them.
    LinkInfo br{.index = 2, .name = "br\x1b[2J", .flags = IFF_UP, .type = 1, .mtu = 1500};
    LinkInfo port{.index = 3, .name = "p\x07", .flags = IFF_UP, .type = 1, .mtu = 1500};
    port.parent = 2;
    port.master = 2;
    nsnet::AddressInfo labelled{.index = 3, .prefix = nsnet::Prefix::parse("10.0.0.1/24")};
    labelled.label = "p\x07:\x1b]0;x";
    nsnet::AddressInfo unlabelled{.index = 2, .prefix = nsnet::Prefix::parse("10.0.1.1/24")};
    std::string text = nsnet::detail::format_addresses({br, port}, {labelled, unlabelled});
    CHECK(text.find("2: br\\x1b[2J: <") != std::string::npos);
    CHECK(text.find("3: p\\x07@br\\x1b[2J: <") != std::string::npos);
    CHECK(text.find(" master br\\x1b[2J ") != std::string::npos);
    CHECK(text.find("scope global p\\x07:\\x1b]0;x\n") != std::string::npos);
    CHECK(text.find("scope global br\\x1b[2J\n") != std::string::npos);
    for (char c : text)
        if (c != '\n') CHECK_FALSE(nsnet::detail::is_control_byte(c));
}
