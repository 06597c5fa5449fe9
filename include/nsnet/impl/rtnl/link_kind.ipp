// nsnet/impl/rtnl/link_kind.ipp — the function bodies of <nsnet/rtnl/link_kind.hpp>.
//
// Included at the end of nsnet/rtnl/link_kind.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder nsid_get(int netns_fd) {
    nl::MessageBuilder m(RTM_GETNSID, 0);
    rtgenmsg g{};
    g.rtgen_family = AF_UNSPEC;
    m.put_header(g);
    m.put_u32(NETNSA_FD, static_cast<std::uint32_t>(netns_fd));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::int32_t> NsidDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWNSID) return std::nullopt;
    if (auto a = m.attrs(sizeof(rtgenmsg)).find(NETNSA_NSID))
        if (std::int32_t id = a->s32(); id >= 0) return id;
    return std::nullopt;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder stacked_link_new(const LinkCreate& c) {
    nl::MessageBuilder m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    ifinfomsg ifi{};
    if (c.up) {
        ifi.ifi_change = IFF_UP;
        ifi.ifi_flags = IFF_UP;
    }
    m.put_header(ifi);
    if (c.netns_fd) m.put_u32(IFLA_NET_NS_FD, static_cast<std::uint32_t>(*c.netns_fd));
    if (c.mac) m.put_mac(IFLA_ADDRESS, *c.mac);
    if (c.mtu) m.put_u32(IFLA_MTU, *c.mtu);
    if (c.group) m.put_u32(IFLA_GROUP, *c.group);
    if (c.parent) m.put_u32(IFLA_LINK, static_cast<std::uint32_t>(c.parent));
    m.put_string(IFLA_IFNAME, c.name);
    {
        auto info = m.nest(IFLA_LINKINFO, false);
        m.put(IFLA_INFO_KIND, c.kind.data(), c.kind.size());
        if (c.info_data) {
            auto data = m.nest(IFLA_INFO_DATA, false);
            c.info_data(m);
        }
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_kind_change(int index, std::string_view kind,
                                               nsnet::detail::FunctionRef<void(nl::MessageBuilder&)> data,
                                               bool slave) {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    {
        auto info = m.nest(IFLA_LINKINFO, false);
        m.put(IFLA_INFO_KIND, kind.data(), kind.size());
        auto d = m.nest(slave ? IFLA_INFO_SLAVE_DATA : IFLA_INFO_DATA, false);
        if (data) data(m);
    }
    return m;
}

}  // namespace nsnet::rtnl
