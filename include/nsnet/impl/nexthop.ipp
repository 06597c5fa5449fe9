// nsnet/impl/nexthop.ipp — the function bodies of <nsnet/nexthop.hpp>.
//
// Included at the end of nsnet/nexthop.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL NexthopInfo to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const NexthopInfo& n, bool replace) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void NexthopRef::remove() const {
    auto msg = rtnl::nexthop_del(id_);
    try {
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "remove nexthop", "id " + std::to_string(id_)); });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Nexthop Nexthop::create(const NetnsRef& ns, const NexthopOptions& options) {
    return Nexthop(NexthopRef(ns, detail::nexthop_request(ns, detail::to_nexthop(ns, options, "create nexthop"), false)));
}

NSNET_LAZY_DEFINITION NSNET_DECL Nexthop Nexthop::replace(const NetnsRef& ns, const NexthopOptions& options) {
    return Nexthop(NexthopRef(ns, detail::nexthop_request(ns, detail::to_nexthop(ns, options, "replace nexthop"), true)));
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Nexthop::supported(const NetnsRef& ns) {
    try {
        ns.with_rtnl([](nl::Socket& s) {
            auto m = rtnl::nexthop_dump();
            nl::dump(s, m, "list nexthops", [](const nl::MessageView&) {});
        });
        return true;
    } catch (const InvalidArgument&) {
        throw;  // an empty NetnsRef: refused, not "unsupported" (InvalidArgument's errno is EINVAL too)
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP || e.errnum() == EINVAL || e.errnum() == EPROTONOSUPPORT) return false;
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<NexthopInfo> Nexthop::list(const NetnsRef& ns) {
    return ns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::nexthop_dump();
        return nl::dump_collect(s, m, "list nexthops", rtnl::decode_nexthop);
    });
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<NexthopInfo> Nexthop::find(const NetnsRef& ns, std::uint32_t id) {
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

NSNET_LAZY_DEFINITION NSNET_DECL NexthopInfo Nexthop::get(const NetnsRef& ns, std::uint32_t id) {
    auto n = find(ns, id);
    if (!n)
        throw Error(ENOENT, "get nexthop", "id " + std::to_string(id), {},
                    "no nexthop with id " + std::to_string(id) + " in namespace " + ns.display_name());
    return std::move(*n);
}

}  // namespace nsnet
