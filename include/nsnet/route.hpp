// nsnet/route.hpp — routes of a namespace (`ip route`): add, replace, append, delete, list, get.
//
// Layer: typed objects. Options are plain text and designated initialisers, as on the command line:
//
//   nsnet::add_route(ns, {.dst = "10.20.0.0/16", .gateway = "10.10.10.254"});
//   nsnet::add_route(ns, {.dst = "default", .gateway = "10.10.10.254", .dev = link});
//   nsnet::add_route(ns, {.dst = "10.50.0.0/16", .nexthops = {{.gateway = "10.10.10.253", .weight = 1},
//                                                             {.gateway = "10.10.10.254", .weight = 2}}});
//   nsnet::add_route(ns, {.dst = "10.60.0.0/16", .type = nsnet::RouteType::Blackhole});
//   auto r = nsnet::get_route(ns, "10.20.1.1");     // ip route get: r.gateway, r.dev, r.prefsrc
//
// Everything is checked before anything is sent: a bad address or prefix, host bits in a
// destination, mixed families, or a device in another namespace is an InvalidArgument naming the
// value. Kernel refusals are Errors naming the route as `ip route` would print it, with the
// kernel's extended-ack text.
//
// Routes are not RAII by default: they die with their device or namespace, as with `ip route`.
// OwnedRoute::add() returns an object that deletes its route on scope exit (unless persist()ed).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/route.hpp"

namespace nsnet {

using Route = rtnl::RouteInfo;       // a route as the kernel reports it
using RouteNextHop = rtnl::NextHop;  // one path of a decoded multipath route
using RouteType = rtnl::RouteType;
using RouteProtocol = rtnl::RouteProtocol;

// One path of a multipath route: `nexthop via GATEWAY dev DEV weight W [onlink]`.
struct NextHopOptions {
    std::string gateway{};
    DeviceArg dev{};
    unsigned weight = 1;  // 1..256
    bool onlink = false;
};

// What `ip route add|replace|append|del` takes.
struct RouteOptions {
    std::string dst{};                        // "10.20.0.0/16", "2001:db8::/64", "10.0.0.1" (a host), "default"
    std::string gateway{};                    // `via`: "10.10.10.254" (an IPv6 gateway of an IPv4 route: RTA_VIA)
    DeviceArg dev{};                          // `dev`
    std::uint32_t table = 0;                  // `table N`: 0 = main (254), or local (255) for Local routes
    std::optional<std::uint32_t> metric{};    // `metric N`
    std::optional<Scope> scope{};             // `scope`: unset = ip's choice (link for IPv4 device routes)
    std::optional<RouteProtocol> protocol{};  // `proto`: unset = boot on add, any on delete
    std::optional<RouteType> type{};          // unicast (unset), Blackhole, Unreachable, Prohibit, Local, ...
    std::string src{};                        // `src ADDR`: preferred source address
    std::vector<NextHopOptions> nexthops{};   // multipath (instead of gateway/dev)
    bool onlink = false;                      // `onlink`: the gateway need not be on a connected subnet
    std::optional<Family> family{};           // only for "default" with no address to tell: `ip -6 route add default dev X`
    std::uint32_t nexthop_id = 0;             // `nhid N`: use a nexthop object (nexthop.hpp) instead of gateway/dev
};

// What `ip route show` lists.
struct RouteFilter {
    std::optional<Family> family{};           // unset: IPv4 and IPv6
    std::uint32_t table = 254;                // `table N` (254 = main)
    bool all_tables = false;                  // `table all` (table is ignored)
    DeviceArg dev{};                          // only routes through this device
    std::optional<RouteType> type{};
    std::optional<RouteProtocol> protocol{};
};

// What `ip route get` takes.
struct RouteLookup {
    std::string to{};                         // destination address (required)
    std::string from{};                       // `from ADDR`
    DeviceArg iif{};                          // `iif DEV` (as if received there; needs from and forwarding)
    DeviceArg oif{};                          // `oif DEV`
    std::optional<std::uint32_t> mark{};      // `mark N`
    bool fib_match = false;                   // `fibmatch`: return the matching route entry itself
};

// "ip route"-style text of a route, e.g. "10.20.0.0/16 via 10.10.10.254 dev veth-n1 metric 50".
NSNET_DECL std::string to_string(const Route& r);
NSNET_DECL const char* to_string(RouteType t) noexcept;
NSNET_DECL std::string to_string(RouteProtocol p);

namespace detail {

NSNET_DECL const char* family_name(Family f);

// A parsed, resolved route request and its `ip route` text for messages.
struct ResolvedRoute {
    rtnl::RouteSpec spec{};
    std::string shown{};
};

NSNET_DECL IpAddress parse_route_address(const std::string& text, const char* what, const std::string& operation,
                                         const std::string& object);

// Parses and checks RouteOptions; resolves devices in `ns`. Nothing is sent.
NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation);

NSNET_DECL void route_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation, const std::string& shown);

// Dumps the routes of family `f` (table 0: every table) through `sock` and calls on_route(Route&)
// for each, decoded in place from the receive buffer into `scratch`, which every route reuses (no
// Route is built, moved and destroyed per message). Callers still check table and flags themselves.
//
// With a table given and route-cache exceptions not wanted, the request is strictly checked
// (NETLINK_GET_STRICT_CHK, on for this dump only) so that the kernel honours RTA_TABLE and leaves
// the exceptions out. Without it the kernel walks every table, and while a namespace has no policy
// rules IPv4's main and local tables share one trie: a dump of table main walked all of it twice
// (W4, 100,000 routes: ~0.1 us of CPU per route, a sixth of the process). A table that does not exist
// is an empty dump, as without strict checking (strictly, the kernel refuses it with ENOENT).
template <class OnRoute>
void dump_routes(nl::Socket& sock, Family f, std::uint32_t table, bool want_cloned, const std::string& operation,
                 Route& scratch, OnRoute&& on_route, FunctionRef<void()> on_restart) {
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

// ip route add ... in `ns`. An existing route with the same key is Error(EEXIST).
NSNET_DECL void add_route(const NetnsRef& ns, const RouteOptions& options);
// ip route replace ...: adds the route or replaces the one with the same key.
NSNET_DECL void replace_route(const NetnsRef& ns, const RouteOptions& options);
// ip route append ...: adds another route with the same key (IPv6: another path of it).
NSNET_DECL void append_route(const NetnsRef& ns, const RouteOptions& options);
// ip route del ...: deletes the first route that matches every field given (dst and table always;
// gateway, dev, metric, type, protocol, scope when set). None is Error(ESRCH).
NSNET_DECL void delete_route(const NetnsRef& ns, const RouteOptions& options);

// ip route show [table N|all] [dev D] [type T] [proto P]: the routes of `ns`, IPv4 then IPv6, with
// device names filled in (Route::dev and each nexthop's dev).
NSNET_DECL std::vector<Route> list_routes(const NetnsRef& ns, const RouteFilter& filter = {});

// ip route get TO [from F] [iif D] [oif D] [mark M] [fibmatch]: the route the kernel picks, with its
// gateway, device (oif and dev) and preferred source (prefsrc). No route is Error(ENETUNREACH),
// a blackhole/unreachable/prohibit route the error the kernel reports for it (EINVAL,
// EHOSTUNREACH, EACCES).
NSNET_DECL Route get_route(const NetnsRef& ns, const RouteLookup& lookup);
// ip route get ADDRESS
inline Route get_route(const NetnsRef& ns, std::string_view to) { return get_route(ns, RouteLookup{.to = std::string(to)}); }

// A route nsnet added that is deleted again on destruction unless persist()ed; a route already
// gone (with its device or namespace, or deleted by someone else) counts as deleted. Move-only.
class OwnedRoute {
public:
    OwnedRoute() = default;
    // ip route add ... ; the returned object deletes exactly this route (same table, gateway,
    // device, metric, type and protocol) when it goes out of scope.
    static OwnedRoute add(const NetnsRef& ns, const RouteOptions& options);
    // ip route replace ... ; on destruction the route is deleted (not restored to what it replaced).
    static OwnedRoute replace(const NetnsRef& ns, const RouteOptions& options);

    OwnedRoute(OwnedRoute&& o) noexcept
        : ns_(std::move(o.ns_)), route_(std::move(o.route_)), owned_(std::exchange(o.owned_, false)) {}
    OwnedRoute& operator=(OwnedRoute&& o) noexcept;
    OwnedRoute(const OwnedRoute&) = delete;
    OwnedRoute& operator=(const OwnedRoute&) = delete;
    ~OwnedRoute();

    // Keep the route after this object is gone.
    void persist() noexcept { owned_ = false; }
    bool owned() const noexcept { return owned_; }
    const NetnsRef& netns() const noexcept { return ns_; }
    // The route as `ip route` would print the request, e.g. "10.20.0.0/16 via 10.10.10.254".
    const std::string& description() const noexcept { return route_.shown; }

    // ip route del ... now. A route that is already gone (ESRCH, ENOENT, ENODEV) counts as deleted.
    void remove();

private:
    OwnedRoute(NetnsRef ns, detail::ResolvedRoute r) : ns_(std::move(ns)), route_(std::move(r)), owned_(true) {}
    void destroy() noexcept;

    NetnsRef ns_{};
    detail::ResolvedRoute route_{};
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
};

#if NSNET_DEFINITIONS

NSNET_DECL std::string to_string(const Route& r) {
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
    for (const auto& h : r.nexthops) {
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

NSNET_DECL IpAddress parse_route_address(const std::string& text, const char* what, const std::string& operation,
                                         const std::string& object) {
    auto a = IpAddress::try_parse(text);
    if (!a) invalid_argument(operation, object, std::string(what) + " '" + text + "' is not an IPv4 or IPv6 address");
    return *a;
}

NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation) {
    ResolvedRoute out;
    rtnl::RouteSpec& s = out.spec;
    // The text first, so that every message below can name the route.
    std::string shown;
    if (o.type && *o.type != RouteType::Unicast) shown += std::string(to_string(*o.type)) + " ";
    shown += o.dst.empty() ? "(no destination)" : o.dst;
    if (!o.gateway.empty()) shown += " via " + o.gateway;
    const std::string& obj = shown;

    if (o.dst.empty())
        invalid_argument(operation, obj, "no destination: give a prefix such as 10.20.0.0/16, an address, or \"default\"");
    std::optional<Family> family = o.family;
    if (o.dst != "default" && o.dst != "all" && o.dst != "any") {
        auto p = Prefix::try_parse(o.dst);
        if (!p)
            invalid_argument(operation, obj, "destination '" + o.dst + "' is not a prefix like 10.20.0.0/16 or 2001:db8::/64");
        if (!(p->network() == *p))
            invalid_argument(operation, obj, "destination " + o.dst + " has host bits set (the network is " +
                                                 p->network().to_string() + ")");
        if (family && *family != p->family())
            invalid_argument(operation, obj, std::string("family ") + family_name(*family) + " does not match destination " + o.dst);
        family = p->family();
        s.dst = *p;
    }
    // An unspecified family follows the first address given, as ip does.
    auto adopt = [&](const IpAddress& a) {
        if (!family) family = a.family();
    };
    std::optional<IpAddress> gateway;
    if (!o.gateway.empty()) adopt(*(gateway = parse_route_address(o.gateway, "gateway", operation, obj)));
    std::vector<std::optional<IpAddress>> hop_gateways;
    for (const auto& h : o.nexthops) {
        hop_gateways.push_back(std::nullopt);
        if (!h.gateway.empty()) adopt(*(hop_gateways.back() = parse_route_address(h.gateway, "nexthop gateway", operation, obj)));
    }
    std::optional<IpAddress> prefsrc;
    if (!o.src.empty()) adopt(*(prefsrc = parse_route_address(o.src, "source address", operation, obj)));
    s.family = family.value_or(Family::V4);

    auto check_gateway = [&](const IpAddress& gw, const std::string& text) {
        // An IPv4 route may use an IPv6 gateway (RTA_VIA, Linux 5.2+); the reverse does not exist.
        if (s.family == Family::V6 && gw.is_v4())
            invalid_argument(operation, obj, "an IPv6 route cannot use the IPv4 gateway " + text);
    };
    if (gateway) check_gateway(*gateway, o.gateway);
    if (prefsrc && prefsrc->family() != s.family)
        invalid_argument(operation, obj, std::string("source address ") + o.src + " is not an " + family_name(s.family) + " address");

    if (!o.nexthops.empty() && (gateway || !o.dev.empty()))
        invalid_argument(operation, obj, "give either gateway/dev or nexthops (each with its own gateway and dev), not both");
    if (o.nexthop_id && (gateway || !o.dev.empty() || !o.nexthops.empty()))
        invalid_argument(operation, obj, "nexthop id " + std::to_string(o.nexthop_id) +
                                             " replaces gateway, dev and nexthops: give only one of them");
    s.nh_id = o.nexthop_id;
    s.gateway = gateway;
    s.prefsrc = prefsrc;
    if (!o.dev.empty()) {
        auto [index, name] = o.dev.resolve(ns, operation, obj);
        s.oif = index;
        shown += " dev " + name;
    }
    for (std::size_t i = 0; i < o.nexthops.size(); ++i) {
        const auto& h = o.nexthops[i];
        if (h.weight < 1 || h.weight > 256)
            invalid_argument(operation, obj, "nexthop " + std::to_string(i + 1) + " has weight " + std::to_string(h.weight) +
                                                 ", outside 1..256");
        if (!hop_gateways[i] && h.dev.empty())
            invalid_argument(operation, obj, "nexthop " + std::to_string(i + 1) + " has neither a gateway nor a device");
        rtnl::NextHop nh{};
        shown += " nexthop";
        if (hop_gateways[i]) {
            check_gateway(*hop_gateways[i], h.gateway);
            nh.gateway = hop_gateways[i];
            shown += " via " + h.gateway;
        }
        if (!h.dev.empty()) {
            auto [index, name] = h.dev.resolve(ns, operation, obj);
            nh.ifindex = index;
            shown += " dev " + name;
        }
        nh.weight = h.weight;
        if (h.onlink) nh.flags |= RTNH_F_ONLINK;
        shown += " weight " + std::to_string(h.weight);
        s.nexthops.push_back(std::move(nh));
    }
    s.table = o.table;
    s.metric = o.metric;
    s.scope = o.scope;
    s.protocol = o.protocol;
    s.type = o.type;
    if (o.onlink) s.flags |= RTNH_F_ONLINK;
    if (o.table && o.table != RT_TABLE_MAIN) shown += " table " + std::to_string(o.table);
    if (prefsrc) shown += " src " + o.src;
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

NSNET_DECL void add_route(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "add route");
    detail::route_request(ns, rtnl::route_new(r.spec, rtnl::RouteWrite::Add), "add route", r.shown);
}

NSNET_DECL void replace_route(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "replace route");
    detail::route_request(ns, rtnl::route_new(r.spec, rtnl::RouteWrite::Replace), "replace route", r.shown);
}

NSNET_DECL void append_route(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "append route");
    detail::route_request(ns, rtnl::route_new(r.spec, rtnl::RouteWrite::Append), "append route", r.shown);
}

NSNET_DECL void delete_route(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "delete route");
    detail::route_request(ns, rtnl::route_del(r.spec), "delete route", r.shown);
}

NSNET_DECL std::vector<Route> list_routes(const NetnsRef& ns, const RouteFilter& filter) {
    const std::string op = "list routes";
    int dev = filter.dev.empty() ? 0 : filter.dev.resolve(ns, op, ns.display_name()).first;
    std::uint32_t table = filter.all_tables ? RT_TABLE_UNSPEC : filter.table;
    std::vector<Route> routes;
    Route scratch;
    for (Family f : {Family::V4, Family::V6}) {
        if (filter.family && *filter.family != f) continue;
        const std::size_t start = routes.size();
        ns.with_rtnl([&](nl::Socket& s) {
            detail::dump_routes(
                s, f, table, false, op, scratch,
                [&](const Route& r) {
                    if (table != RT_TABLE_UNSPEC && r.table != table) return;
                    if (r.flags & RTM_F_CLONED) return;  // route cache exceptions are not routes
                    if (filter.type && r.type != *filter.type) return;
                    if (filter.protocol && r.protocol != *filter.protocol) return;
                    if (dev) {
                        bool through = r.oif == dev;
                        for (const auto& h : r.nexthops) through |= h.ifindex == dev;
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
        for (Route& r : routes) {
            if (r.oif) r.dev = name_of(r.oif);
            for (auto& h : r.nexthops)
                if (h.ifindex) h.dev = name_of(h.ifindex);
        }
    }
    return routes;
}

NSNET_DECL Route get_route(const NetnsRef& ns, const RouteLookup& lookup) {
    const std::string op = "get route";
    const std::string& obj = lookup.to;
    if (lookup.to.empty()) invalid_argument(op, obj, "no destination address");
    rtnl::RouteQuery q{};
    q.dst = detail::parse_route_address(lookup.to, "destination", op, obj);
    if (!lookup.from.empty()) {
        q.src = detail::parse_route_address(lookup.from, "source", op, obj);
        if (q.src->family() != q.dst.family())
            invalid_argument(op, obj, "source " + lookup.from + " and destination " + lookup.to + " are of different families");
    }
    q.iif = lookup.iif.resolve(ns, op, obj).first;
    q.oif = lookup.oif.resolve(ns, op, obj).first;
    q.mark = lookup.mark;
    q.fib_match = lookup.fib_match;
    auto msg = rtnl::route_get(q);
    std::optional<Route> found;
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
    for (auto& h : found->nexthops) h.dev = fill(h.ifindex);
    return *found;
}

NSNET_DECL OwnedRoute OwnedRoute::add(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "add route");
    try {
        detail::route_request(ns, rtnl::route_new(r.spec, rtnl::RouteWrite::Add), "add route", r.shown);
    } catch (const Error& e) {
        if (!e.outcome_unknown()) throw;
        // The kernel may have added the route before its answer was lost. Had it existed
        // before, the add would have been refused (EEXIST): delete it, so nothing is left.
        OwnedRoute maybe(ns, std::move(r));
        std::string note = "the kernel's answer was lost; the route, if it was added, was deleted";
        try {
            maybe.remove();
        } catch (const Error& cleanup) {
            note = std::string("the kernel's answer was lost, and deleting the route failed too (") + cleanup.what() +
                   "): it may exist";
        }
        Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(),
                  e.detail().empty() ? note : e.detail() + "; " + note);
        out.set_outcome_unknown();
        throw out;
    }
    return OwnedRoute(ns, std::move(r));
}

NSNET_DECL OwnedRoute OwnedRoute::replace(const NetnsRef& ns, const RouteOptions& options) {
    auto r = detail::resolve_route(ns, options, "replace route");
    detail::route_request(ns, rtnl::route_new(r.spec, rtnl::RouteWrite::Replace), "replace route", r.shown);
    return OwnedRoute(ns, std::move(r));
}

NSNET_DECL OwnedRoute& OwnedRoute::operator=(OwnedRoute&& o) noexcept {
    if (this != &o) {
        destroy();
        ns_ = std::move(o.ns_);
        route_ = std::move(o.route_);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL OwnedRoute::~OwnedRoute() {
    destroy();
}

NSNET_DECL void OwnedRoute::remove() {
    if (!owned_) return;
    owned_ = false;
    rtnl::RouteSpec del = route_.spec;
    // Delete exactly what was added: its type and protocol, any scope.
    if (!del.type) del.type = RouteType::Unicast;
    if (!del.protocol) del.protocol = RouteProtocol::Boot;
    del.scope.reset();
    try {
        detail::route_request(ns_, rtnl::route_del(del), "delete route", route_.shown);
    } catch (const Error& e) {
        if (e.errnum() != ESRCH && e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_DECL void OwnedRoute::destroy() noexcept {
    try {
        remove();
    } catch (...) {
        // Destructors never throw; callers who care call remove() themselves.
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
