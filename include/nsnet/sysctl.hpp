// nsnet/sysctl.hpp — read and write `net.*` sysctls inside a network namespace.
//
// Layer: typed objects (do I/O). `sysctl -w net.ipv4.ip_forward=1` run inside a namespace
// (`ip netns exec docker sysctl -w ...`) becomes set_sysctl(docker, "net.ipv4.ip_forward", "1").
// /proc/sys/net shows the network namespace of the thread that opens the file, so each call opens
// and reads/writes it on a short-lived thread inside the namespace (NetnsRef::run); the caller's
// thread never changes namespace.
//
// Keys are validated before anything is opened: only `net.` keys, made of non-empty components of
// letters, digits, '_' and '-' (no "..", no '/', no NUL), so a key can never reach outside
// /proc/sys/net. Interface keys (net.ipv4.conf.<if>.<key>) take the interface name separately
// (interface_sysctl, set_interface_sysctl), because interface names may contain '.'
// (veth-ns1.100), which the dotted form cannot express. The interface is a `DeviceArg` (link.hpp):
// a name is taken as given ("all", "default" or an interface's), a Link, an owner or an ifindex is
// looked up in the namespace for its current name. Reading is `sysctl(ns, key)`, writing
// `set_sysctl(ns, key, value)`, as with ip_forward / set_ip_forward and Transaction::set_sysctl.
// A few per-interface IPv4 keys (the ARP ones, Ipv4InterfaceSettings) are also taken by the kernel
// through rtnetlink: set_ipv4_interface sends one request on the namespace's socket, no thread.
//
// Not done: non-`net` sysctls (they are not per namespace), restoring old values on scope exit.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"  // DeviceArg (link.hpp does not include this header)
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/devconf.hpp"

namespace nsnet {

// The address family of a per-interface key: net.ipv4.conf.* or net.ipv6.conf.*.
enum class SysctlFamily { V4, V6 };

namespace detail {

NSNET_LAZY NSNET_DECL bool sysctl_component_ok(std::string_view c);

// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward"; throws InvalidArgument naming the key.
NSNET_LAZY NSNET_DECL std::string sysctl_path(std::string_view key, const char* operation);

NSNET_LAZY NSNET_DECL std::string interface_sysctl_path(SysctlFamily family, std::string_view ifname, std::string_view key,
                                             const char* operation);

NSNET_LAZY NSNET_DECL std::string read_proc_file(const NetnsRef& ns, const std::string& path, const std::string& shown);

NSNET_LAZY NSNET_DECL void write_proc_file(const NetnsRef& ns, const std::string& path, const std::string& shown, const std::string& value);

}  // namespace detail

// sysctl -n KEY (inside the namespace): "net.ipv4.ip_forward" -> "0". Trailing newline removed.
NSNET_LAZY NSNET_DECL std::string sysctl(const NetnsRef& netns, std::string_view key);

// sysctl -w KEY=VALUE (inside the namespace).
NSNET_LAZY NSNET_DECL void set_sysctl(const NetnsRef& netns, std::string_view key, const std::string& value);

// sysctl -n net.ipv4.conf.IF.KEY (IF may be "all" or "default"); IPv6: net.ipv6.conf.IF.KEY.
// IF is a name, a Link, an owner or an ifindex; a bad one is an error naming the field
// ("interface: device #7 does not exist in namespace n1"), before anything is read.
NSNET_LAZY NSNET_DECL std::string interface_sysctl(const NetnsRef& netns, const DeviceArg& interface, std::string_view key,
                                        SysctlFamily family = SysctlFamily::V4);

// sysctl -w net.ipv4.conf.IF.KEY=VALUE (e.g. proxy_arp, rp_filter, forwarding, route_localnet);
// IF as interface_sysctl takes it.
NSNET_LAZY NSNET_DECL void set_interface_sysctl(const NetnsRef& netns, const DeviceArg& interface, std::string_view key,
                                     const std::string& value, SysctlFamily family = SysctlFamily::V4);

// sysctl net.ipv4.ip_forward: is the namespace a router?
NSNET_LAZY NSNET_DECL bool ip_forward(const NetnsRef& netns);

// sysctl -w net.ipv4.ip_forward=1|0 (the tutorial's "echo 1 > /proc/sys/net/ipv4/ip_forward").
NSNET_LAZY NSNET_DECL void set_ip_forward(const NetnsRef& netns, bool on);

// sysctl net.ipv6.conf.all.forwarding: does the namespace route IPv6?
NSNET_LAZY NSNET_DECL bool ipv6_forward(const NetnsRef& netns);

// sysctl -w net.ipv6.conf.all.forwarding=1|0. The kernel copies `all` to every interface's
// forwarding (and a router ignores router advertisements unless accept_ra is 2).
NSNET_LAZY NSNET_DECL void set_ipv6_forward(const NetnsRef& netns, bool on);

// The per-interface IPv6 settings a container network sets (net.ipv6.conf.IF.*); unset members are
// left alone. CNI's bridge plugin writes accept_dad=0 on the container side when asked not to
// wait for DAD, and disable_ipv6=0 before adding IPv6 addresses.
struct Ipv6InterfaceSettings {
    std::optional<bool> disable_ipv6{};  // disable_ipv6: 1 removes every IPv6 address of IF
    std::optional<int> accept_dad{};     // 0 no DAD, 1 DAD, 2 DAD and disable IPv6 on a MAC-based duplicate
    std::optional<int> accept_ra{};      // 0 ignore RAs, 1 accept unless forwarding, 2 accept even when forwarding
    std::optional<bool> forwarding{};    // forwarding (this interface only)
};

// sysctl -w net.ipv6.conf.IF.KEY=VALUE for each set member, inside the namespace, in the order
// disable_ipv6, accept_dad, accept_ra, forwarding; IF as interface_sysctl takes it (it may be
// "all" or "default"). Values out of range and a bad interface are rejected (an error naming the
// field) before anything is written.
NSNET_LAZY NSNET_DECL void set_ipv6_interface(const NetnsRef& netns, const DeviceArg& interface, const Ipv6InterfaceSettings& s);

// Per-interface IPv4 settings (net.ipv4.conf.IF.*) that the kernel takes through rtnetlink
// (rtnl/devconf.hpp) exactly as it takes them from /proc: the value is stored and nothing else
// happens (keys whose /proc handler also flushes routes or sends notifications, such as forwarding,
// rp_filter or route_localnet, are not here: set_interface_sysctl writes those). Unset members are
// left alone.
struct Ipv4InterfaceSettings {
    std::optional<bool> arp_notify{};   // arp_notify: a gratuitous ARP when the link comes up or its MAC changes
    std::optional<int> arp_ignore{};    // arp_ignore 0..8: which ARP requests are answered
    std::optional<int> arp_announce{};  // arp_announce 0..2: the source address of ARP requests
    std::optional<int> arp_accept{};    // arp_accept 0..2: gratuitous ARPs create neighbour entries
};

// sysctl -w net.ipv4.conf.IF.KEY=VALUE for each set member, in one rtnetlink request to the
// namespace (no thread inside it, unlike the /proc writes). IF is a name (not "all" or "default":
// the request names one device), a Link, an owner or an ifindex; values out of range and a bad or
// missing interface are rejected (an error naming the field) before anything is sent. The link
// must exist (the kernel takes these settings only on an existing link, not in its creation).
NSNET_LAZY NSNET_DECL void set_ipv4_interface(const NetnsRef& netns, const DeviceArg& interface, const Ipv4InterfaceSettings& s);

namespace detail {

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/sysctl.ipp"
#endif
