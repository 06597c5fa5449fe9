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

// "ip route"-style text of a route, e.g. "10.20.0.0/16 via 10.10.10.254 dev veth-n1 metric 50".
NSNET_DECL std::string to_string(const RouteInfo& r);
NSNET_DECL const char* to_string(RouteType t) noexcept;
NSNET_DECL std::string to_string(RouteProtocol p);

namespace detail {

NSNET_DECL const char* family_name(Family f);

// A parsed, resolved route request and its `ip route` text for messages.
struct ResolvedRoute {
    rtnl::RouteSpec spec{};
    std::string shown{};
};

// Parses and checks RouteOptions; resolves devices in `ns`. Nothing is sent.
NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation);

NSNET_DECL void route_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation, const std::string& shown);

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
    void remove() const;

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
    [[nodiscard]] static Route create(const NetnsRef& ns, const RouteOptions& options);
    // ip route replace ...: creates the route or overwrites the one with the same key. The owner
    // removes it (it does not restore what was replaced).
    [[nodiscard]] static Route replace(const NetnsRef& ns, const RouteOptions& options);
    // ip route append ...: another route with the same key (IPv6: another path of it).
    [[nodiscard]] static Route append(const NetnsRef& ns, const RouteOptions& options);

    // ip route show [table N|all] [dev D] [type T] [proto P]: the routes of `ns`, IPv4 then IPv6,
    // with device names filled in (RouteInfo::dev and each path's dev).
    static std::vector<RouteInfo> list(const NetnsRef& ns, const RouteFilter& filter = {});
    // ip route get TO [from F] [iif D] [oif D] [mark M] [fibmatch]: the route the kernel picks, with
    // its gateway, device (oif and dev) and preferred source (prefsrc). No route is
    // Error(ENETUNREACH) naming the destination; a blackhole/unreachable/prohibit route the error
    // the kernel reports for it (EINVAL, EHOSTUNREACH, EACCES).
    static RouteInfo get(const NetnsRef& ns, const RouteLookup& lookup);
    // As get(), but no route (ENETUNREACH) is nullopt.
    static std::optional<RouteInfo> find(const NetnsRef& ns, const RouteLookup& lookup);
    // ip route get ADDRESS
    static RouteInfo get(const NetnsRef& ns, const AddressArg& to) { return get(ns, RouteLookup{.to = to}); }
    // As get(ns, ADDRESS), but no route is nullopt.
    static std::optional<RouteInfo> find(const NetnsRef& ns, const AddressArg& to) { return find(ns, RouteLookup{.to = to}); }

    // ip route del ...: removes the first route matching every field given (dst and table always;
    // via, dev, metric, type, protocol, scope when set), e.g. a route a previous process created
    // and persisted. None (or its device gone) is success.
    static void remove(const NetnsRef& ns, const RouteOptions& options);
    // Removes this route now (idempotent; see RouteRef::remove).
    using detail::Owner<RouteRef>::remove;

    // The namespace the route is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }
    // The route as `ip route` would print the request, e.g. "10.20.0.0/16 via 10.10.10.254".
    const std::string& description() const noexcept { return handle().description(); }

private:
    explicit Route(RouteRef r) noexcept : detail::Owner<RouteRef>(std::move(r)) {}
    static Route write(const NetnsRef& ns, const RouteOptions& options, rtnl::RouteWrite mode, const char* operation);
};

#if NSNET_DEFINITIONS

NSNET_DECL std::string to_string(const RouteInfo& r) {
    // As ip prints them: a host prefix (/32, /128) as the bare address.
    auto prefix = [](const Prefix& p) {
        return p.length() == p.address().size() * 8 ? p.address().to_string() : p.to_string();
    };
    std::string s;
    if (r.type != RouteType::Unicast) s += std::string(to_string(r.type)) + " ";
    s += r.is_default() ? std::string("default") : prefix(r.dst);
    if (r.src) s += " from " + prefix(*r.src);
    if (r.table != RT_TABLE_MAIN) s += " table " + (r.table == RT_TABLE_LOCAL ? std::string("local") : std::to_string(r.table));
    if (r.nh_id) s += " nhid " + std::to_string(r.nh_id);
    if (r.gateway) s += " via " + r.gateway->to_string();
    if (r.oif) s += " dev " + (r.dev.empty() ? "#" + std::to_string(r.oif) : r.dev);
    if (r.protocol != RouteProtocol::Boot && r.protocol != RouteProtocol::Unspec) s += " proto " + to_string(r.protocol);
    if (r.scope != Scope::Universe) {
        switch (r.scope) {
            case Scope::Link: s += " scope link"; break;
            case Scope::Host: s += " scope host"; break;
            case Scope::Site: s += " scope site"; break;
            case Scope::Nowhere: s += " scope nowhere"; break;
            default: s += " scope " + std::to_string(static_cast<unsigned>(r.scope)); break;
        }
    }
    if (r.prefsrc) s += " src " + r.prefsrc->to_string();
    if (r.metric) s += " metric " + std::to_string(r.metric);
    if (r.flags & RTNH_F_ONLINK) s += " onlink";
    if (r.flags & RTNH_F_LINKDOWN) s += " linkdown";
    for (const auto& h : r.paths) {
        s += " nexthop";
        if (h.gateway) s += " via " + h.gateway->to_string();
        if (h.ifindex) s += " dev " + (h.dev.empty() ? "#" + std::to_string(h.ifindex) : h.dev);
        s += " weight " + std::to_string(h.weight);
        if (h.flags & RTNH_F_ONLINK) s += " onlink";
        if (h.flags & RTNH_F_DEAD) s += " dead";
        if (h.flags & RTNH_F_LINKDOWN) s += " linkdown";
    }
    return s;
}

NSNET_DECL const char* to_string(RouteType t) noexcept {
    switch (t) {
        case RouteType::Unspec: return "none";
        case RouteType::Unicast: return "unicast";
        case RouteType::Local: return "local";
        case RouteType::Broadcast: return "broadcast";
        case RouteType::Anycast: return "anycast";
        case RouteType::Multicast: return "multicast";
        case RouteType::Blackhole: return "blackhole";
        case RouteType::Unreachable: return "unreachable";
        case RouteType::Prohibit: return "prohibit";
        case RouteType::Throw: return "throw";
        case RouteType::Nat: return "nat";
    }
    return "?";
}

NSNET_DECL std::string to_string(RouteProtocol p) {
    switch (p) {
        case RouteProtocol::Unspec: return "unspec";
        case RouteProtocol::Redirect: return "redirect";
        case RouteProtocol::Kernel: return "kernel";
        case RouteProtocol::Boot: return "boot";
        case RouteProtocol::Static: return "static";
        case RouteProtocol::Ra: return "ra";
        case RouteProtocol::Zebra: return "zebra";
        case RouteProtocol::Bird: return "bird";
        case RouteProtocol::Dhcp: return "dhcp";
        case RouteProtocol::Babel: return "babel";
        case RouteProtocol::Bgp: return "bgp";
        case RouteProtocol::Isis: return "isis";
        case RouteProtocol::Ospf: return "ospf";
        case RouteProtocol::Rip: return "rip";
    }
    return std::to_string(static_cast<unsigned>(p));
}

namespace detail {

NSNET_DECL const char* family_name(Family f) {
    return f == Family::V4 ? "IPv4" : "IPv6";
}

NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation) {
    ResolvedRoute out;
    rtnl::RouteSpec& s = out.spec;
    // The text first, so that every message below can name the route.
    const std::string dst_text = o.dst.to_string();
    const bool is_default = dst_text == "default" || dst_text == "all" || dst_text == "any";
    std::string shown;
    if (o.type && *o.type != RouteType::Unicast) shown += std::string(to_string(*o.type)) + " ";
    shown += o.dst.empty() ? "(no destination)" : dst_text;
    if (!o.via.empty()) shown += " via " + o.via.to_string();
    const std::string& obj = shown;

    if (o.dst.empty())
        invalid_argument(operation, obj,
                         "RouteOptions.dst is not set: give a prefix such as 10.20.0.0/16, an address, or \"default\"");
    std::optional<Family> family = o.family;
    if (!is_default) {
        Prefix p = o.dst.resolve("RouteOptions.dst", operation, obj);
        if (!(p.network() == p))
            invalid_argument(operation, obj, "RouteOptions.dst " + dst_text + " has host bits set (the network is " +
                                                 p.network().to_string() + ")");
        if (family && *family != p.family())
            invalid_argument(operation, obj, std::string("RouteOptions.family ") + family_name(*family) +
                                                 " does not match RouteOptions.dst " + dst_text);
        family = p.family();
        s.dst = p;
    }
    // An unspecified family follows the first address given, as ip does.
    auto adopt = [&](const IpAddress& a) {
        if (!family) family = a.family();
    };
    std::optional<IpAddress> via;
    if (!o.via.empty()) adopt(*(via = o.via.resolve("RouteOptions.via", operation, obj)));
    // Field names of the paths, built only when there are paths (no allocation per plain route).
    auto path_field = [](std::size_t i, const char* member) {
        return "RouteOptions.paths[" + std::to_string(i) + "]." + member;
    };
    std::vector<std::optional<IpAddress>> path_vias;
    path_vias.reserve(o.paths.size());
    for (std::size_t i = 0; i < o.paths.size(); ++i) {
        path_vias.emplace_back();
        if (!o.paths[i].via.empty()) adopt(*(path_vias.back() = o.paths[i].via.resolve(path_field(i, "via"), operation, obj)));
    }
    std::optional<IpAddress> prefsrc;
    if (!o.src.empty()) adopt(*(prefsrc = o.src.resolve("RouteOptions.src", operation, obj)));
    s.family = family.value_or(Family::V4);

    auto check_gateway = [&](const IpAddress& gw, const std::string& field) {
        // An IPv4 route may use an IPv6 gateway (RTA_VIA, Linux 5.2+); the reverse does not exist.
        if (s.family == Family::V6 && gw.is_v4())
            invalid_argument(operation, obj, "an IPv6 route cannot use the IPv4 gateway " + field + " " + gw.to_string());
    };
    if (via) check_gateway(*via, "RouteOptions.via");
    if (prefsrc && prefsrc->family() != s.family)
        invalid_argument(operation, obj, "RouteOptions.src " + o.src.to_string() + " is not an " + family_name(s.family) + " address");

    if (!o.paths.empty() && (via || !o.dev.empty()))
        invalid_argument(operation, obj, "give either RouteOptions.via/dev or RouteOptions.paths (each with its own via and dev), not both");
    if (o.nexthop_id && (via || !o.dev.empty() || !o.paths.empty()))
        invalid_argument(operation, obj, "RouteOptions.nexthop_id " + std::to_string(o.nexthop_id) +
                                             " replaces via, dev and paths: give only one of them");
    s.nh_id = o.nexthop_id;
    s.gateway = via;
    s.prefsrc = prefsrc;
    if (!o.dev.empty()) {
        auto [index, name] = o.dev.resolve(ns, operation, obj);
        s.oif = index;
        shown += " dev " + name;
    }
    for (std::size_t i = 0; i < o.paths.size(); ++i) {
        const auto& h = o.paths[i];
        if (h.weight < 1 || h.weight > 256)
            invalid_argument(operation, obj, path_field(i, "weight") + " " + std::to_string(h.weight) + " is outside 1..256");
        if (!path_vias[i] && h.dev.empty())
            invalid_argument(operation, obj, "RouteOptions.paths[" + std::to_string(i) + "] has neither a via nor a dev");
        rtnl::RoutePath nh{};
        shown += " nexthop";
        if (path_vias[i]) {
            check_gateway(*path_vias[i], path_field(i, "via"));
            nh.gateway = path_vias[i];
            shown += " via " + path_vias[i]->to_string();
        }
        if (!h.dev.empty()) {
            auto [index, name] = h.dev.resolve(ns, operation, obj);
            nh.ifindex = index;
            shown += " dev " + name;
        }
        nh.weight = h.weight;
        if (h.onlink) nh.flags |= RTNH_F_ONLINK;
        shown += " weight " + std::to_string(h.weight);
        s.paths.push_back(std::move(nh));
    }
    s.table = o.table;
    s.metric = o.metric;
    s.scope = o.scope;
    s.protocol = o.protocol;
    s.type = o.type;
    if (o.onlink) s.flags |= RTNH_F_ONLINK;
    if (o.table && o.table != RT_TABLE_MAIN) shown += " table " + std::to_string(o.table);
    if (prefsrc) shown += " src " + prefsrc->to_string();
    if (o.metric) shown += " metric " + std::to_string(*o.metric);
    if (o.onlink) shown += " onlink";
    if (o.nexthop_id) shown += " nhid " + std::to_string(o.nexthop_id);
    out.shown = std::move(shown);
    return out;
}

NSNET_DECL void route_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation, const std::string& shown) {
    ns.with_rtnl([&](nl::Socket& sock) { nl::request(sock, msg, operation, shown); });
}

}  // namespace detail

NSNET_DECL std::vector<RouteInfo> Route::list(const NetnsRef& ns, const RouteFilter& filter) {
    const std::string op = "list routes";
    int dev = filter.dev.empty() ? 0 : filter.dev.resolve(ns, op, ns.display_name()).first;
    std::uint32_t table = filter.all_tables ? RT_TABLE_UNSPEC : filter.table;
    std::vector<RouteInfo> routes;
    RouteInfo scratch;
    for (Family f : {Family::V4, Family::V6}) {
        if (filter.family && *filter.family != f) continue;
        const std::size_t start = routes.size();
        ns.with_rtnl([&](nl::Socket& s) {
            detail::dump_routes(
                s, f, table, false, op, scratch,
                [&](const RouteInfo& r) {
                    if (table != RT_TABLE_UNSPEC && r.table != table) return;
                    if (r.flags & RTM_F_CLONED) return;  // route cache exceptions are not routes
                    if (filter.type && r.type != *filter.type) return;
                    if (filter.protocol && r.protocol != *filter.protocol) return;
                    if (dev) {
                        bool through = r.oif == dev;
                        for (const auto& h : r.paths) through |= h.ifindex == dev;
                        if (!through) return;
                    }
                    routes.push_back(r);
                },
                [&] { routes.erase(routes.begin() + static_cast<std::ptrdiff_t>(start), routes.end()); });  // interrupted: again
        });
    }
    if (!routes.empty()) {
        std::map<int, std::string> names;
        for (const LinkInfo& l : Link::list(ns)) names[l.index] = l.name;
        auto name_of = [&](int index) { auto it = names.find(index); return it == names.end() ? std::string() : it->second; };
        for (RouteInfo& r : routes) {
            if (r.oif) r.dev = name_of(r.oif);
            for (auto& h : r.paths)
                if (h.ifindex) h.dev = name_of(h.ifindex);
        }
    }
    return routes;
}

NSNET_DECL RouteInfo Route::get(const NetnsRef& ns, const RouteLookup& lookup) {
    const std::string op = "get route";
    const std::string obj = lookup.to.empty() ? std::string("(no destination)") : lookup.to.to_string();
    rtnl::RouteQuery q{};
    q.dst = lookup.to.resolve("RouteLookup.to", op, obj);
    if (!lookup.from.empty()) {
        q.src = lookup.from.resolve("RouteLookup.from", op, obj);
        if (q.src->family() != q.dst.family())
            invalid_argument(op, obj, "RouteLookup.from " + q.src->to_string() + " and RouteLookup.to " + q.dst.to_string() +
                                          " are of different families");
    }
    q.iif = lookup.iif.resolve(ns, op, obj).first;
    q.oif = lookup.oif.resolve(ns, op, obj).first;
    q.mark = lookup.mark;
    q.fib_match = lookup.fib_match;
    auto msg = rtnl::route_get(q);
    std::optional<RouteInfo> found;
    ns.with_rtnl([&](nl::Socket& s) {
        nl::request(s, msg, op, obj, [&](const nl::MessageView& m) {
            if (auto r = rtnl::decode_route(m)) found = std::move(r);
        });
    });
    if (!found) throw Error(ENOMSG, op, obj, {}, "the kernel acknowledged but sent no route");
    auto fill = [&](int index) -> std::string {
        if (!index) return {};
        try {
            return Link::get(ns, index).name();
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;
            return {};
        }
    };
    found->dev = fill(found->oif);
    for (auto& h : found->paths) h.dev = fill(h.ifindex);
    return *found;
}

NSNET_DECL std::optional<RouteInfo> Route::find(const NetnsRef& ns, const RouteLookup& lookup) {
    try {
        return get(ns, lookup);
    } catch (const Error& e) {
        if (e.errnum() != ENETUNREACH) throw;
        return std::nullopt;
    }
}

NSNET_DECL void RouteRef::remove() const {
    rtnl::RouteSpec del = spec_;
    // Delete exactly what was added: its type and protocol, any scope.
    if (!del.type) del.type = RouteType::Unicast;
    if (!del.protocol) del.protocol = RouteProtocol::Boot;
    del.scope.reset();
    try {
        detail::route_request(ns_, rtnl::route_del(del), "remove route", description_);
    } catch (const Error& e) {
        if (e.errnum() != ESRCH && e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_DECL Route Route::write(const NetnsRef& ns, const RouteOptions& options, rtnl::RouteWrite mode, const char* operation) {
    auto r = detail::resolve_route(ns, options, operation);
    RouteRef ref(ns, std::move(r.spec), std::move(r.shown));
    try {
        detail::route_request(ns, rtnl::route_new(ref.spec(), mode), operation, ref.description());
    } catch (const Error& e) {
        if (!e.outcome_unknown() || mode != rtnl::RouteWrite::Add) throw;
        // The kernel may have added the route before its answer was lost. Had it existed
        // before, the add would have been refused (EEXIST): remove it, so nothing is left.
        std::string note = "the kernel's answer was lost; the route, if it was added, was removed";
        try {
            ref.remove();
        } catch (const Error& cleanup) {
            note = std::string("the kernel's answer was lost, and removing the route failed too (") + cleanup.what() +
                   "): it may exist";
        }
        Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(),
                  e.detail().empty() ? note : e.detail() + "; " + note);
        out.set_outcome_unknown();
        throw out;
    }
    return Route(std::move(ref));
}

NSNET_DECL Route Route::create(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Add, "create route");
}

NSNET_DECL Route Route::replace(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Replace, "replace route");
}

NSNET_DECL Route Route::append(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Append, "append route");
}

NSNET_DECL void Route::remove(const NetnsRef& ns, const RouteOptions& options) {
    const char* op = "remove route";
    detail::ResolvedRoute r;
    try {
        r = detail::resolve_route(ns, options, op);
    } catch (const Error& e) {
        // A device that no longer exists took its routes with it.
        if (e.errnum() == ENODEV) return;
        throw;
    }
    try {
        detail::route_request(ns, rtnl::route_del(r.spec), op, r.shown);
    } catch (const Error& e) {
        if (e.errnum() != ESRCH && e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
