// nsnet/neighbor.hpp — ARP/NDP entries of a device: add, replace, delete, list, flush (`ip neigh`).
//
// Layer: typed objects (I/O through the device's namespace). A neighbour belongs to a device, so
// the functions take the Link it lives on:
//
//   nsnet::add_neighbor(veth, {.address = "10.10.10.2", .lladdr = "02:00:00:00:00:02"});  // nud permanent
//   nsnet::flush_neighbors(veth);   // ip neigh flush dev veth: returns how many were deleted
//
// Addresses are given as text and checked before anything is sent. Bridge FDB entries (`bridge
// fdb`) are not neighbours; see fdb.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/neigh.hpp"

namespace nsnet {

using Neighbor = rtnl::Neighbor;
using NeighborState = rtnl::NeighborState;

// What `ip neigh add|replace ADDR [lladdr MAC] dev DEV [nud STATE] [router]` takes (`proxy ADDR`
// for a proxy entry, which has no lladdr).
struct NeighborOptions {
    std::string address{};                          // "10.10.10.2" or "2001:db8::2" (required)
    std::string lladdr{};                           // "02:00:00:00:00:02"; empty for proxy entries
    NeighborState state = NeighborState::Permanent; // ip's default
    bool router = false;                            // IPv6: the neighbour is a router
    bool proxy = false;                             // proxy ARP/NDP entry (`ip neigh add proxy ADDR dev DEV`)
};

namespace detail {

NSNET_DECL rtnl::Neighbor to_neighbor(const Link& dev, const NeighborOptions& o, const char* operation);

NSNET_DECL void neighbor_request(const Link& dev, nl::MessageBuilder msg, const std::string& operation,
                                 const std::string& object);

}  // namespace detail

namespace detail {

// A valid state (permanent, noarp, reachable, stale, ...) without a link-layer address is refused by
// the kernel on devices that have one (Ethernet) *after* it created an empty entry; refuse it first.
NSNET_DECL void check_lladdr_needed(const Link& dev, const rtnl::Neighbor& n, const char* operation);

}  // namespace detail

// ip neigh add ADDR lladdr MAC dev DEV [nud STATE] [router] / ip neigh add proxy ADDR dev DEV.
// An existing entry is Error(EEXIST); use replace_neighbor() to overwrite.
NSNET_DECL void add_neighbor(const Link& dev, const NeighborOptions& options);

// ip neigh replace ...: creates or overwrites the entry.
NSNET_DECL void replace_neighbor(const Link& dev, const NeighborOptions& options);

// ip neigh del ADDR dev DEV (proxy=true: ip neigh del proxy ADDR dev DEV). None is Error(ENOENT).
NSNET_DECL void delete_neighbor(const Link& dev, std::string_view address, bool proxy = false);

// Which entries list_neighbors() returns.
struct NeighborFilter {
    std::optional<Family> family{};  // both when unset
    int index = 0;                   // one device (ifindex), 0: all
    bool proxy = false;              // the proxy entries instead of the cache (`ip neigh show proxy`)
};

// ip neigh show [dev DEV] [proxy]
NSNET_DECL std::vector<Neighbor> list_neighbors(const NetnsRef& ns, const NeighborFilter& filter = {});
// ip neigh show dev DEV
inline std::vector<Neighbor> list_neighbors(const Link& dev, bool proxy = false) {
    return list_neighbors(dev.netns(), NeighborFilter{.family = {}, .index = dev.index(), .proxy = proxy});
}

struct FlushOptions {
    std::optional<Family> family{};
    bool include_permanent = false;   // also permanent and noarp entries (`ip neigh flush ... nud all`)
};

// ip neigh flush dev DEV: deletes the device's dynamic entries (not permanent/noarp ones unless
// asked, never proxy entries) and returns how many it deleted. Entries that vanish meanwhile are
// not counted and not an error. Repeats the dump until nothing flushable is left (max 10 rounds).
NSNET_DECL std::size_t flush_neighbors(const Link& dev, const FlushOptions& options = {});

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/neighbor.ipp"
#endif
