// nsnet/impl/rtnl/fdb.ipp — the function bodies of <nsnet/rtnl/fdb.hpp>.
//
// Included at the end of nsnet/rtnl/fdb.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL void validate_fdb(const FdbSpec& s, const std::string& operation, const std::string& object) {
    if (s.index <= 0) invalid_argument(operation, object, "no device (ifindex " + std::to_string(s.index) + ")");
    if (s.vni && *s.vni > 0xffffff)
        invalid_argument(operation, object, "VNI " + std::to_string(*s.vni) + " does not fit in 24 bits (0..16777215)");
    if (s.vlan && (*s.vlan < 1 || *s.vlan > 4094))
        invalid_argument(operation, object, "VLAN id " + std::to_string(*s.vlan) + " is outside 1..4094");
    if (s.via < 0) invalid_argument(operation, object, "via ifindex " + std::to_string(s.via) + " is negative");
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder fdb_message(std::uint16_t type, std::uint16_t flags, const FdbSpec& s) {
    nl::MessageBuilder m(type, flags);
    ndmsg ndm{};
    ndm.ndm_family = AF_BRIDGE;
    ndm.ndm_ifindex = s.index;
    ndm.ndm_state = static_cast<std::uint16_t>(s.state);
    ndm.ndm_flags = static_cast<std::uint8_t>(s.table);
    m.put_header(ndm);
    m.put_mac(NDA_LLADDR, s.mac);
    if (s.dst) m.put_ip(NDA_DST, *s.dst);
    if (s.vlan) m.put_u16(NDA_VLAN, *s.vlan);
    if (s.port && *s.port) m.put_be16(NDA_PORT, *s.port);
    if (s.vni) m.put_u32(NDA_VNI, *s.vni);
    if (s.via) m.put_u32(NDA_IFINDEX, static_cast<std::uint32_t>(s.via));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder fdb_new(const FdbSpec& s, FdbMode mode) {
    validate_fdb(s, "add fdb entry", s.mac.to_string());
    return fdb_message(RTM_NEWNEIGH, static_cast<std::uint16_t>(mode), s);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder fdb_del(const FdbSpec& s) {
    validate_fdb(s, "delete fdb entry", s.mac.to_string());
    return fdb_message(RTM_DELNEIGH, 0, s);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder fdb_dump(int index) {
    nl::MessageBuilder m(RTM_GETNEIGH, NLM_F_DUMP);
    ndmsg ndm{};
    ndm.ndm_family = AF_BRIDGE;
    ndm.ndm_ifindex = index;
    m.put_header(ndm);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string FdbInfo::to_string(nsnet::detail::FunctionRef<std::string(int)> name, bool show_dev) const {
    auto dev = [&](int ifindex) {
        std::string n = name ? name(ifindex) : std::string();
        return n.empty() ? "#" + std::to_string(ifindex) : n;
    };
    std::string s = mac.to_string();
    if (show_dev && index) s += " dev " + dev(index);
    if (vlan) s += " vlan " + std::to_string(*vlan);
    if (dst) s += " dst " + dst->to_string();
    if (port) s += " port " + std::to_string(*port);
    if (vni) s += " vni " + std::to_string(*vni);
    if (src_vni) s += " src_vni " + std::to_string(*src_vni);
    if (via) s += " via " + dev(via);
    if (self()) s += " self";
    if (flags & NTF_ROUTER) s += " router";
    if (extern_learned()) s += " extern_learn";
    if (flags & NTF_OFFLOADED) s += " offload";
    if (master) s += " master " + dev(master);
    if (flags & NTF_STICKY) s += " sticky";
    if (permanent()) s += " permanent";
    else if (is_static()) s += " static";
    else if (state & NUD_STALE) s += " stale";
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<FdbInfo> FdbDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWNEIGH && m.type() != RTM_DELNEIGH) return std::nullopt;
    auto ndm = m.family_header<ndmsg>();
    if (ndm.ndm_family != AF_BRIDGE) return std::nullopt;
    FdbInfo f{};
    f.index = ndm.ndm_ifindex;
    f.state = ndm.ndm_state;
    f.flags = ndm.ndm_flags;
    for (nl::Attr a : m.attrs<ndmsg>()) {
        switch (a.type()) {
            case NDA_LLADDR: if (a.size() == 6) f.mac = a.mac(); break;
            case NDA_DST: f.dst = a.ip(); break;
            case NDA_VLAN: f.vlan = a.u16(); break;
            case NDA_PORT: f.port = a.be16(); break;
            case NDA_VNI: f.vni = a.u32(); break;
            case NDA_SRC_VNI: f.src_vni = a.u32(); break;
            case NDA_IFINDEX: f.via = static_cast<int>(a.u32()); break;
            case NDA_MASTER: f.master = static_cast<int>(a.u32()); break;
            case NDA_LINK_NETNSID: f.link_netnsid = a.s32(); break;
            case NDA_NH_ID: f.nexthop_id = a.u32(); break;
            case NDA_CACHEINFO: f.updated_centiseconds = a.as_prefix<nda_cacheinfo>().ndm_updated; break;
            default: break;
        }
    }
    return f;
}

}  // namespace nsnet::rtnl
