// nsnet/impl/ipvlan.ipp — the function bodies of <nsnet/ipvlan.hpp>.
//
// Included at the end of nsnet/ipvlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Ipvlan Ipvlan::create(const NetnsRef& ns, const IpvlanOptions& o) {
    validate_interface_name(o.name, "create ipvlan");
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "IpvlanOptions.owner", "create ipvlan", o.name);
    detail::StackedCreate sc = detail::stacked_create(ns, o.parent, {.name = o.name, .mtu = o.mtu}, "IpvlanOptions",
                                                      "create ipvlan");
    auto msg = rtnl::ipvlan_new(sc.link, {.mode = o.mode, .flag = o.flag});
    Link made = detail::create_link(sc.home, msg, "create ipvlan", o.name, ns, [&](const Error& e) { return explain(e, o.parent); });
    detail::tag_new_link(made, o.owner, "create ipvlan");
    Ipvlan v{OwnedLink(std::move(made))};
    v.parent_ = o.parent;
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Ipvlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::ipvlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Ipvlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::ipvlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Ipvlan Ipvlan::adopt(const NetnsRef& ns, std::string_view name) {
    return adopt(get(ns, name));
}

NSNET_LAZY_DEFINITION NSNET_DECL Ipvlan Ipvlan::adopt(const Link& link) {
    LinkInfo info = detail::require_kind(link, detail::ipvlan_kind, "adopt ipvlan");
    Ipvlan v{OwnedLink(link)};
    v.parent_ = detail::parent_of(link, info);
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL IpvlanInfo Ipvlan::settings() const {
    auto v = ipvlan_info(info());
    if (!v) throw Error(EINVAL, "read ipvlan settings", name(), {}, "the link is not an ipvlan");
    return *v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Ipvlan::describe() const {
    return "ipvlan " + settings().to_string();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Ipvlan::set_mode(IpvlanMode mode, IpvlanFlag flag) {
    run("set ipvlan mode", rtnl::ipvlan_change(index(), {.mode = mode, .flag = flag}));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Ipvlan::explain(const Error& e, const Link& parent) {
    if (is_unknown_link_kind(e)) return "this kernel has no ipvlan support (CONFIG_IPVLAN / module ipvlan)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EBUSY)
        return "parent '" + parent.name() + "' cannot carry ipvlans (it may already carry macvlans, or be a bridge port)";
    return {};
}

}  // namespace nsnet
