// nsnet/impl/vxlan.ipp — the function bodies of <nsnet/vxlan.hpp>.
//
// Included at the end of nsnet/vxlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Vxlan Vxlan::create(const NetnsRef& netns, const VxlanOptions& o) {
    const std::string op = "create vxlan";
    validate_interface_name(o.name, op);
    rtnl::VxlanConfig c = config(o, op);
    if (o.mac) validate_link_mac(*o.mac, op, o.name);
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "VxlanOptions.owner", op, o.name);
    detail::require_netns(netns, op, o.name);
    if (!o.device.empty()) {
        try {
            c.device = o.device.resolve(netns, op, o.name).first;
        } catch (const InvalidArgument& e) {
            invalid_argument(op, o.name, "VxlanOptions.device: " + e.detail());
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;
            throw Error(ENODEV, op, o.name, e.kernel_message(), "VxlanOptions.device: " + e.detail());
        }
    }
    rtnl::LinkCreate lc{.name = o.name, .mac = o.mac, .mtu = o.mtu, .up = o.up};
    auto msg = rtnl::vxlan_new(lc, c);
    Link made = detail::create_link(netns, msg, op, o.name, netns);
    detail::tag_new_link(made, o.owner, op);
    return Vxlan(OwnedLink(std::move(made)));
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Vxlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::vxlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Vxlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::vxlan_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Vxlan Vxlan::adopt(const NetnsRef& ns, std::string_view name) {
    return Vxlan(OwnedLink(get(ns, name)));
}

NSNET_LAZY_DEFINITION NSNET_DECL Vxlan Vxlan::adopt(const Link& link) {
    (void)detail::require_kind(link, detail::vxlan_kind, "adopt vxlan");
    return Vxlan(OwnedLink(link));
}

NSNET_LAZY_DEFINITION NSNET_DECL VxlanInfo Vxlan::settings() const {
    auto v = vxlan_info(info());
    if (!v) throw Error(EINVAL, "read vxlan settings", name(), {}, "the link is no longer a vxlan");
    return *v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Vxlan::describe() const {
    VxlanInfo v = settings();
    std::string dev{};
    if (v.device) try { dev = Link::get(netns(), v.device).name(); } catch (const Error&) {}
    return "vxlan " + v.to_string(dev);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Vxlan::change(const VxlanChange& c) {
    const std::string op = "change vxlan";
    auto address = [&](const AddressArg& a, const char* field) -> std::optional<IpAddress> {
        if (a.empty()) return std::nullopt;
        return a.resolve(std::string("VxlanChange.") + field, op, name());
    };
    rtnl::VxlanConfig cfg{.local = address(c.local, "local"), .remote = address(c.remote, "remote"),
                          .group = address(c.group, "group"), .ttl = c.ttl, .ageing = c.ageing, .learning = c.learning};
    detail::validate_vxlan_fields(cfg, false, "VxlanChange", op, name(), false);
    run(op, rtnl::vxlan_change(index(), cfg));
}

NSNET_LAZY_DEFINITION NSNET_DECL rtnl::VxlanConfig Vxlan::config(const VxlanOptions& o, const std::string& operation) {
    auto address = [&](const AddressArg& a, const char* field) -> std::optional<IpAddress> {
        if (a.empty()) return std::nullopt;
        return a.resolve(std::string("VxlanOptions.") + field, operation, o.name);
    };
    rtnl::VxlanConfig c{.vni = o.vni, .device = 0, .local = address(o.local, "local"), .remote = address(o.remote, "remote"),
                        .group = address(o.group, "group"), .ttl = o.ttl, .source_ports = o.source_ports,
                        .ageing = o.ageing, .learning = o.learning, .port = o.destination_port};
    detail::validate_vxlan_fields(c, !o.device.empty(), "VxlanOptions", operation, o.name, true);
    return c;
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL void validate_vxlan_fields(const rtnl::VxlanConfig& c, bool has_device, const std::string& type,
                                      const std::string& operation, const std::string& object, bool creating) {
    auto fail = [&](const std::string& field, const std::string& why) {
        invalid_argument(operation, object, type + "." + field + ": " + why);
    };
    const std::string vni_max = std::to_string(rtnl::vxlan_vni_max);
    if (creating && !c.vni) fail("vni", "not given (required, 0.." + vni_max + ")");
    if (c.vni && *c.vni > rtnl::vxlan_vni_max) fail("vni", std::to_string(*c.vni) + " exceeds 2^24-1 (" + vni_max + ")");
    auto multicast = [](const IpAddress& a) { return a.is_v4() ? (a.data()[0] & 0xf0) == 0xe0 : a.data()[0] == 0xff; };
    if (c.remote && c.group)
        fail("remote", c.remote->to_string() + " given together with ." + "group " + c.group->to_string() +
                           ": a vxlan has one or the other");
    if (c.remote && multicast(*c.remote)) fail("remote", c.remote->to_string() + " is a multicast address (use .group)");
    if (c.group && !multicast(*c.group)) fail("group", c.group->to_string() + " is not a multicast address (use .remote)");
    if (c.group && creating && !has_device)
        fail("group", c.group->to_string() + " needs an underlay device (.device) to join the multicast group on");
    if (c.local && multicast(*c.local)) fail("local", c.local->to_string() + " is a multicast address");
    const std::optional<IpAddress>& peer = c.remote ? c.remote : c.group;
    if (c.local && peer && c.local->family() != peer->family())
        fail("local", c.local->to_string() + " and ." + (c.remote ? "remote " : "group ") + peer->to_string() +
                          " are of different address families");
    if (c.ttl && (*c.ttl < 0 || *c.ttl > 255)) fail("ttl", std::to_string(*c.ttl) + " is outside 0..255");
    if (c.ageing && (c.ageing->count() < 0 || c.ageing->count() > 0xffffffffLL))
        fail("ageing", std::to_string(c.ageing->count()) + " s is outside 0..4294967295 s");
    if (c.source_ports && c.source_ports->last < c.source_ports->first)
        fail("source_ports", std::to_string(c.source_ports->first) + "-" + std::to_string(c.source_ports->last) +
                                 " ends before it starts");
}

}  // namespace detail

}  // namespace nsnet
