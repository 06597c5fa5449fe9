// nsnet/route.hpp — routes of a namespace (`ip route`): create, list, look up, remove.
//
// Layer: typed objects. Routes follow the object convention (DEVELOPERS.md): Route::create returns
// an owner that removes its route when destroyed unless persist()ed; a later process removes a
// persisted route by the same options with the static Route::remove(ns, options). Options take
// text or typed values (AddressArg/PrefixArg, DeviceArg), as on the command line:
//
//   auto r = nsnet::Route::create(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"});
//   nsnet::Route::create(ns, {.dst = "default", .via = gw_ip, .dev = link}).persist();
//   nsnet::Route::create(ns, {.dst = "10.50.0.0/16", .paths = {{.via = "10.10.10.253", .weight = 1},
//                                                             {.via = "10.10.10.254", .weight = 2}}});
//   nsnet::Route::create(ns, {.dst = "10.60.0.0/16", .type = nsnet::RouteType::Blackhole});
//   auto got = nsnet::Route::get(ns, "10.20.1.1");   // ip route get: got.gateway, got.dev, got.prefsrc
//   nsnet::Route::remove(ns, {.dst = "10.20.0.0/16", .via = "10.10.10.254"});  // ip route del; gone is fine
//
// Everything is checked before anything is sent: a bad address or prefix (the error names the
// field: "RouteOptions.via '10.0.0.300' is not an IPv4 or IPv6 address"), host bits in a
// destination, mixed families, or a device in another namespace is an InvalidArgument. Kernel
// refusals are Errors naming the route as `ip route` would print it, with the kernel's
// extended-ack text. The values read back (RouteInfo, RoutePath) keep the kernel's attribute
// names (`gateway` for RTA_GATEWAY/RTA_VIA); options say `via`, as `ip route` does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/route.hpp"

namespace nsnet {

using RouteInfo = rtnl::RouteInfo;   // a route as the kernel reports it (Route::list, Route::get)
using RoutePath = rtnl::RoutePath;   // one path of a decoded multipath route (not a nexthop object)
using RouteType = rtnl::RouteType;          // unicast, blackhole, unreachable, prohibit, local, ...
using RouteProtocol = rtnl::RouteProtocol;  // `proto`: who installed the route (boot, static, kernel, ...)

// One path of a multipath route: `nexthop via VIA dev DEV weight W [onlink]`. (A nexthop object,
// `ip nexthop`, is nsnet::Nexthop in nexthop.hpp; a route uses one by RouteOptions.nexthop_id.)
struct RoutePathOptions {
    AddressArg via{};         // gateway: "10.10.10.254" or an IpAddress
    DeviceArg dev{};          // the path's device (a name, ifindex or link); unset: the kernel finds it from via
    unsigned weight = 1;      // 1..256
    bool onlink = false;      // `onlink`: via need not be on a connected subnet
};

// What `ip route add|replace|append|del` takes.
struct RouteOptions {
    PrefixArg dst{};                          // "10.20.0.0/16", "2001:db8::/64", "10.0.0.1" (a host), "default", or a Prefix
    AddressArg via{};                         // gateway: "10.10.10.254" (an IPv6 gateway of an IPv4 route: RTA_VIA)
    DeviceArg dev{};                          // `dev`
    std::uint32_t table = 0;                  // `table N`: 0 = main (254), or local (255) for Local routes
    std::optional<std::uint32_t> metric{};    // `metric N`
    std::optional<Scope> scope{};             // `scope`: unset = ip's choice (link for IPv4 device routes)
    std::optional<RouteProtocol> protocol{};  // `proto`: unset = boot on create, any on remove
    std::optional<RouteType> type{};          // unicast (unset), Blackhole, Unreachable, Prohibit, Local, ...
    AddressArg src{};                         // `src ADDR`: preferred source address
    std::vector<RoutePathOptions> paths{};    // multipath (instead of via/dev)
    bool onlink = false;                      // `onlink`: the gateway need not be on a connected subnet
    std::optional<Family> family{};           // only for "default" with no address to tell: `ip -6 route add default dev X`
    std::uint32_t nexthop_id = 0;             // `nhid N`: use a nexthop object (nexthop.hpp) instead of via/dev
};

// What `ip route show` lists.
struct RouteFilter {
    std::optional<Family> family{};           // unset: IPv4 and IPv6
    std::uint32_t table = 254;                // `table N` (254 = main)
    bool all_tables = false;                  // `table all` (table is ignored)
    DeviceArg dev{};                          // only routes through this device
    std::optional<RouteType> type{};          // only routes of this type
    std::optional<RouteProtocol> protocol{};  // only routes of this protocol
};

// What `ip route get` takes.
struct RouteLookup {
    AddressArg to{};                          // destination address (required)
    AddressArg from{};                        // `from ADDR`
    DeviceArg iif{};                          // `iif DEV` (as if received there; needs from and forwarding)
    DeviceArg oif{};                          // `oif DEV`
    std::optional<std::uint32_t> mark{};      // `mark N`
    bool fib_match = false;                   // `fibmatch`: return the matching route entry itself
};

// "ip route"-style text of a route, e.g. "10.20.0.0/16 via 10.10.10.254 dev veth-n1 metric 50";
// device names shown through printable().
NSNET_LAZY NSNET_DECL std::string to_string(const RouteInfo& r);
NSNET_LAZY NSNET_DECL const char* to_string(RouteType t) noexcept;
NSNET_LAZY NSNET_DECL std::string to_string(RouteProtocol p);

namespace detail {

NSNET_LAZY NSNET_DECL const char* family_name(Family f);

// A parsed, resolved route request and its `ip route` text for messages.
struct ResolvedRoute {
    rtnl::RouteSpec spec{};
    std::string shown{};
};

// Parses and checks RouteOptions; resolves devices in `ns`. Nothing is sent.
NSNET_LAZY NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation);

NSNET_LAZY NSNET_DECL void route_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation, const std::string& shown);

// Dumps the routes of family `f` (table 0: every table) through `sock` and calls on_route(RouteInfo&)
// for each, decoded in place from the receive buffer into `scratch`, which every route reuses (no
// RouteInfo is built, moved and destroyed per message). Callers still check table and flags themselves.
//
// With a table given and route-cache exceptions not wanted, the request is strictly checked
// (NETLINK_GET_STRICT_CHK, on for this dump only) so that the kernel honours RTA_TABLE and leaves
// the exceptions out. Without it the kernel walks every table, and while a namespace has no policy
// rules IPv4's main and local tables share one trie: a dump of table main walked all of it twice
// (W4, 100,000 routes: ~0.1 us of CPU per route, a sixth of the process). A table that does not exist
// is an empty dump, as without strict checking (strictly, the kernel refuses it with ENOENT).
template <class OnRoute>
void dump_routes(nl::Socket& sock, Family f, std::uint32_t table, bool want_cloned, const std::string& operation,
                 RouteInfo& scratch, OnRoute&& on_route, FunctionRef<void()> on_restart) {
    auto m = rtnl::route_dump(static_cast<unsigned char>(f), table);
    const bool strict = table != RT_TABLE_UNSPEC && !want_cloned && sock.set_strict_check(true);
    struct Restore {
        nl::Socket* s;
        ~Restore() {
            if (s) s->set_strict_check(false);
        }
    } restore{strict ? &sock : nullptr};
    try {
        dump_with(
            sock, m, operation,
            [&](const nl::MessageView& msg) {
                // A kernel without this family answers with every family's routes: skip the others.
                if (rtnl::decode_route_into(msg, scratch) && scratch.family == f) on_route(scratch);
            },
            on_restart, nl::DumpOptions::default_max_attempts);
    } catch (const Error& e) {
        if (!(strict && e.errnum() == ENOENT)) throw;
    }
}

}  // namespace detail

// A route nsnet made, as a plain copyable value: its namespace and the request that names it.
// This is what Route owns and what Route::release() hands back.
class RouteRef {
public:
    RouteRef() = default;
    // The route `spec` in `ns`, named `description` in errors.
    RouteRef(NetnsRef ns, rtnl::RouteSpec spec, std::string description) noexcept
        : ns_(std::move(ns)), spec_(std::move(spec)), description_(std::move(description)) {}

    // The namespace the route is in.
    const NetnsRef& netns() const noexcept { return ns_; }
    // The resolved request (addresses parsed, devices as ifindexes).
    const rtnl::RouteSpec& spec() const noexcept { return spec_; }
    // The route as `ip route` would print the request, e.g. "10.20.0.0/16 via 10.10.10.254 dev a0".
    const std::string& description() const noexcept { return description_; }
    // ip route del of exactly this route (its table, gateway, device, metric, type and protocol;
    // any scope). A route already gone (ESRCH, ENOENT, ENODEV), with its device or namespace, is
    // success.
    NSNET_LAZY void remove() const;

private:
    NetnsRef ns_{};
    rtnl::RouteSpec spec_{};
    std::string description_{};
};

// A route nsnet created: removed on destruction unless persist()ed (detail::Owner). Move-only.
class Route : public detail::Owner<RouteRef> {
public:
    Route() = default;

    // ip route add ... in `ns`. An existing route with the same key is Error(EEXIST). When the
    // kernel's answer is lost, the route is removed again (no leftovers) and the Error says so.
    NSNET_LAZY [[nodiscard]] static Route create(const NetnsRef& ns, const RouteOptions& options);
    // ip route replace ...: creates the route or overwrites the one with the same key. The owner
    // removes it (it does not restore what was replaced).
    NSNET_LAZY [[nodiscard]] static Route replace(const NetnsRef& ns, const RouteOptions& options);
    // ip route append ...: another route with the same key (IPv6: another path of it).
    NSNET_LAZY [[nodiscard]] static Route append(const NetnsRef& ns, const RouteOptions& options);

    // ip route show [table N|all] [dev D] [type T] [proto P]: the routes of `ns`, IPv4 then IPv6,
    // with device names filled in (RouteInfo::dev and each path's dev).
    NSNET_LAZY static std::vector<RouteInfo> list(const NetnsRef& ns, const RouteFilter& filter = {});
    // ip route get TO [from F] [iif D] [oif D] [mark M] [fibmatch]: the route the kernel picks, with
    // its gateway, device (oif and dev) and preferred source (prefsrc). No route is
    // Error(ENETUNREACH) naming the destination; a blackhole/unreachable/prohibit route the error
    // the kernel reports for it (EINVAL, EHOSTUNREACH, EACCES).
    NSNET_LAZY static RouteInfo get(const NetnsRef& ns, const RouteLookup& lookup);
    // As get(), but no route (ENETUNREACH) is nullopt.
    NSNET_LAZY static std::optional<RouteInfo> find(const NetnsRef& ns, const RouteLookup& lookup);
    // ip route get ADDRESS
    NSNET_LAZY static RouteInfo get(const NetnsRef& ns, const AddressArg& to) { return get(ns, RouteLookup{.to = to}); }
    // As get(ns, ADDRESS), but no route is nullopt.
    NSNET_LAZY static std::optional<RouteInfo> find(const NetnsRef& ns, const AddressArg& to) { return find(ns, RouteLookup{.to = to}); }

    // ip route del ...: removes the first route matching every field given (dst and table always;
    // via, dev, metric, type, protocol, scope when set), e.g. a route a previous process created
    // and persisted. None (or its device gone) is success.
    NSNET_LAZY static void remove(const NetnsRef& ns, const RouteOptions& options);
    // Removes this route now (idempotent; see RouteRef::remove).
    using detail::Owner<RouteRef>::remove;

    // The namespace the route is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }
    // The route as `ip route` would print the request, e.g. "10.20.0.0/16 via 10.10.10.254".
    const std::string& description() const noexcept { return handle().description(); }

private:
    NSNET_LAZY explicit Route(RouteRef r) noexcept : detail::Owner<RouteRef>(std::move(r)) {}
    NSNET_LAZY static Route write(const NetnsRef& ns, const RouteOptions& options, rtnl::RouteWrite mode, const char* operation);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/route.ipp"
#endif
