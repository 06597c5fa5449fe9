// nsnet/show.hpp — `ip a`: the text view of a namespace's links and addresses.
//
// Layer: typed objects (link and address dumps). show_addresses(ns) is what `ip netns exec NS ip a`
// prints, built from nsnet's own dumps (no `ip` binary); format_addresses does the formatting alone,
// for links and addresses read already. Other objects print with to_string (route.hpp,
// monitor/view.hpp).
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/if.h>
#include <linux/if_addr.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"

namespace nsnet {

// `ip netns exec NS ip a`: every link of the namespace with its flags, mtu, state, kind, master,
// MAC and inet/inet6 addresses, built from nsnet's own link and address dumps. Unlike `ip`, which
// prints them raw, names and labels are shown through printable(): a container may name its
// interfaces with ESC and other control bytes.
NSNET_LAZY NSNET_DECL std::string show_addresses(const NetnsRef& ns);

namespace detail {

// The `ip a` text for links and addresses already read from one namespace (pure; unit-tested).
NSNET_LAZY NSNET_DECL std::string format_addresses(std::vector<LinkInfo> links, const std::vector<AddressInfo>& addresses);

// Pieces of it: "BROADCAST,MULTICAST,UP,LOWER_UP", "UP", "ether", "global".
NSNET_LAZY NSNET_DECL std::string link_flags_text(unsigned flags);
NSNET_LAZY NSNET_DECL const char* operstate_text(std::uint8_t state);
NSNET_LAZY NSNET_DECL std::string link_type_text(unsigned short type);
NSNET_LAZY NSNET_DECL const char* scope_text(Scope s);

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/show.ipp"
#endif
