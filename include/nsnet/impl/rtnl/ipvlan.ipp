// nsnet/impl/rtnl/ipvlan.ipp — the function bodies of <nsnet/rtnl/ipvlan.hpp>.
//
// Included at the end of nsnet/rtnl/ipvlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(IpvlanMode m) noexcept {
    switch (m) {
        case IpvlanMode::L2: return "l2";
        case IpvlanMode::L3: return "l3";
        case IpvlanMode::L3S: return "l3s";
    }
    return "unknown";
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(IpvlanFlag f) noexcept {
    switch (f) {
        case IpvlanFlag::Bridge: return "bridge";
        case IpvlanFlag::Private: return "private";
        case IpvlanFlag::Vepa: return "vepa";
    }
    return "unknown";
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_ipvlan_data(nl::MessageBuilder& m, const IpvlanConfig& c) {
    m.put_u16(IFLA_IPVLAN_MODE, static_cast<std::uint16_t>(c.mode));
    m.put_u16(IFLA_IPVLAN_FLAGS, static_cast<std::uint16_t>(c.flag));
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ipvlan_new(LinkCreate link, const IpvlanConfig& c) {
    link.kind = "ipvlan";
    link.info_data = [c](nl::MessageBuilder& m) { put_ipvlan_data(m, c); };
    return stacked_link_new(link);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ipvlan_change(int index, const IpvlanConfig& c) {
    return link_kind_change(index, "ipvlan", [&c](nl::MessageBuilder& m) { put_ipvlan_data(m, c); });
}

NSNET_LAZY_DEFINITION NSNET_DECL IpvlanInfo decode_ipvlan_data(nl::AttrRange data) {
    IpvlanInfo v{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_IPVLAN_MODE: v.mode = static_cast<IpvlanMode>(a.u16()); break;
            case IFLA_IPVLAN_FLAGS: {
                std::uint16_t f = a.u16();
                v.flag = (f & IPVLAN_F_PRIVATE) ? IpvlanFlag::Private
                         : (f & IPVLAN_F_VEPA)  ? IpvlanFlag::Vepa
                                                : IpvlanFlag::Bridge;
                break;
            }
            default: break;
        }
    }
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<IpvlanInfo> decode_ipvlan(const LinkInfo& link) {
    if (link.kind != "ipvlan" && link.kind != "ipvtap") return std::nullopt;
    return decode_ipvlan_data(link.data());
}

}  // namespace nsnet::rtnl
