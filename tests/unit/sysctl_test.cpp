// Unit tests for include/nsnet/sysctl.hpp that need no privileges: keys are validated (and mapped to
// /proc/sys paths) before any namespace is entered or file opened.
#include "nsnet/sysctl.hpp"

#include <doctest/doctest.h>

#include <string>

#include "../support/errors.hpp"

using namespace nsnet;

TEST_CASE("dotted net.* keys map to /proc/sys paths") {
    CHECK(detail::sysctl_path("net.ipv4.ip_forward", "t") == "/proc/sys/net/ipv4/ip_forward");
    CHECK(detail::sysctl_path("net.ipv6.conf.all.forwarding", "t") == "/proc/sys/net/ipv6/conf/all/forwarding");
    CHECK(detail::sysctl_path("net.core.somaxconn", "t") == "/proc/sys/net/core/somaxconn");
}

TEST_CASE("keys that could leave /proc/sys/net are rejected, naming the key") {
    for (const char* bad : {"", "net", "net.", "kernel.hostname", "net..ipv4", "net.ipv4.", "net.ipv4/../../etc",
                            "net.ipv4.ip_forward/", "net/ipv4/ip_forward", "net.ipv4.ip forward", ".net.ipv4",
                            "net.ipv4.conf.eth0\n.x"}) {
        CAPTURE(bad);
        try {
            (void)sysctl(NetnsRef{}, bad);  // an empty NetnsRef: validation must come first
            FAIL("accepted");
        } catch (const InvalidArgument& e) {
            CHECK(e.object() == bad);
        }
        CHECK_THROWS_AS(set_sysctl(NetnsRef{}, bad, "1"), InvalidArgument);
    }
}

TEST_CASE("interface keys take the interface name apart (it may contain dots)") {
    CHECK(detail::interface_sysctl_path(SysctlFamily::V4, "veth-ns1.100", "rp_filter", "t") ==
          "/proc/sys/net/ipv4/conf/veth-ns1.100/rp_filter");
    CHECK(detail::interface_sysctl_path(SysctlFamily::V6, "all", "forwarding", "t") ==
          "/proc/sys/net/ipv6/conf/all/forwarding");
    CHECK_THROWS_AS(interface_sysctl(NetnsRef{}, "..", "rp_filter"), InvalidArgument);
    CHECK_THROWS_AS(interface_sysctl(NetnsRef{}, "a/b", "rp_filter"), InvalidArgument);
    CHECK_THROWS_AS(interface_sysctl(NetnsRef{}, "eth0", "../../x"), InvalidArgument);
    CHECK_THROWS_AS(interface_sysctl(NetnsRef{}, "eth0", ""), InvalidArgument);
    CHECK_THROWS_AS(set_interface_sysctl(NetnsRef{}, "sixteen-bytes-xx", "proxy_arp", "1"), InvalidArgument);
}

TEST_CASE("values with a newline are rejected") {
    CHECK_THROWS_AS(detail::write_proc_file(NetnsRef{}, "/proc/sys/net/ipv4/ip_forward", "k", "1\n0"), InvalidArgument);
}

TEST_CASE("set_ipv6_interface rejects bad values and names before anything is written") {
    // An empty NetnsRef: any write would fail differently, so these can only be the validation.
    auto why = [](auto&& fn) {
        try {
            fn();
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string("no InvalidArgument");
    };
    CHECK(why([] { set_ipv6_interface(NetnsRef{}, "eth0", {.accept_dad = 3}); }).find("Ipv6InterfaceSettings.accept_dad: 3") !=
          std::string::npos);
    CHECK(why([] { set_ipv6_interface(NetnsRef{}, "eth0", {.accept_ra = -1}); }).find("Ipv6InterfaceSettings.accept_ra: -1") !=
          std::string::npos);
    CHECK_THROWS_AS(set_ipv6_interface(NetnsRef{}, "a/b", {.forwarding = true}), InvalidArgument);
    CHECK_THROWS_AS(set_ipv6_interface(NetnsRef{}, "sixteen-bytes-xx", {.disable_ipv6 = false}), InvalidArgument);
    // The path the settings go to: net.ipv6.conf.IF.KEY, "all" and "default" included.
    CHECK(detail::interface_sysctl_path(SysctlFamily::V6, "all", "forwarding", "t") == "/proc/sys/net/ipv6/conf/all/forwarding");
    CHECK(detail::interface_sysctl_path(SysctlFamily::V6, "veth.10", "accept_dad", "t") ==
          "/proc/sys/net/ipv6/conf/veth.10/accept_dad");
}

TEST_CASE("interface sysctls take a DeviceArg; a bad interface is an InvalidArgument naming the field and the value") {
    using nsnet::test::has;
    using nsnet::test::rejection;
    // A name is kept as given ("all" and "default" are the kernel's entries), so these map as before.
    auto bad_name = rejection([] { (void)interface_sysctl(NetnsRef{}, "a/b", "rp_filter"); });
    CHECK(has(bad_name, "interface: interface name 'a/b' contains '/'"));
    CHECK(has(rejection([] { set_interface_sysctl(NetnsRef{}, "sixteen-bytes-xx", "proxy_arp", "1"); }),
              "interface: interface name 'sixteen-bytes-xx' is 16 bytes"));
    CHECK(has(rejection([] { set_ipv6_interface(NetnsRef{}, "a b", {.forwarding = true}); }), "interface: interface name 'a b'"));
    CHECK(has(rejection([] { (void)interface_sysctl(NetnsRef{}, "", "rp_filter"); }), "interface is not set"));
    // An ifindex or a link handle is looked up for its name; a bad one is refused before any request.
    CHECK(has(rejection([] { set_interface_sysctl(NetnsRef{}, -1, "forwarding", "1"); }),
              "interface: device index -1 is not an ifindex"));
    const Link removed(NetnsRef::current(), 0, "gone0");
    CHECK(has(rejection([&] { (void)interface_sysctl(NetnsRef::current(), removed, "rp_filter"); }),
              "interface 'gone0' is an empty or removed link handle"));
    OwnedLink owner(Link(NetnsRef::current(), 0, "gone1"));
    CHECK(has(rejection([&] { set_ipv6_interface(NetnsRef::current(), owner, {.accept_ra = 2}); }),
              "interface 'gone1' is an empty or removed link handle"));
    (void)owner.release();
    // A bad key is refused before a link is looked up.
    CHECK(has(rejection([] { (void)interface_sysctl(NetnsRef{}, 7, "../x"); }), "sysctl key '../x' is not a plain key name"));
}

TEST_CASE("set_ipv4_interface rejects bad values, 'all'/'default' and a bad interface before anything is sent") {
    using nsnet::test::has;
    using nsnet::test::rejection;
    // Values first (an empty NetnsRef: anything sent would fail differently).
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef{}, "eth0", {.arp_ignore = 9}); }),
              "Ipv4InterfaceSettings.arp_ignore: 9 is not in 0..8"));
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef{}, "eth0", {.arp_announce = 3}); }),
              "Ipv4InterfaceSettings.arp_announce: 3 is not in 0..2"));
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef{}, "eth0", {.arp_accept = -1}); }),
              "Ipv4InterfaceSettings.arp_accept: -1 is not in 0..2"));
    // The request names one device: not the kernel's "all"/"default" entries, not nothing.
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef::current(), "all", {.arp_notify = true}); }),
              "interface 'all' is not a device"));
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef::current(), "default", {.arp_notify = true}); }),
              "interface 'default' is not a device"));
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef::current(), DeviceArg{}, {.arp_notify = true}); }), "interface is not set"));
    // The namespace, then the device (a removed handle is refused without a request).
    CHECK(has(rejection([] { set_ipv4_interface(NetnsRef{}, "eth0", {.arp_notify = true}); }), "an empty NetnsRef"));
    const Link removed(NetnsRef::current(), 0, "gone2");
    CHECK(has(rejection([&] { set_ipv4_interface(NetnsRef::current(), removed, {.arp_notify = true}); }),
              "'gone2' is an empty or removed link handle"));
}
