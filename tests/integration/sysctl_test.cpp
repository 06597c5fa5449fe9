// Integration tests of include/nsnet/sysctl.hpp (root): net.* sysctls are read and written inside a
// namespace nsnet created, per-interface keys included, and the starting namespace's values (and the
// caller's thread) never change.
#include "nsnet/sysctl.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "nsnet/netns.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

// Read on the caller's thread: the starting namespace's value.
std::string host_value(const char* path) {
    std::ifstream in(path);
    std::string v;
    std::getline(in, v);
    return v;
}

ino_t thread_netns() {
    struct stat st {};
    REQUIRE(::stat("/proc/thread-self/ns/net", &st) == 0);
    return st.st_ino;
}

}  // namespace

TEST_CASE("sysctl: net.ipv4.ip_forward inside a namespace, the starting namespace untouched") {
    const std::string host_forward = host_value("/proc/sys/net/ipv4/ip_forward");
    const ino_t me = thread_netns();
    Netns ns = Netns::create(unique_name("sy"));
    CHECK_FALSE(ip_forward(ns));  // a new namespace does not forward
    CHECK(sysctl(ns, "net.ipv4.ip_forward") == "0");
    set_ip_forward(ns, true);
    CHECK(ip_forward(ns));
    CHECK(sysctl(ns, "net.ipv4.ip_forward") == "1");
    CHECK(host_value("/proc/sys/net/ipv4/ip_forward") == host_forward);
    set_ip_forward(ns, false);
    CHECK(sysctl(ns, "net.ipv4.ip_forward") == "0");
    CHECK(thread_netns() == me);

    // Another namespace has its own value.
    Netns other = Netns::create(unique_name("sy"));
    set_ip_forward(ns, true);
    CHECK_FALSE(ip_forward(other));

    // Other net.* keys.
    set_sysctl(ns, "net.ipv4.ping_group_range", "0 2147483647");
    CHECK(sysctl(ns, "net.ipv4.ping_group_range") == "0\t2147483647");
    CHECK(host_value("/proc/sys/net/ipv4/ip_forward") == host_forward);
}

TEST_CASE("sysctl: per-interface keys, including interface names with dots") {
    Netns ns = Netns::create(unique_name("sy"));
    VethPair v = VethPair::create(ns, {.name = "veth-ns1.100", .peer = {.name = "peer"}});
    CHECK(interface_sysctl(ns, "veth-ns1.100", "proxy_arp") == "0");
    set_interface_sysctl(ns, "veth-ns1.100", "proxy_arp", "1");
    CHECK(interface_sysctl(ns, "veth-ns1.100", "proxy_arp") == "1");
    CHECK(interface_sysctl(ns, "peer", "proxy_arp") == "0");
    set_interface_sysctl(ns, "all", "rp_filter", "2");
    CHECK(interface_sysctl(ns, "all", "rp_filter") == "2");
    set_interface_sysctl(ns, "peer", "forwarding", "1", SysctlFamily::V6);
    CHECK(sysctl(ns, "net.ipv6.conf.peer.forwarding") == "1");
    // The interface as a Link, an ifindex or an owner (DeviceArg): its name in the namespace.
    CHECK(interface_sysctl(ns, v.first(), "proxy_arp") == "1");
    set_interface_sysctl(ns, v.second().index(), "proxy_arp", "1");
    CHECK(interface_sysctl(ns, "peer", "proxy_arp") == "1");
    set_ipv6_interface(ns, v.second(), {.accept_ra = 2});
    CHECK(interface_sysctl(ns, "peer", "accept_ra", SysctlFamily::V6) == "2");
    // A link of another namespace, or an ifindex that is not there: an error naming the field.
    try {
        (void)interface_sysctl(NetnsRef::current(), v.first(), "proxy_arp");
        FAIL("no error");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("interface 'veth-ns1.100' is in namespace") != std::string::npos);
    }
    try {
        set_interface_sysctl(ns, 99999, "proxy_arp", "1");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENODEV);
        CHECK(std::string(e.what()).find("interface: device #99999 does not exist") != std::string::npos);
    }
}

TEST_CASE("sysctl: set_ipv4_interface sets net.ipv4.conf.IF.* through rtnetlink, no thread inside") {
    const ino_t me = thread_netns();
    Netns ns = Netns::create(unique_name("sy"));
    VethPair v = VethPair::create(ns, {.name = "veth-ns1.100", .peer = {.name = "peer"}});
    CHECK(interface_sysctl(ns, "peer", "arp_notify") == "0");
    set_ipv4_interface(ns, v.second(), {.arp_notify = true, .arp_ignore = 2, .arp_announce = 1, .arp_accept = 1});
    CHECK(interface_sysctl(ns, "peer", "arp_notify") == "1");
    CHECK(interface_sysctl(ns, "peer", "arp_ignore") == "2");
    CHECK(interface_sysctl(ns, "peer", "arp_announce") == "1");
    CHECK(interface_sysctl(ns, "peer", "arp_accept") == "1");
    CHECK(interface_sysctl(ns, "veth-ns1.100", "arp_notify") == "0");  // only the device named
    // By name (looked up in the namespace) and by ifindex; unset members are left alone.
    set_ipv4_interface(ns, "veth-ns1.100", {.arp_notify = true});
    set_ipv4_interface(ns, v.second().index(), {.arp_ignore = 0});
    CHECK(interface_sysctl(ns, "veth-ns1.100", "arp_notify") == "1");
    CHECK(interface_sysctl(ns, "peer", "arp_ignore") == "0");
    CHECK(interface_sysctl(ns, "peer", "arp_notify") == "1");
    // A device that is not there: ENODEV naming it, nothing sent.
    try {
        set_ipv4_interface(ns, "nosuchif", {.arp_notify = true});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENODEV);
        CHECK(std::string(e.what()).find("nosuchif") != std::string::npos);
    }
    CHECK(thread_netns() == me);
}

TEST_CASE("sysctl: errors name the key and the namespace") {
    Netns ns = Netns::create(unique_name("sy"));
    try {
        (void)interface_sysctl(ns, "nosuchif", "rp_filter");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENOENT);
        CHECK(e.object() == "net.ipv4.conf.nosuchif.rp_filter");
        CHECK(e.detail().find(ns.name()) != std::string::npos);
    }
    try {
        set_sysctl(ns, "net.ipv4.ip_forward", "banana");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(e.object() == "net.ipv4.ip_forward");
    }
    CHECK_THROWS_AS(sysctl(ns, "net.ipv4.no_such_key"), Error);
}
