// Unit tests for include/nsnet/sysctl.hpp that need no privileges: keys are validated (and mapped to
// /proc/sys paths) before any namespace is entered or file opened.
#include "nsnet/sysctl.hpp"

#include <doctest/doctest.h>

#include <string>

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
