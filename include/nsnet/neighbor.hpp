// nsnet/neighbor.hpp — ARP/NDP entries of a namespace (`ip neigh`): create, look up, list, remove, flush.
//
// Layer: typed objects. Neighbours follow the object convention (DEVELOPERS.md), as routes do:
// Neighbor::create returns an owner that removes its entry when destroyed unless persist()ed; a
// later process removes a kept entry with the static Neighbor::remove(ns, options). Options take
// text or typed values (AddressArg, MacArg, DeviceArg), as on the command line:
//
//   auto n = nsnet::Neighbor::create(ns, {.dev = veth, .address = "10.10.10.2", .lladdr = "02:00:00:00:00:02"});
//   nsnet::Neighbor::create(ns, {.dev = "eth0", .address = "10.10.10.3", .proxy = true}).persist();
//   auto got = nsnet::Neighbor::get(ns, {.dev = "eth0", .address = "10.10.10.2"});   // got.lladdr, got.state
//   nsnet::Neighbor::remove(ns, {.dev = "eth0", .address = "10.10.10.2"});           // ip neigh del; gone is fine
//   nsnet::Neighbor::flush(ns, {.dev = "eth0"});   // ip neigh flush dev eth0: returns how many were deleted
//
// Everything is checked before anything is sent; errors name the field and the value
// ("NeighborOptions.address '10.0.0.300' is not an IPv4 or IPv6 address"). The values read back
// (NeighborInfo) are rtnl's. Bridge FDB entries (`bridge fdb`) are not neighbours; see fdb.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/neigh.hpp"

namespace nsnet {

using NeighborInfo = rtnl::Neighbor;       // an entry as the kernel reports it (Neighbor::list, get)
using NeighborState = rtnl::NeighborState;  // `nud STATE`

// What `ip neigh add|replace ADDR [lladdr MAC] dev DEV [nud STATE] [router]` takes (`proxy ADDR`
// for a proxy entry, which has no lladdr).
struct NeighborOptions {
    DeviceArg dev{};                                // `dev`: a name, ifindex, link or owner (required)
    AddressArg address{};                           // "10.10.10.2", "2001:db8::2" or an IpAddress (required)
    MacArg lladdr{};                                // "02:00:00:00:00:02" or a MacAddress; unset for proxy entries
    NeighborState state = NeighborState::Permanent; // ip's default
    bool router = false;                            // IPv6: the neighbour is a router
    bool proxy = false;                             // proxy ARP/NDP entry (`ip neigh add proxy ADDR dev DEV`)
};

// Which entry Neighbor::get/find look up: the kernel's key of an entry.
struct NeighborKey {
    DeviceArg dev{};        // `dev` (required)
    AddressArg address{};   // the neighbour's address (required)
    bool proxy = false;     // the proxy entry of that address instead of the cache entry
};

// Which entries Neighbor::list returns (`ip neigh show [dev DEV] [proxy]`).
struct NeighborFilter {
    std::optional<Family> family{};  // both when unset
    DeviceArg dev{};                 // one device; unset: all
    bool proxy = false;              // the proxy entries instead of the cache (`ip neigh show proxy`)
};

// What Neighbor::flush deletes (`ip neigh flush dev DEV [nud all]`).
struct NeighborFlushOptions {
    DeviceArg dev{};                  // one device; unset: every device of the namespace
    std::optional<Family> family{};   // both when unset
    bool include_permanent = false;   // also permanent and noarp entries (`nud all`)
};

namespace detail {

// A parsed, resolved neighbour request and its `ip neigh` text for messages ("10.0.0.2 dev a").
struct ResolvedNeighbor {
    rtnl::Neighbor entry{};
    std::string shown{};
};

// Parses and checks NeighborOptions (the device resolved in `ns`). Nothing is sent.
NSNET_LAZY NSNET_DECL ResolvedNeighbor resolve_neighbor(const NetnsRef& ns, const NeighborOptions& o, const std::string& operation);

// A valid state (permanent, noarp, reachable, stale, ...) without a link-layer address is refused by
// the kernel on devices that have one (Ethernet) *after* it created an empty entry; refuse it first.
NSNET_LAZY NSNET_DECL void check_lladdr_needed(const NetnsRef& ns, const ResolvedNeighbor& n, const std::string& operation);

NSNET_LAZY NSNET_DECL void neighbor_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation,
                                 const std::string& shown);

}  // namespace detail

// An entry nsnet made, as a plain copyable value: its namespace and the key that names it. This is
// what Neighbor owns and what Neighbor::release() hands back.
class NeighborRef {
public:
    NeighborRef() = default;
    // The entry `entry` in `ns`, named `description` in errors.
    NeighborRef(NetnsRef ns, rtnl::Neighbor entry, std::string description) noexcept
        : ns_(std::move(ns)), entry_(std::move(entry)), description_(std::move(description)) {}

    // The namespace the entry is in.
    const NetnsRef& netns() const noexcept { return ns_; }
    // The resolved request (address parsed, device as an ifindex).
    const rtnl::Neighbor& entry() const noexcept { return entry_; }
    // The entry as `ip neigh` names it, e.g. "10.10.10.2 dev veth0" or "proxy 10.10.10.3 dev veth0".
    const std::string& description() const noexcept { return description_; }
    // ip neigh del ADDR dev DEV [proxy]. An entry already gone (ENOENT), with its device (ENODEV) or
    // namespace, is success.
    NSNET_LAZY void remove() const;

private:
    NetnsRef ns_{};
    rtnl::Neighbor entry_{};
    std::string description_{};
};

// A neighbour entry nsnet created: removed on destruction unless persist()ed (detail::Owner). Move-only.
class Neighbor : public detail::Owner<NeighborRef> {
public:
    Neighbor() = default;

    // ip neigh add ADDR lladdr MAC dev DEV [nud STATE] [router] / ip neigh add proxy ADDR dev DEV, in
    // `ns`. An existing entry is Error(EEXIST). When the kernel's answer is lost, the entry is
    // removed again (no leftovers) and the Error says so.
    NSNET_LAZY [[nodiscard]] static Neighbor create(const NetnsRef& ns, const NeighborOptions& options);
    // ip neigh replace ...: creates the entry or overwrites the one of that address. The owner removes
    // it (it does not restore what was replaced).
    NSNET_LAZY [[nodiscard]] static Neighbor replace(const NetnsRef& ns, const NeighborOptions& options);

    // ip neigh show [dev DEV] [proxy]: the entries of `ns`.
    NSNET_LAZY static std::vector<NeighborInfo> list(const NetnsRef& ns, const NeighborFilter& filter = {});
    // The entry of key.address on key.dev; none (or no such device) is Error(ENOENT/ENODEV) naming it.
    NSNET_LAZY static NeighborInfo get(const NetnsRef& ns, const NeighborKey& key);
    // As get(), but no such entry or device is nullopt.
    NSNET_LAZY static std::optional<NeighborInfo> find(const NetnsRef& ns, const NeighborKey& key);

    // ip neigh del ADDR dev DEV [proxy]: removes the entry of options.address on options.dev (lladdr,
    // state and router are not looked at), e.g. one a previous process created and persisted. None
    // (or its device gone) is success.
    NSNET_LAZY static void remove(const NetnsRef& ns, const NeighborOptions& options);
    // Removes this entry now (idempotent; see NeighborRef::remove).
    using detail::Owner<NeighborRef>::remove;

    // ip neigh flush dev DEV: deletes the dynamic entries (not permanent/noarp ones unless asked,
    // never proxy entries) and returns how many it deleted. Entries that vanish meanwhile are not
    // counted and not an error. Repeats the dump until nothing flushable is left (max 10 rounds).
    NSNET_LAZY static std::size_t flush(const NetnsRef& ns, const NeighborFlushOptions& options = {});

    // The namespace the entry is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }
    // The entry as `ip neigh` names it, e.g. "10.10.10.2 dev veth0".
    const std::string& description() const noexcept { return handle().description(); }

private:
    NSNET_LAZY explicit Neighbor(NeighborRef r) noexcept : detail::Owner<NeighborRef>(std::move(r)) {}
    NSNET_LAZY static Neighbor write(const NetnsRef& ns, const NeighborOptions& options, bool replace, const char* operation);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/neighbor.ipp"
#endif
