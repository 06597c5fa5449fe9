// nsnet/impl/rtnl/macvlan.ipp — the function bodies of <nsnet/rtnl/macvlan.hpp>.
//
// Included at the end of nsnet/rtnl/macvlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(MacvlanMode m) noexcept {
    switch (m) {
        case MacvlanMode::Private: return "private";
        case MacvlanMode::Vepa: return "vepa";
        case MacvlanMode::Bridge: return "bridge";
        case MacvlanMode::Passthru: return "passthru";
        case MacvlanMode::Source: return "source";
    }
    return "unknown";
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_macvlan_data(nl::MessageBuilder& m, const MacvlanConfig& c) {
    if (!c.source_macs.empty()) {
        m.put_u32(IFLA_MACVLAN_MACADDR_MODE, MACVLAN_MACADDR_SET);
        auto list = m.nest(IFLA_MACVLAN_MACADDR_DATA, false);
        for (const MacAddress& mac : c.source_macs) m.put_mac(IFLA_MACVLAN_MACADDR, mac);
    }
    if (c.mode) m.put_u32(IFLA_MACVLAN_MODE, static_cast<std::uint32_t>(*c.mode));
    if (c.nopromisc) m.put_u16(IFLA_MACVLAN_FLAGS, MACVLAN_FLAG_NOPROMISC);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder macvlan_new(LinkCreate link, const MacvlanConfig& c, bool tap) {
    link.kind = tap ? "macvtap" : "macvlan";
    if (has_macvlan_data(c)) link.info_data = [c](nl::MessageBuilder& m) { put_macvlan_data(m, c); };
    else link.info_data = nullptr;
    return stacked_link_new(link);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder macvlan_change(int index, const MacvlanConfig& c, bool tap) {
    return link_kind_change(index, tap ? "macvtap" : "macvlan", [&c](nl::MessageBuilder& m) { put_macvlan_data(m, c); });
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string MacvlanInfo::to_string() const {
    std::string s = std::string("mode ") + rtnl::to_string(mode);
    if (nopromisc) s += " nopromisc";
    if (nodst) s += " nodst";
    if (mode == MacvlanMode::Source) {
        s += " remotes (" + std::to_string(source_macs.size()) + ")";
        for (const auto& m : source_macs) s += " " + m.to_string();
    }
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL MacvlanInfo decode_macvlan_data(nl::AttrRange data) {
    MacvlanInfo v{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_MACVLAN_MODE: v.mode = static_cast<MacvlanMode>(a.u32()); break;
            case IFLA_MACVLAN_FLAGS: {
                std::uint16_t f = a.u16();
                v.nopromisc = f & MACVLAN_FLAG_NOPROMISC;
                v.nodst = f & MACVLAN_FLAG_NODST;
                break;
            }
            case IFLA_MACVLAN_MACADDR_DATA:
                for (nl::Attr m : a.nested())
                    if (m.type() == IFLA_MACVLAN_MACADDR) v.source_macs.push_back(m.mac());
                break;
            default: break;
        }
    }
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<MacvlanInfo> decode_macvlan(const LinkInfo& link) {
    if (link.kind != "macvlan" && link.kind != "macvtap") return std::nullopt;
    MacvlanInfo v = decode_macvlan_data(link.data());
    v.tap = link.kind == "macvtap";
    return v;
}

}  // namespace nsnet::rtnl
