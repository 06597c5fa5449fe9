// nsnet/monitor/event.hpp — what a Monitor delivers: MonitorEvent (new / changed / deleted / resync)
// carrying the decoded kernel object (rtnl::LinkInfo, AddressInfo, RouteInfo, Neighbor, Rule).
//
// Layer: typed objects. Events are plain values: the Monitor (monitor/pump.hpp) makes them, a
// MonitorView (monitor/view.hpp) applies them; to_string(event, view) is in monitor/view.hpp.
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "nsnet/detail/config.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

namespace nsnet {

// What an event is about.
enum class ObjectKind : std::uint8_t { Link, Address, Route, Neighbor, Rule };
// What happened. Resync marks the end of a full re-dump after an overrun (or resync()).
enum class EventType : std::uint8_t { New, Changed, Deleted, Resync };

// "link", "address", "route", "neighbor", "rule".
NSNET_DECL const char* to_string(ObjectKind k) noexcept;
// "new", "changed", "deleted", "resync".
NSNET_DECL const char* to_string(EventType t) noexcept;

// Carried by a Resync event: why, and how many synthetic events the re-dump produced.
struct ResyncInfo {
    std::string reason{};          // "receive queue overrun (ENOBUFS)", "requested", ...
    std::size_t added = 0, changed = 0, removed = 0;  // synthetic New, Changed and Deleted events
    std::size_t discarded_datagrams = 0;  // queued (stale) datagrams dropped before the re-dump
};

// The object an event carries: one of the tracked kinds, or the ResyncInfo of a Resync event.
using MonitorObject = std::variant<std::monostate, rtnl::LinkInfo, rtnl::AddressInfo, rtnl::RouteInfo,
                                   rtnl::Neighbor, rtnl::Rule, ResyncInfo>;

// One change of a namespace's tables, as delivered by Monitor (monitor/pump.hpp).
struct MonitorEvent {
    EventType type = EventType::New;     // what happened
    ObjectKind kind = ObjectKind::Link;  // not meaningful for Resync
    bool synthetic = false;              // made by the Monitor (re-dump difference, implied deletion)
    MonitorObject object;                // the object (for Deleted: as the view last held it)
    MonitorObject previous;              // for Changed: the object before the change

    // The object if it is of that kind, else nullptr.
    NSNET_LAZY const rtnl::LinkInfo* link() const noexcept { return std::get_if<rtnl::LinkInfo>(&object); }
    NSNET_LAZY const rtnl::AddressInfo* address() const noexcept { return std::get_if<rtnl::AddressInfo>(&object); }  // or nullptr
    NSNET_LAZY const rtnl::RouteInfo* route() const noexcept { return std::get_if<rtnl::RouteInfo>(&object); }  // or nullptr
    NSNET_LAZY const rtnl::Neighbor* neighbor() const noexcept { return std::get_if<rtnl::Neighbor>(&object); }  // or nullptr
    NSNET_LAZY const rtnl::Rule* rule() const noexcept { return std::get_if<rtnl::Rule>(&object); }  // or nullptr
    NSNET_LAZY const ResyncInfo* resync() const noexcept { return std::get_if<ResyncInfo>(&object); }  // Resync events only
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/monitor/event.ipp"
#endif
