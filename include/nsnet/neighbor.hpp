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

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL rtnl::Neighbor to_neighbor(const Link& dev, const NeighborOptions& o, const char* operation) {
    if (!dev.valid()) throw Error(ENODEV, operation, dev.name(), {}, "link handle is empty or was removed");
    if (o.address.empty()) invalid_argument(operation, dev.name(), "no neighbour address given");
    auto addr = IpAddress::try_parse(o.address);
    if (!addr)
        invalid_argument(operation, o.address, "'" + o.address + "' is not an IPv4 or IPv6 address");
    rtnl::Neighbor n{};
    n.index = dev.index();
    n.address = *addr;
    n.state = o.state;
    n.router = o.router;
    n.proxy = o.proxy;
    if (!o.lladdr.empty()) {
        if (o.proxy)
            invalid_argument(operation, o.address, "a proxy entry takes no lladdr ('" + o.lladdr + "' given)");
        n.lladdr = MacAddress::parse(o.lladdr);
    }
    if (o.router && addr->is_v4())
        invalid_argument(operation, o.address, "'router' applies to IPv6 neighbours only, " + o.address + " is IPv4");
    return n;
}

NSNET_DECL void neighbor_request(const Link& dev, nl::MessageBuilder msg, const std::string& operation,
                                 const std::string& object) {
    dev.netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, object + " dev " + dev.name()); });
}

NSNET_DECL void check_lladdr_needed(const Link& dev, const rtnl::Neighbor& n, const char* operation) {
    constexpr std::uint16_t valid = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE;
    if (n.proxy || n.lladdr || !(static_cast<std::uint16_t>(n.state) & valid)) return;
    if (dev.info().mac)
        invalid_argument(operation, n.address.to_string() + " dev " + dev.name(),
                         "state " + rtnl::to_string(n.state) + " needs a link-layer address (lladdr) on " + dev.name());
}

}  // namespace detail

NSNET_DECL void add_neighbor(const Link& dev, const NeighborOptions& options) {
    auto n = detail::to_neighbor(dev, options, "add neighbor");
    detail::check_lladdr_needed(dev, n, "add neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_new(n), "add neighbor", options.address);
}

NSNET_DECL void replace_neighbor(const Link& dev, const NeighborOptions& options) {
    auto n = detail::to_neighbor(dev, options, "replace neighbor");
    detail::check_lladdr_needed(dev, n, "replace neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_new(n, true), "replace neighbor", options.address);
}

NSNET_DECL void delete_neighbor(const Link& dev, std::string_view address, bool proxy) {
    NeighborOptions o{.address = std::string(address), .lladdr = {}, .state = NeighborState::Permanent, .router = false, .proxy = proxy};
    auto n = detail::to_neighbor(dev, o, "delete neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_del(n), "delete neighbor", o.address);
}

NSNET_DECL std::vector<Neighbor> list_neighbors(const NetnsRef& ns, const NeighborFilter& filter) {
    auto all = ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::neighbor_dump(filter.family ? static_cast<unsigned char>(*filter.family) : AF_UNSPEC,
                                     filter.index, filter.proxy);
        return nl::dump_collect(s, m, "list neighbors", rtnl::decode_neighbor);
    });
    // The kernel filters too (NDA_IFINDEX, family); this also holds on kernels that ignore the filter.
    std::erase_if(all, [&](const Neighbor& n) {
        return (filter.index && n.index != filter.index) || (filter.family && n.family() != *filter.family) ||
               n.proxy != filter.proxy;
    });
    return all;
}

NSNET_DECL std::size_t flush_neighbors(const Link& dev, const FlushOptions& options) {
    if (!dev.valid()) throw Error(ENODEV, "flush neighbors", dev.name(), {}, "link handle is empty or was removed");
    std::size_t deleted = 0;
    for (int round = 0; round < 10; ++round) {
        auto entries = list_neighbors(dev.netns(), NeighborFilter{.family = options.family, .index = dev.index(), .proxy = false});
        nl::Batch batch;
        for (const auto& n : entries) {
            auto st = static_cast<std::uint16_t>(n.state);
            if (!options.include_permanent && (st & (NUD_PERMANENT | NUD_NOARP))) continue;
            batch.add(rtnl::neighbor_del(n), "flush neighbor", n.address.to_string() + " dev " + dev.name());
        }
        if (batch.empty()) break;
        auto outcomes = dev.netns().with_rtnl([&](nl::Socket& s) { return batch.run(s); });
        std::size_t this_round = 0;
        for (const auto& o : outcomes) {
            if (o.ack.error == 0) ++this_round;
            else if (o.ack.error != ENOENT)
                throw o.ack.to_error(batch.operation(o.index), batch.object(o.index));
        }
        deleted += this_round;
        if (this_round == 0) break;
    }
    return deleted;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
