// nsnet/impl/link_kind.ipp — the function bodies of <nsnet/link_kind.hpp>.
//
// Included at the end of nsnet/link_kind.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL bool is_unknown_link_kind(const Error& e) noexcept {
    if (e.errnum() != EOPNOTSUPP) return false;
    return e.kernel_message().empty() || e.kernel_message().find("Unknown device type") != std::string::npos;
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::string parent_gone(const Error& e, const Link& parent) {
    if (e.errnum() != ENODEV) return {};
    return "parent '" + parent.name() + "' (ifindex " + std::to_string(parent.index()) + ") does not exist in namespace " +
           parent.netns().display_name();
}

NSNET_LAZY_DEFINITION NSNET_DECL Link create_link(const NetnsRef& from, nl::MessageBuilder& msg, const std::string& operation,
                            const std::string& name, const NetnsRef& placed_in,
                            detail::FunctionRef<std::string(const Error&)> explain) {
    try {
        from.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, name); });
    } catch (const Error& e) {
        // The kernel may have created the link before its answer was lost: do not leak it.
        if (e.outcome_unknown()) throw clean_up_unknown_create(e, placed_in, name, requested_kind(msg));
        std::string why = explain ? explain(e) : std::string();
        if (why.empty()) throw;
        throw with_detail(e, why);
    }
    try {
        return Link::get(placed_in, name);
    } catch (...) {
        // The link exists but cannot be looked up (renamed at once by a udev rule?): do not leak it.
        try {
            if (auto l = Link::find(placed_in, name)) l->remove();
        } catch (...) {
        }
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL StackedCreate stacked_create(const NetnsRef& ns, const Link& parent, rtnl::LinkCreate c,
                                        const std::string& options_type, const std::string& operation) {
    if (!parent.valid())
        invalid_argument(operation, c.name,
                         options_type + ".parent: " +
                             (parent.name().empty() ? std::string("not given (the link to stack on, in its own namespace)")
                                                    : "'" + parent.name() + "' is an empty or removed link handle"));
    require_netns(ns, operation, c.name);
    if (c.mtu) {
        LinkInfo p = parent.info();
        if (*c.mtu > p.mtu)
            invalid_argument(operation, c.name,
                             options_type + ".mtu: " + std::to_string(*c.mtu) + " exceeds the mtu of parent '" + p.name +
                                 "' (" + std::to_string(p.mtu) + ")");
    }
    c.parent = parent.index();
    if (!(ns == parent.netns())) c.netns_fd = ns.fd();
    return StackedCreate{.link = std::move(c), .home = parent.netns()};
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string kind_phrase(const LinkInfo& info) {
    if (info.kind.empty()) return "a device without a kind (physical or loopback)";
    if (auto t = rtnl::decode_tun(info)) return t->mode == rtnl::TunMode::Tap ? "a tap" : "a tun";
    const char first = info.kind.front();
    const bool vowel = first == 'a' || first == 'e' || first == 'i' || first == 'o' || first == 'u';
    return std::string(vowel ? "an " : "a ") + info.kind;
}

NSNET_LAZY_DEFINITION NSNET_DECL LinkInfo require_kind(const Link& link, const LinkKind& kind, const std::string& operation) {
    LinkInfo info = link.info();
    if (!kind.is(info))
        invalid_argument(operation, link.name(),
                         "link '" + link.name() + "' in namespace " + link.netns().display_name() + " is " +
                             kind_phrase(info) + ", not a" + (kind.name[0] == 'i' ? "n " : " ") + kind.name);
    return info;
}

NSNET_LAZY_DEFINITION NSNET_DECL Link get_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind) {
    const std::string op = std::string("find ") + kind.name;
    require_netns(ns, op, name);
    Link l = Link::get(ns, name);
    (void)require_kind(l, kind, op);
    return l;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> find_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind) {
    const std::string op = std::string("find ") + kind.name;
    require_netns(ns, op, name);
    auto l = Link::find(ns, name);
    if (l) (void)require_kind(*l, kind, op);
    return l;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<NetnsRef> netns_of_nsid(const NetnsRef& from, std::int32_t nsid) {
    auto id_of = [&](const NetnsRef& candidate) -> std::optional<std::int32_t> {
        std::optional<std::int32_t> id{};
        try {
            auto msg = rtnl::nsid_get(candidate.fd());
            from.with_rtnl([&](nl::Socket& s) {
                nl::request(s, msg, "get namespace id", candidate.display_name(), [&](const nl::MessageView& m) {
                    if (auto i = rtnl::decode_nsid(m)) id = i;
                });
            });
        } catch (const Error&) {
        }
        return id;
    };
    NetnsRef current = NetnsRef::current();
    if (!(current == from) && id_of(current) == nsid) return current;
    for (const std::string& name : Netns::list()) {
        try {
            NetnsRef candidate = NetnsRef::open(name);
            if (!(candidate == from) && id_of(candidate) == nsid) return candidate;
        } catch (const Error&) {
            // deleted meanwhile, or not a namespace: not the one
        }
    }
    return std::nullopt;
}

NSNET_LAZY_DEFINITION NSNET_DECL Link parent_of(const Link& link, const LinkInfo& info) {
    if (info.parent <= 0) return {};
    try {
        if (!info.link_netnsid) return Link::get(link.netns(), info.parent);
        if (auto ns = netns_of_nsid(link.netns(), *info.link_netnsid)) return Link::get(*ns, info.parent);
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;  // the parent went meanwhile (its link goes with it)
    }
    return {};
}

}  // namespace detail

}  // namespace nsnet
