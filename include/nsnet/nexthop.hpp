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

NSNET_DECL NexthopInfo to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation);

NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const NexthopInfo& n, bool replace);

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
    void remove() const;

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
    [[nodiscard]] static Nexthop create(const NetnsRef& ns, const NexthopOptions& options);
    // ip nexthop replace ...: creates, or redefines the nexthop with this id; every route using it
    // follows. The owner removes it (it does not restore the old definition).
    [[nodiscard]] static Nexthop replace(const NetnsRef& ns, const NexthopOptions& options);

    // True when the kernel has nexthop objects (Linux 5.3+): a dump is answered rather than refused.
    static bool supported(const NetnsRef& ns);
    // ip nexthop show
    static std::vector<NexthopInfo> list(const NetnsRef& ns);
    // ip nexthop get id N; none is Error(ENOENT) naming the id.
    static NexthopInfo get(const NetnsRef& ns, std::uint32_t id);
    // As get(), but none is nullopt.
    static std::optional<NexthopInfo> find(const NetnsRef& ns, std::uint32_t id);

    // ip nexthop del id N, e.g. of a nexthop a previous process created and persisted. None is success.
    static void remove(const NetnsRef& ns, std::uint32_t id) { NexthopRef(ns, id).remove(); }
    // Removes this nexthop now (idempotent).
    using detail::Owner<NexthopRef>::remove;

    // Its id (the kernel's choice when NexthopOptions.id was 0).
    std::uint32_t id() const noexcept { return handle().id(); }
    // The namespace the nexthop is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }

private:
    explicit Nexthop(NexthopRef r) noexcept : detail::Owner<NexthopRef>(std::move(r)) {}
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL NexthopInfo to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation) {
    const std::string obj = "id " + std::to_string(o.id);
    NexthopInfo n{};
    n.id = o.id;
    n.blackhole = o.blackhole;
    n.onlink = o.onlink;
    n.fdb = o.fdb;
    n.group = o.group;
    if (o.resilient) n.group_type = rtnl::NexthopGroupType::Resilient;
    if (o.family) n.family = *o.family;
    if (!o.via.empty()) {
        IpAddress gw = o.via.resolve("NexthopOptions.via", operation, obj);
        if (o.family && *o.family != gw.family())
            invalid_argument(operation, obj, "NexthopOptions.via " + gw.to_string() + " does not match NexthopOptions.family");
        n.gateway = gw;
        n.family = gw.family();
    }
    if (!o.dev.empty()) n.oif = o.dev.resolve(ns, operation, obj).first;
    return n;
}

NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const NexthopInfo& n, bool replace) {
    const char* op = replace ? "replace nexthop" : "create nexthop";
    auto msg = rtnl::nexthop_new(n, replace);
    if (n.id == 0) msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_ECHO));
    std::uint32_t id = n.id;
    ns.with_rtnl([&](nl::Socket& s) {
        nl::request(s, msg, op, rtnl::describe(n), [&](const nl::MessageView& m) {
            if (auto got = rtnl::decode_nexthop(m)) id = got->id;
        });
    });
    return id;
}

}  // namespace detail

NSNET_DECL void NexthopRef::remove() const {
    auto msg = rtnl::nexthop_del(id_);
    try {
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "remove nexthop", "id " + std::to_string(id_)); });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_DECL Nexthop Nexthop::create(const NetnsRef& ns, const NexthopOptions& options) {
    return Nexthop(NexthopRef(ns, detail::nexthop_request(ns, detail::to_nexthop(ns, options, "create nexthop"), false)));
}

NSNET_DECL Nexthop Nexthop::replace(const NetnsRef& ns, const NexthopOptions& options) {
    return Nexthop(NexthopRef(ns, detail::nexthop_request(ns, detail::to_nexthop(ns, options, "replace nexthop"), true)));
}

NSNET_DECL bool Nexthop::supported(const NetnsRef& ns) {
    try {
        ns.with_rtnl([](nl::Socket& s) {
            auto m = rtnl::nexthop_dump();
            nl::dump(s, m, "list nexthops", [](const nl::MessageView&) {});
        });
        return true;
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP || e.errnum() == EINVAL || e.errnum() == EPROTONOSUPPORT) return false;
        throw;
    }
}

NSNET_DECL std::vector<NexthopInfo> Nexthop::list(const NetnsRef& ns) {
    return ns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::nexthop_dump();
        return nl::dump_collect(s, m, "list nexthops", rtnl::decode_nexthop);
    });
}

NSNET_DECL std::optional<NexthopInfo> Nexthop::find(const NetnsRef& ns, std::uint32_t id) {
    std::optional<NexthopInfo> found{};
    auto msg = rtnl::nexthop_get(id);
    try {
        ns.with_rtnl([&](nl::Socket& s) {
            nl::request(s, msg, "get nexthop", "id " + std::to_string(id), [&](const nl::MessageView& m) {
                if (auto n = rtnl::decode_nexthop(m)) found = std::move(n);
            });
        });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT) throw;
    }
    return found;
}

NSNET_DECL NexthopInfo Nexthop::get(const NetnsRef& ns, std::uint32_t id) {
    auto n = find(ns, id);
    if (!n)
        throw Error(ENOENT, "get nexthop", "id " + std::to_string(id), {},
                    "no nexthop with id " + std::to_string(id) + " in namespace " + ns.display_name());
    return std::move(*n);
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
