// nsnet/nexthop.hpp — nexthop objects of a namespace (`ip nexthop`): create, replace, list, get, remove.
//
// Layer: typed objects. A nexthop object is a gateway + device (or a blackhole, or a weighted group
// of other nexthops) with an id; routes refer to it by id (RouteOptions.nexthop_id, `ip route add
// PREFIX nhid ID`), so changing the nexthop changes every route that uses it in one operation. (One
// path of a multipath route is a RoutePath, route.hpp: not a nexthop object.) Nexthops follow the
// object convention (DEVELOPERS.md): Nexthop::create returns an owner that removes the nexthop
// when destroyed unless persist()ed; a later process removes it by id with Nexthop::remove(ns, id).
//
//   auto nh = nsnet::Nexthop::create(ns, {.id = 1, .via = "10.10.10.254", .dev = "veth-n1"});
//   auto g = nsnet::Nexthop::create(ns, {.id = 10, .group = {{1}, {2, 3}}});   // ip nexthop add id 10 group 1/2,3
//   nsnet::Nexthop::remove(ns, 10);                                            // ip nexthop del id 10; gone is fine
//
// Nexthop objects exist since Linux 5.3; Nexthop::supported(ns) says whether this kernel has them
// (callers and tests SKIP otherwise). Devices (DeviceArg) are resolved in the target namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/nexthop.hpp"

namespace nsnet {

using NexthopInfo = rtnl::Nexthop;  // a nexthop object as the kernel reports it
using NexthopGroupMember = rtnl::NexthopGroupMember;  // {id, weight} of a group

// What `ip nexthop add id N ...` takes. Exactly one of: via/dev, blackhole, group.
struct NexthopOptions {
    std::uint32_t id = 0;                        // 0: the kernel assigns one (Nexthop::id() tells)
    AddressArg via{};                            // gateway: "10.10.10.254" or an IpAddress
    DeviceArg dev{};                             // a name, ifindex or link in the namespace
    bool blackhole = false;                      // `blackhole`: drops what is routed through it
    bool onlink = false;                         // gateway need not be on a connected subnet
    std::vector<NexthopGroupMember> group{};     // {{id, weight}, ...}: `group 1/2,3` = {{1}, {2, 3}}
    bool resilient = false;                      // `type resilient` group (Linux 5.13+)
    bool fdb = false;                            // for bridge/vxlan FDB entries
    std::optional<Family> family{};              // dev-only/blackhole nexthops: IPv4 unless set
};

namespace detail {

NSNET_LAZY NSNET_DECL NexthopInfo to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation);

NSNET_LAZY NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const NexthopInfo& n, bool replace);

}  // namespace detail

// A nexthop object nsnet made, as a plain copyable value: its namespace and id. What Nexthop owns
// and what Nexthop::release() hands back.
class NexthopRef {
public:
    NexthopRef() = default;
    // The nexthop `id` in `ns`.
    NexthopRef(NetnsRef ns, std::uint32_t id) noexcept : ns_(std::move(ns)), id_(id) {}

    // The namespace the nexthop is in.
    const NetnsRef& netns() const noexcept { return ns_; }
    // Its id (`ip nexthop ... id N`).
    std::uint32_t id() const noexcept { return id_; }
    // ip nexthop del id N (the kernel deletes the routes using it); one already gone is success.
    NSNET_LAZY void remove() const;

private:
    NetnsRef ns_{};
    std::uint32_t id_ = 0;
};

// A nexthop object nsnet created: removed on destruction unless persist()ed (detail::Owner).
class Nexthop : public detail::Owner<NexthopRef> {
public:
    Nexthop() = default;

    // ip nexthop add id N via GW dev DEV | dev DEV | blackhole | group ... An existing id is
    // Error(EEXIST). With id 0 the kernel picks one: id() tells which.
    NSNET_LAZY [[nodiscard]] static Nexthop create(const NetnsRef& ns, const NexthopOptions& options);
    // ip nexthop replace ...: creates, or redefines the nexthop with this id; every route using it
    // follows. The owner removes it (it does not restore the old definition).
    NSNET_LAZY [[nodiscard]] static Nexthop replace(const NetnsRef& ns, const NexthopOptions& options);

    // True when the kernel has nexthop objects (Linux 5.3+): a dump is answered rather than refused.
    NSNET_LAZY static bool supported(const NetnsRef& ns);
    // ip nexthop show
    NSNET_LAZY static std::vector<NexthopInfo> list(const NetnsRef& ns);
    // ip nexthop get id N; none is Error(ENOENT) naming the id.
    NSNET_LAZY static NexthopInfo get(const NetnsRef& ns, std::uint32_t id);
    // As get(), but none is nullopt.
    NSNET_LAZY static std::optional<NexthopInfo> find(const NetnsRef& ns, std::uint32_t id);

    // ip nexthop del id N, e.g. of a nexthop a previous process created and persisted. None is success.
    NSNET_LAZY static void remove(const NetnsRef& ns, std::uint32_t id) { NexthopRef(ns, id).remove(); }
    // Removes this nexthop now (idempotent).
    using detail::Owner<NexthopRef>::remove;

    // Its id (the kernel's choice when NexthopOptions.id was 0).
    std::uint32_t id() const noexcept { return handle().id(); }
    // The namespace the nexthop is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }

private:
    NSNET_LAZY explicit Nexthop(NexthopRef r) noexcept : detail::Owner<NexthopRef>(std::move(r)) {}
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/nexthop.ipp"
#endif
