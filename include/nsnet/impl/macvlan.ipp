// nsnet/impl/macvlan.ipp — the function bodies of <nsnet/macvlan.hpp>.
//
// Included at the end of nsnet/macvlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Macvlan Macvlan::create(const NetnsRef& ns, const MacvlanOptions& o) {
    const char* op = o.tap ? "create macvtap" : "create macvlan";
    validate_interface_name(o.name, op);
    bool source = o.mode && *o.mode == MacvlanMode::Source;
    if (!o.source_macs.empty() && !source)
        invalid_argument(op, o.name, "MacvlanOptions.source_macs: only used in mode source");
    if (o.nopromisc && !(o.mode && *o.mode == MacvlanMode::Passthru))
        invalid_argument(op, o.name, "MacvlanOptions.nopromisc: only used in mode passthru");
    if (o.mac) validate_link_mac(*o.mac, op, o.name);
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "MacvlanOptions.owner", op, o.name);
    detail::StackedCreate sc = detail::stacked_create(ns, o.parent, {.name = o.name, .mac = o.mac, .mtu = o.mtu},
                                                      "MacvlanOptions", op);
    rtnl::MacvlanConfig cfg{.mode = o.mode, .nopromisc = o.nopromisc, .source_macs = o.source_macs};
    auto msg = rtnl::macvlan_new(sc.link, cfg, o.tap);
    Link made = detail::create_link(sc.home, msg, op, o.name, ns, [&](const Error& e) {
        return explain(e, o.parent, o.mode.value_or(MacvlanMode::Vepa));
    });
    detail::tag_new_link(made, o.owner, op);
    Macvlan m{OwnedLink(std::move(made))};
    m.parent_ = o.parent;
    m.tap_ = o.tap;
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Macvlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::macvlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Macvlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::macvlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Macvlan Macvlan::adopt(const NetnsRef& ns, std::string_view name) {
    return adopt(get(ns, name));
}

NSNET_LAZY_DEFINITION NSNET_DECL Macvlan Macvlan::adopt(const Link& link) {
    LinkInfo info = detail::require_kind(link, detail::macvlan_kind, "adopt macvlan");
    Macvlan v{OwnedLink(link)};
    v.parent_ = detail::parent_of(link, info);
    v.tap_ = info.kind == "macvtap";
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL MacvlanInfo Macvlan::settings() const {
    auto m = macvlan_info(info());
    if (!m) throw Error(EINVAL, "read macvlan settings", name(), {}, "the link is not a macvlan");
    return *m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Macvlan::describe() const {
    return std::string(tap_ ? "macvtap " : "macvlan ") + settings().to_string();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Macvlan::set_mode(MacvlanMode mode) {
    try {
        run("set macvlan mode", rtnl::macvlan_change(index(), {.mode = mode}, tap_));
    } catch (const Error& e) {
        if (e.errnum() == EINVAL && (mode == MacvlanMode::Passthru || settings().mode == MacvlanMode::Passthru))
            throw detail::with_detail(e, "a macvlan cannot be switched into or out of passthru mode; delete and create it");
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Macvlan::explain(const Error& e, const Link& parent, MacvlanMode mode) {
    if (is_unknown_link_kind(e)) return "this kernel has no macvlan support (CONFIG_MACVLAN / module macvlan)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EBUSY)
        return "parent '" + parent.name() +
               "' is already claimed by another upper device (a bridge or bond port, or a parent of ipvlans)";
    if (e.errnum() != EINVAL) return {};
    std::vector<std::pair<std::string, MacvlanMode>> siblings{};
    try {
        for (const LinkInfo& l : Link::list(parent.netns()))
            if (l.parent == parent.index() && !l.link_netnsid)
                if (auto m = macvlan_info(l)) siblings.emplace_back(l.name, m->mode);
    } catch (...) {
    }
    const std::string p = "'" + parent.name() + "'";
    for (const auto& [name, m] : siblings)
        if (m == MacvlanMode::Passthru)
            return "parent " + p + " already has a passthru macvlan ('" + name +
                   "'): passthru takes the parent for itself, no other macvlan can share it";
    if (mode == MacvlanMode::Passthru && !siblings.empty())
        return "passthru needs parent " + p + " for itself, but it already has macvlan '" + siblings.front().first + "'";
    if (mode == MacvlanMode::Passthru)
        return "passthru needs parent " + p +
               " for itself: it must carry no other macvlan (one moved to another namespace still counts)";
    return "likely cause: parent " + p +
           " already has a passthru macvlan, perhaps moved to another namespace (passthru takes the parent for itself)";
}

}  // namespace nsnet
