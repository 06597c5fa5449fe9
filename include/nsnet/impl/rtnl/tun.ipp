// nsnet/impl/rtnl/tun.ipp — the function bodies of <nsnet/rtnl/tun.hpp>.
//
// Included at the end of nsnet/rtnl/tun.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL ifreq tun_request(const TunRequest& r) {
    if (!r.name.empty()) validate_interface_name(r.name, r.mode == TunMode::Tun ? "create tun" : "create tap");
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, r.name.data(), r.name.size());
    unsigned flags = static_cast<unsigned>(r.mode);
    if (!r.packet_info) flags |= IFF_NO_PI;
    if (r.vnet_hdr) flags |= IFF_VNET_HDR;
    if (r.multi_queue) flags |= IFF_MULTI_QUEUE;
    ifr.ifr_flags = static_cast<short>(flags);
    return ifr;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string TunInfo::to_string() const {
    std::string s = std::string("type ") + (mode == TunMode::Tap ? "tap" : "tun");
    s += packet_info ? " pi on" : " pi off";
    s += vnet_hdr ? " vnet_hdr on" : " vnet_hdr off";
    if (multi_queue)
        s += " multi_queue numqueues " + std::to_string(queues) + " numdisabled " + std::to_string(disabled_queues);
    s += outlives_fds ? " persist on" : " persist off";
    if (user) s += " user " + std::to_string(*user);
    if (group) s += " group " + std::to_string(*group);
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL TunInfo decode_tun_data(nl::AttrRange data) {
    TunInfo t{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_TUN_TYPE: t.mode = a.u8() == IFF_TAP ? TunMode::Tap : TunMode::Tun; break;
            case IFLA_TUN_PI: t.packet_info = a.u8() != 0; break;
            case IFLA_TUN_VNET_HDR: t.vnet_hdr = a.u8() != 0; break;
            case IFLA_TUN_PERSIST: t.outlives_fds = a.u8() != 0; break;
            case IFLA_TUN_MULTI_QUEUE: t.multi_queue = a.u8() != 0; break;
            case IFLA_TUN_NUM_QUEUES: t.queues = a.u32(); break;
            case IFLA_TUN_NUM_DISABLED_QUEUES: t.disabled_queues = a.u32(); break;
            case IFLA_TUN_OWNER: t.user = a.u32(); break;
            case IFLA_TUN_GROUP: t.group = a.u32(); break;
            default: break;
        }
    }
    return t;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<TunInfo> decode_tun(const LinkInfo& link) {
    if (link.kind != "tun") return std::nullopt;
    return decode_tun_data(link.data());
}

}  // namespace nsnet::rtnl
