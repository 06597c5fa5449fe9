// nsnet/impl/vlan.ipp — the function bodies of <nsnet/vlan.hpp>.
//
// Included at the end of nsnet/vlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Vlan Vlan::create(const NetnsRef& ns, const VlanOptions& o) {
    validate_interface_name(o.name, "create vlan");
    if (o.id < rtnl::vlan_id_min || o.id > rtnl::vlan_id_max)
        invalid_argument("create vlan", o.name,
                         "VlanOptions.id: " + std::to_string(o.id) + " is outside " + std::to_string(rtnl::vlan_id_min) +
                             ".." + std::to_string(rtnl::vlan_id_max) +
                             (o.id == 0 ? " (0 only marks priority-tagged frames)" : o.id == 4095 ? " (4095 is reserved)" : ""));
    rtnl::VlanConfig cfg{.id = o.id, .protocol = o.protocol};
    if (o.mac) validate_link_mac(*o.mac, "create vlan", o.name);
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "VlanOptions.owner", "create vlan", o.name);
    detail::StackedCreate sc = detail::stacked_create(ns, o.parent, {.name = o.name, .mac = o.mac, .mtu = o.mtu},
                                                      "VlanOptions", "create vlan");
    auto msg = rtnl::vlan_new(sc.link, cfg);
    Link made = detail::create_link(sc.home, msg, "create vlan", o.name, ns, [&](const Error& e) {
        return explain(e, o.parent, cfg);
    });
    detail::tag_new_link(made, o.owner, "create vlan");
    Vlan v{OwnedLink(std::move(made))};
    v.parent_ = o.parent;
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Vlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::vlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Vlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::vlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Vlan Vlan::adopt(const NetnsRef& ns, std::string_view name) {
    return adopt(get(ns, name));
}

NSNET_LAZY_DEFINITION NSNET_DECL Vlan Vlan::adopt(const Link& link) {
    LinkInfo info = detail::require_kind(link, detail::vlan_kind, "adopt vlan");
    Vlan v{OwnedLink(link)};
    v.parent_ = detail::parent_of(link, info);
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL VlanInfo Vlan::settings() const {
    auto v = vlan_info(info());
    if (!v) throw Error(EINVAL, "read vlan settings", name(), {}, "the link is not a vlan");
    return *v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Vlan::describe() const {
    return "vlan " + settings().to_string();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Vlan::explain(const Error& e, const Link& parent, const rtnl::VlanConfig& c) {
    if (is_unknown_link_kind(e)) return "this kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q / module 8021q)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EEXIST)
        return "parent '" + parent.name() + "' already has a vlan with id " + std::to_string(c.id) + " (or the name is taken)";
    return {};
}

}  // namespace nsnet
