// nsnet/impl/rtnl/vlan.ipp — the function bodies of <nsnet/rtnl/vlan.hpp>.
//
// Included at the end of nsnet/rtnl/vlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL void validate_vlan(const VlanConfig& c, std::string_view operation, std::string_view object) {
    if (c.id < vlan_id_min || c.id > vlan_id_max)
        invalid_argument(std::string(operation), std::string(object),
                         "VLAN id " + std::to_string(c.id) + " is outside " + std::to_string(vlan_id_min) + ".." +
                             std::to_string(vlan_id_max) +
                             (c.id == 0 ? " (0 only marks priority-tagged frames)"
                              : c.id == 4095 ? " (4095 is reserved)"
                                             : ""));
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_vlan_data(nl::MessageBuilder& m, const VlanConfig& c) {
    if (c.protocol) m.put_be16(IFLA_VLAN_PROTOCOL, static_cast<std::uint16_t>(*c.protocol));
    m.put_u16(IFLA_VLAN_ID, static_cast<std::uint16_t>(c.id));
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder vlan_new(LinkCreate link, const VlanConfig& c) {
    validate_vlan(c, "create vlan", link.name);
    link.kind = "vlan";
    link.info_data = [c](nl::MessageBuilder& m) { put_vlan_data(m, c); };
    return stacked_link_new(link);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string VlanInfo::to_string() const {
    std::string s = std::string("protocol ") + rtnl::to_string(protocol) + " id " + std::to_string(id);
    std::string f{};
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!f.empty()) f += ",";
        f += name;
    };
    add(reorder_hdr, "REORDER_HDR");
    add(gvrp, "GVRP");
    add(mvrp, "MVRP");
    add(loose_binding, "LOOSE_BINDING");
    add(bridge_binding, "BRIDGE_BINDING");
    if (!f.empty()) s += " <" + f + ">";
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL VlanInfo decode_vlan_data(nl::AttrRange data) {
    VlanInfo v{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_VLAN_ID: v.id = a.u16(); break;
            case IFLA_VLAN_PROTOCOL: v.protocol = static_cast<VlanProtocol>(a.be16()); break;
            case IFLA_VLAN_FLAGS: {
                auto f = a.as<ifla_vlan_flags>();
                v.reorder_hdr = f.flags & VLAN_FLAG_REORDER_HDR;
                v.gvrp = f.flags & VLAN_FLAG_GVRP;
                v.mvrp = f.flags & VLAN_FLAG_MVRP;
                v.loose_binding = f.flags & VLAN_FLAG_LOOSE_BINDING;
                v.bridge_binding = f.flags & VLAN_FLAG_BRIDGE_BINDING;
                break;
            }
            default: break;
        }
    }
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<VlanInfo> decode_vlan(const LinkInfo& link) {
    if (link.kind != "vlan") return std::nullopt;
    return decode_vlan_data(link.data());
}

}  // namespace nsnet::rtnl
