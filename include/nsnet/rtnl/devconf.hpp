// nsnet/rtnl/devconf.hpp — an interface's IPv4 settings (net.ipv4.conf.IF.*, the kernel's
// ipv4_devconf) set through rtnetlink: RTM_NEWLINK with IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF.
//
// Layer: rtnetlink messages, no I/O. The object layer's entry point is set_ipv4_interface
// (sysctl.hpp), which sends this instead of writing /proc/sys/net/ipv4/conf/IF/KEY from a thread
// inside the namespace.
//
// Bytes: iproute2 has no command that sends IFLA_INET_CONF (`ip link set` sets no IPv4 devconf),
// so there is no capture to compare with; the layout is the uapi's (linux/if_link.h: a nest per
// address family inside IFLA_AF_SPEC; linux/ip.h: IPV4_DEVCONF_* keys, u32 values) and
// tests/unit/rtnl/devconf_test.cpp spells the expected bytes out. IFLA_AF_SPEC and AF_INET are
// written without NLA_F_NESTED, as iproute2 writes IFLA_AF_SPEC for `ip link set X addrgenmode`;
// IFLA_INET_CONF with it (a kernel once refused IFLA_INET_CONF without the flag, fixed by "net:
// allow IFLA_INET_CONF messages when NLA_F_NESTED unset"; every kernel accepts it with the flag).
//
// What it does not do: IPv6 (the kernel takes no IFLA_INET6_CONF: net.ipv6.conf.* are written
// through /proc, sysctl.hpp); a link being created (the kernel refuses IFLA_AF_SPEC/AF_INET in
// RTM_NEWLINK|NLM_F_CREATE with EAFNOSUPPORT: set it once the link exists); checking keys or
// values (the caller's typed settings do that).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <net/if.h> and <netinet/in.h> must precede uapi headers
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <span>

#include "nsnet/detail/config.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::rtnl {

// One net.ipv4.conf.IF.KEY = VALUE: KEY is an IPV4_DEVCONF_* index (linux/ip.h), e.g.
// IPV4_DEVCONF_ARP_NOTIFY for arp_notify.
struct Ipv4Devconf {
    int key = 0;              // IPV4_DEVCONF_* (1..IPV4_DEVCONF_MAX)
    std::uint32_t value = 0;  // the value, as /proc/sys/net/ipv4/conf/IF/KEY shows it
};

// RTM_NEWLINK for ifindex `index` (no NLM_F_CREATE) setting each of `values`, in order, as
// `sysctl -w net.ipv4.conf.IF.KEY=VALUE` would: IFLA_AF_SPEC { AF_INET { IFLA_INET_CONF {
// KEY: u32 VALUE, ... } } }.
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_set_ipv4_devconf(int index, std::span<const Ipv4Devconf> values);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/devconf.ipp"
#endif
