// nsnet/impl/route.ipp — the function bodies of <nsnet/route.hpp>.
//
// Included at the end of nsnet/route.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_string(const RouteInfo& r) {
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
    if (r.oif) s += " dev " + (r.dev.empty() ? "#" + std::to_string(r.oif) : printable(r.dev));
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
        if (h.ifindex) s += " dev " + (h.dev.empty() ? "#" + std::to_string(h.ifindex) : printable(h.dev));
        s += " weight " + std::to_string(h.weight);
        if (h.flags & RTNH_F_ONLINK) s += " onlink";
        if (h.flags & RTNH_F_DEAD) s += " dead";
        if (h.flags & RTNH_F_LINKDOWN) s += " linkdown";
    }
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(RouteType t) noexcept {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_string(RouteProtocol p) {
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

NSNET_LAZY_DEFINITION NSNET_DECL const char* family_name(Family f) {
    return f == Family::V4 ? "IPv4" : "IPv6";
}

NSNET_LAZY_DEFINITION NSNET_DECL ResolvedRoute resolve_route(const NetnsRef& ns, const RouteOptions& o, const std::string& operation) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void route_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation, const std::string& shown) {
    ns.with_rtnl([&](nl::Socket& sock) { nl::request(sock, msg, operation, shown); });
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<RouteInfo> Route::list(const NetnsRef& ns, const RouteFilter& filter) {
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

NSNET_LAZY_DEFINITION NSNET_DECL RouteInfo Route::get(const NetnsRef& ns, const RouteLookup& lookup) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<RouteInfo> Route::find(const NetnsRef& ns, const RouteLookup& lookup) {
    try {
        return get(ns, lookup);
    } catch (const Error& e) {
        if (e.errnum() != ENETUNREACH) throw;
        return std::nullopt;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void RouteRef::remove() const {
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

NSNET_LAZY_DEFINITION NSNET_DECL Route Route::write(const NetnsRef& ns, const RouteOptions& options, rtnl::RouteWrite mode, const char* operation) {
    auto r = detail::resolve_route(ns, options, operation);
    RouteRef ref(ns, std::move(r.spec), std::move(r.shown));
    try {
        detail::route_request(ns, rtnl::route_new(ref.spec(), mode), operation, ref.description());
    } catch (const Error& e) {
        if (!e.outcome_unknown() || mode != rtnl::RouteWrite::Add) throw;
        throw detail::undo_lost_create(e, "the route", [&] { ref.remove(); });
    }
    return Route(std::move(ref));
}

NSNET_LAZY_DEFINITION NSNET_DECL Route Route::create(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Add, "create route");
}

NSNET_LAZY_DEFINITION NSNET_DECL Route Route::replace(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Replace, "replace route");
}

NSNET_LAZY_DEFINITION NSNET_DECL Route Route::append(const NetnsRef& ns, const RouteOptions& options) {
    return write(ns, options, rtnl::RouteWrite::Append, "append route");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Route::remove(const NetnsRef& ns, const RouteOptions& options) {
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

}  // namespace nsnet
