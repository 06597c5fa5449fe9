// nsnet/impl/bridge.ipp — the function bodies of <nsnet/bridge.hpp>.
//
// Included at the end of nsnet/bridge.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL void set_bridge_port(const Link& port, const BridgePortOptions& options) {
    if (!port.valid()) throw Error(ENODEV, "set bridge port options", port.name(), {}, "link handle is empty or was removed");
    if (options.empty()) return;
    auto msg = rtnl::bridge_port_change(port.index(), options);
    try {
        port.netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "set bridge port options", port.name()); });
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP && port.info().slave_kind != "bridge")
            throw detail::with_detail(e, "'" + port.name() + "' is not a bridge port (ip link set " + port.name() +
                                             " master BRIDGE first)");
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Bridge Bridge::create(const NetnsRef& netns, const BridgeOptions& o) {
    validate_interface_name(o.name, "create bridge");
    rtnl::BridgeConfig cfg = config(o, "create bridge");
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "BridgeOptions.owner", "create bridge", o.name);
    detail::require_netns(netns, "create bridge", o.name);
    rtnl::LinkCreate c{.name = o.name, .mac = o.mac, .mtu = o.mtu};
    auto msg = rtnl::bridge_new(c, cfg);
    Link made = detail::create_link(netns, msg, "create bridge", o.name, netns, [&](const Error& e) { return explain(e, cfg); });
    detail::tag_new_link(made, o.owner, "create bridge");
    return Bridge(OwnedLink(std::move(made)));
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Bridge::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::bridge_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Bridge::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::bridge_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Bridge Bridge::adopt(const NetnsRef& ns, std::string_view name) {
    return Bridge(OwnedLink(get(ns, name)));
}

NSNET_LAZY_DEFINITION NSNET_DECL Bridge Bridge::adopt(const Link& link) {
    (void)detail::require_kind(link, detail::bridge_kind, "adopt bridge");
    return Bridge(OwnedLink(link));
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Bridge::ensure(const NetnsRef& netns, const BridgeOptions& o) {
    validate_interface_name(o.name, "ensure bridge");
    (void)config(o, "ensure bridge");
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "BridgeOptions.owner", "ensure bridge", o.name);
    detail::require_netns(netns, "ensure bridge", o.name);
    auto existing = [&]() -> std::optional<Link> {
        auto l = Link::find(netns, o.name);
        if (!l) return l;
        LinkInfo info = l->info();
        if (!detail::bridge_kind.is(info))
            throw Error(EEXIST, "ensure bridge", o.name, {},
                        "a link named '" + o.name + "' exists in namespace " + netns.display_name() + " and is " +
                            detail::kind_phrase(info) + ", not a bridge");
        return l;
    };
    if (auto l = existing()) return *l;
    try {
        return create(netns, o).release();
    } catch (const Error& e) {
        if (e.errnum() != EEXIST) throw;
        if (auto l = existing()) return *l;  // another process made it meanwhile
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::add_vlan(const Link& port, const BridgeVlan& vlan) {
    const std::string op = "add bridge vlan " + std::to_string(vlan.vid);
    if (vlan.vid < 1 || vlan.vid > 4094)
        invalid_argument(op, port.name(), "BridgeVlan.vid: " + std::to_string(vlan.vid) + " is not in 1..4094");
    const bool self = port == *this;
    if (!self) require_port(port, op.c_str());
    auto msg = rtnl::bridge_vlan_add(port.index(), vlan, self);
    try {
        netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, op, port.name()); });
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP)
            throw detail::with_detail(e, "this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)");
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::remove_vlan(const Link& port, std::uint16_t vid) {
    const std::string op = "delete bridge vlan " + std::to_string(vid);
    if (vid < 1 || vid > 4094) invalid_argument(op, port.name(), "vid: " + std::to_string(vid) + " is not in 1..4094");
    const bool self = port == *this;
    if (!self) require_port(port, op.c_str());
    auto msg = rtnl::bridge_vlan_del(port.index(), vid, self);
    netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, op, port.name()); });
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<BridgeVlan> Bridge::vlans(const Link& port) const {
    if (!(port.netns() == netns()))
        invalid_argument("list bridge vlans", port.name(), "'" + port.name() + "' is in another namespace than bridge '" + name() + "'");
    std::vector<BridgeVlan> out{};
    netns().with_rtnl([&](nl::Socket& s) {
        auto msg = rtnl::bridge_vlan_dump();
        auto lists = nl::dump_collect(s, msg, "list bridge vlans", rtnl::decode_bridge_vlans);
        for (auto& l : lists)
            if (l.index == port.index()) out = std::move(l.vlans);
    });
    std::sort(out.begin(), out.end(), [](const BridgeVlan& a, const BridgeVlan& b) { return a.vid < b.vid; });
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::change(const BridgeChange& c) {
    rtnl::BridgeConfig cfg = config(c, "BridgeChange", "change bridge", name());
    if (cfg.empty()) return;
    try {
        run("change bridge", rtnl::bridge_change(index(), cfg));
    } catch (const Error& e) {
        std::string why = explain(e, cfg);
        if (why.empty()) throw;
        throw detail::with_detail(e, why);
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::set_stp(bool on) {
    change({.stp = on});
}

NSNET_LAZY_DEFINITION NSNET_DECL BridgeInfo Bridge::settings() const {
    auto b = bridge_info(info());
    if (!b) throw Error(EINVAL, "read bridge settings", name(), {}, "the link is not a bridge");
    return *b;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Bridge::describe() const {
    return "bridge " + settings().to_string();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::add_port(const Link& port, const BridgePortOptions& options) {
    port.set_master(*this);
    set_bridge_port(port, options);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::remove_port(const Link& port) {
    require_port(port, "remove bridge port");
    port.set_nomaster();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Bridge::set_port(const Link& port, const BridgePortOptions& options) {
    require_port(port, "set bridge port options");
    set_bridge_port(port, options);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Bridge::describe_port(const Link& port) const {
    return "bridge_slave " + port_info(port).to_string();
}

NSNET_LAZY_DEFINITION NSNET_DECL BridgePortInfo Bridge::port_info(const Link& port) const {
    LinkInfo l = require_port(port, "read bridge port options");
    auto p = bridge_port_info(l);
    if (!p) throw Error(EINVAL, "read bridge port options", port.name(), {}, "the kernel reported no bridge port data");
    return *p;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<Link> Bridge::ports() const {
    std::vector<Link> out{};
    for (const LinkInfo& l : Link::list(netns()))
        if (l.master == index()) out.emplace_back(netns(), l.index, l.name);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL LinkInfo Bridge::require_port(const Link& port, const char* operation) const {
    if (!(port.netns() == netns()))
        invalid_argument(operation, port.name(), "'" + port.name() + "' is in another namespace than bridge '" + name() + "'");
    LinkInfo l = port.info();
    if (l.master != index())
        invalid_argument(operation, port.name(), "'" + port.name() + "' is not a port of bridge '" + name() + "'");
    return l;
}

NSNET_LAZY_DEFINITION NSNET_DECL rtnl::BridgeConfig Bridge::config(const BridgeOptions& o, const char* operation) {
    return config(BridgeChange{.stp = o.stp,
                               .vlan_filtering = o.vlan_filtering,
                               .forward_delay = o.forward_delay,
                               .hello_time = o.hello_time,
                               .max_age = o.max_age,
                               .ageing_time = o.ageing_time,
                               .priority = o.priority,
                               .multicast_snooping = o.multicast_snooping},
                  "BridgeOptions", operation, o.name);
}

NSNET_LAZY_DEFINITION NSNET_DECL rtnl::BridgeConfig Bridge::config(const BridgeChange& o, const std::string& type, const char* operation,
                                             const std::string& object) {
    auto cs = [&](const std::optional<std::chrono::milliseconds>& t, const char* what) -> std::optional<rtnl::Centiseconds> {
        if (!t) return std::nullopt;
        auto ms = t->count();
        if (ms < 0 || ms / 10 > 0xffffffffLL)
            invalid_argument(operation, object,
                             type + "." + what + ": " + std::to_string(ms) + " ms is outside 0..42949672950 ms");
        if (ms % 10 != 0)
            invalid_argument(operation, object,
                             type + "." + what + ": " + std::to_string(ms) +
                                 " ms is not a multiple of 10 ms (the kernel counts in centiseconds)");
        return rtnl::Centiseconds(static_cast<std::uint32_t>(ms / 10));
    };
    rtnl::BridgeConfig c{};
    c.forward_delay = cs(o.forward_delay, "forward_delay");
    c.hello_time = cs(o.hello_time, "hello_time");
    c.max_age = cs(o.max_age, "max_age");
    c.ageing_time = cs(o.ageing_time, "ageing_time");
    c.stp = o.stp;
    c.priority = o.priority;
    c.vlan_filtering = o.vlan_filtering;
    c.multicast_snooping = o.multicast_snooping;
    return c;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Bridge::explain(const Error& e, const rtnl::BridgeConfig& c) {
    // Without an extended-ack text, EOPNOTSUPP with vlan_filtering asked for is the option, not the kind.
    bool unknown_kind = e.kernel_message().find("Unknown device type") != std::string::npos;
    if (!unknown_kind && e.errnum() == EOPNOTSUPP && c.vlan_filtering && *c.vlan_filtering)
        return "this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";
    if (is_unknown_link_kind(e)) return "this kernel has no bridge support (CONFIG_BRIDGE / module bridge)";
    if (e.errnum() == ERANGE && (c.forward_delay || c.hello_time || c.max_age))
        return "while STP is on the kernel wants forward_delay in 2..30 s, hello_time 1..10 s, max_age 6..40 s";
    return {};
}

}  // namespace nsnet
