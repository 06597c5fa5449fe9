// nsnet/monitor/view.hpp — MonitorView: a namespace's link/address/route/neighbour/rule tables keyed
// as the kernel identifies objects; snapshot() dumps one, differences() compares two, and
// to_string() prints an event naming devices from a view.
//
// Layer: typed objects. A Monitor (monitor/pump.hpp) keeps one view current; a consumer applying
// every event it receives (MonitorView::apply) holds the same view.
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/rtnetlink.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/monitor/event.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

namespace nsnet {

// Which tables a Monitor follows, and how.
struct MonitorOptions {
    bool links = true;      // ip monitor link
    bool addresses = true;  // ip monitor address
    bool routes = true;     // ip monitor route (every table)
    bool neighbors = true;  // ip monitor neigh
    bool rules = true;      // ip monitor rule
    std::optional<int> receive_buffer{};  // SO_RCVBUF(FORCE) of the event socket, bytes (kernel doubles it)
    int max_receive_buffer = 8 << 20;     // after an overrun the buffer doubles, up to this (0: never grows)
    bool initial_events = false;          // deliver the initial state as synthetic New events
    bool refresh_on_silent_changes = true;  // re-dump after triggers of silent kernel changes (see top)
};

// The Monitor's picture of the kernel's tables, keyed as the kernel identifies objects:
// links by ifindex, addresses by (ifindex, address/len, peer), routes by (family, table, dst, src,
// tos, metric, type, and for IPv4 the nexthop), neighbours by (ifindex, address), rules by all of
// their fields.
struct MonitorView {
    std::map<int, rtnl::LinkInfo> links{};                // by ifindex
    std::map<std::string, rtnl::AddressInfo> addresses{};  // by monitor_detail::key_of
    std::map<std::string, rtnl::RouteInfo> routes{};       // by monitor_detail::key_of
    std::map<std::string, rtnl::Neighbor> neighbors{};     // by monitor_detail::key_of
    std::map<std::string, rtnl::Rule> rules{};             // by monitor_detail::key_of

    // How many objects of all kinds the view holds.
    std::size_t size() const noexcept {
        return links.size() + addresses.size() + routes.size() + neighbors.size() + rules.size();
    }
    // Applies an event as a consumer would (New/Changed: store, Deleted: erase, Resync: nothing).
    NSNET_LAZY void apply(const MonitorEvent& e);
    // The name of a link in this view ("" if unknown).
    NSNET_LAZY std::string link_name(int index) const;
};

// Identity keys and value comparison (exposed for consumers and tests).
namespace monitor_detail {

NSNET_LAZY NSNET_DECL std::string ip_text(const std::optional<IpAddress>& a);

NSNET_LAZY NSNET_DECL std::string key_of(const rtnl::AddressInfo& a);
NSNET_LAZY NSNET_DECL std::string key_of(const rtnl::RouteInfo& r);
NSNET_LAZY NSNET_DECL std::string key_of(const rtnl::Neighbor& n);
NSNET_LAZY NSNET_DECL std::string key_of(const rtnl::Rule& r);

// Bridges and bridge ports report running timers inside their kind data: ignore those bytes.
NSNET_LAZY NSNET_DECL bool same(const rtnl::LinkInfo& a, const rtnl::LinkInfo& b);
NSNET_LAZY NSNET_DECL bool same(const rtnl::AddressInfo& a, const rtnl::AddressInfo& b);
NSNET_LAZY NSNET_DECL bool same(const rtnl::RouteInfo& a, const rtnl::RouteInfo& b);
NSNET_LAZY inline bool same(const rtnl::Neighbor& a, const rtnl::Neighbor& b) { return a == b; }
NSNET_LAZY inline bool same(const rtnl::Rule& a, const rtnl::Rule& b) { return a == b; }

// The kernel's entries for multicast destinations (NUD_NOARP, e.g. ff02::16 and 224.0.0.22 for
// MLD/IGMP reports) come and go on timers without any event: they are not tracked.
NSNET_LAZY NSNET_DECL bool tracked(const rtnl::Neighbor& n);

NSNET_LAZY NSNET_DECL bool route_uses(const rtnl::RouteInfo& r, int index);

// Text of an object, naming devices from `view` when it knows them.
NSNET_LAZY NSNET_DECL std::string dev_name(const MonitorView* view, int index);
NSNET_LAZY NSNET_DECL std::string describe_object(const MonitorObject& o, const MonitorView* view);

// Dumps the selected tables of `sock`'s namespace into a view (NLM_F_DUMP_INTR restarts).
NSNET_LAZY NSNET_DECL MonitorView dump_view(nl::Socket& sock, const MonitorOptions& o);

}  // namespace monitor_detail

// One line per difference between two views ("+ address ...", "- route ...", "~ link ..."): what
// `b` has that `a` lacks (+), the reverse (-), and objects that differ (~). Empty when they agree.
NSNET_LAZY NSNET_DECL std::vector<std::string> differences(const MonitorView& a, const MonitorView& b);

// A fresh dump of a namespace's tables, keyed like a Monitor's view (`ip -d link; ip addr; ip route
// show table all; ip neigh; ip rule` in one value).
NSNET_LAZY NSNET_DECL MonitorView snapshot(const NetnsRef& ns, const MonitorOptions& kinds = {});

// "new link 4: veth0 (veth) UP LOWER_UP", "deleted address inet 10.0.0.1/24 dev veth0", ...;
// synthetic events end in " (synthetic)". One printable line: names are shown through printable().
NSNET_LAZY NSNET_DECL std::string to_string(const MonitorEvent& e, const MonitorView* names = nullptr);

namespace monitor_detail {

}  // namespace monitor_detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/monitor/view.ipp"
#endif
