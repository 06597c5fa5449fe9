// nsnet/impl/rtnl/link.ipp — the function bodies of <nsnet/rtnl/link.hpp>.
//
// Included at the end of nsnet/rtnl/link.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<LinkInfo> LinkDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWLINK && m.type() != RTM_DELLINK) return std::nullopt;
    auto ifi = m.family_header<ifinfomsg>();
    LinkInfo l{};
    l.index = ifi.ifi_index;
    l.flags = ifi.ifi_flags;
    l.type = ifi.ifi_type;
    auto copy = [](nl::Bytes b) { return std::vector<std::byte>(b.begin(), b.end()); };
    for (nl::Attr a : m.attrs<ifinfomsg>()) {
        switch (a.type()) {
            case IFLA_IFNAME: l.name = std::string(a.str()); break;
            case IFLA_MTU: l.mtu = a.u32(); break;
            case IFLA_ADDRESS: if (a.size() == 6) l.mac = a.mac(); break;
            case IFLA_BROADCAST: if (a.size() == 6) l.broadcast = a.mac(); break;
            case IFLA_MASTER: l.master = static_cast<int>(a.u32()); break;
            case IFLA_LINK: l.parent = static_cast<int>(a.u32()); break;
            case IFLA_LINK_NETNSID: l.link_netnsid = a.s32(); break;
            case IFLA_GROUP: l.group = a.u32(); break;
            case IFLA_OPERSTATE: l.operstate = a.u8(); break;
            case IFLA_TXQLEN: l.txqlen = a.u32(); break;
            case IFLA_IFALIAS: l.alias = std::string(a.str()); break;
            case IFLA_PROTINFO: l.protinfo = copy(a.payload()); break;
            case IFLA_LINKINFO:
                for (nl::Attr i : a.nested()) {
                    switch (i.type()) {
                        case IFLA_INFO_KIND: l.kind = std::string(i.str()); break;
                        case IFLA_INFO_SLAVE_KIND: l.slave_kind = std::string(i.str()); break;
                        case IFLA_INFO_DATA: l.info_data = copy(i.payload()); break;
                        case IFLA_INFO_SLAVE_DATA: l.slave_info_data = copy(i.payload()); break;
                        default: break;
                    }
                }
                break;
            default: break;
        }
    }
    return l;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_get(std::string_view name) {
    nl::MessageBuilder m(RTM_GETLINK, 0);
    ifinfomsg ifi{};
    m.put_header(ifi);
    m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    m.put_string(IFLA_IFNAME, name);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_get(int index) {
    nl::MessageBuilder m(RTM_GETLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_dump(unsigned char family) {
    nl::MessageBuilder m(RTM_GETLINK, NLM_F_DUMP);
    ifinfomsg ifi{};
    ifi.ifi_family = family;
    m.put_header(ifi);
    m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    return m;
}

// IFLA_IFALIAS as ip sends it: no NUL, so the kernel's limit (IFALIASZ-1 = 255 bytes) is the
// caller's (Linux 6.18 counts a trailing NUL against it: 255 bytes + NUL is ERANGE). An empty alias
// (clearing it) is one NUL byte: the kernel refuses an empty string attribute.
NSNET_LAZY inline void put_link_alias(nl::MessageBuilder& m, int index, std::string_view alias) {
    validate_link_alias(alias, "set link alias", "#" + std::to_string(index));
    if (alias.empty()) m.put_string(IFLA_IFALIAS, "");
    else m.put(IFLA_IFALIAS, alias.data(), alias.size());
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_set(const LinkChange& c) {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = c.index;
    if (c.up) {
        ifi.ifi_change = IFF_UP;
        ifi.ifi_flags = *c.up ? IFF_UP : 0;
    }
    if (c.promisc) {
        ifi.ifi_change |= IFF_PROMISC;
        if (*c.promisc) ifi.ifi_flags |= IFF_PROMISC;
    }
    m.put_header(ifi);
    if (c.netns_fd) m.put_u32(IFLA_NET_NS_FD, static_cast<std::uint32_t>(*c.netns_fd));
    if (c.name) m.put_string(IFLA_IFNAME, *c.name);
    if (c.mac) m.put_mac(IFLA_ADDRESS, *c.mac);
    if (c.mtu) m.put_u32(IFLA_MTU, *c.mtu);
    if (c.txqlen) m.put_u32(IFLA_TXQLEN, *c.txqlen);
    if (c.master) m.put_u32(IFLA_MASTER, static_cast<std::uint32_t>(*c.master));
    if (c.group) m.put_u32(IFLA_GROUP, *c.group);
    if (c.alias) put_link_alias(m, c.index, *c.alias);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_set_alias(int index, std::string_view alias) {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    put_link_alias(m, index, alias);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_del(int index) {
    nl::MessageBuilder m(RTM_DELLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_del_group(std::uint32_t group) {
    nl::MessageBuilder m(RTM_DELLINK, 0);
    ifinfomsg ifi{};
    m.put_header(ifi);
    m.put_u32(IFLA_GROUP, group);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_link_common(nl::MessageBuilder& m, const LinkCreate& c) {
    if (c.netns_fd) m.put_u32(IFLA_NET_NS_FD, static_cast<std::uint32_t>(*c.netns_fd));
    if (c.mac) m.put_mac(IFLA_ADDRESS, *c.mac);
    if (c.mtu) m.put_u32(IFLA_MTU, *c.mtu);
    if (c.group) m.put_u32(IFLA_GROUP, *c.group);
    if (c.txqlen) m.put_u32(IFLA_TXQLEN, *c.txqlen);
    if (c.parent) m.put_u32(IFLA_LINK, static_cast<std::uint32_t>(c.parent));
    m.put_string(IFLA_IFNAME, c.name);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_new(const LinkCreate& c) {
    nl::MessageBuilder m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    ifinfomsg ifi{};
    if (c.up) {
        ifi.ifi_change = IFF_UP;
        ifi.ifi_flags = IFF_UP;
    }
    m.put_header(ifi);
    put_link_common(m, c);
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

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder veth_new(LinkCreate c, const VethPeer& peer) {
    c.kind = "veth";
    c.info_data = [&peer](nl::MessageBuilder& m) {
        auto p = m.nest(VETH_INFO_PEER, false);
        ifinfomsg pifi{};
        m.put_header(pifi);
        LinkCreate pc{};
        pc.name = peer.name;
        pc.netns_fd = peer.netns_fd;
        pc.mac = peer.mac;
        pc.mtu = peer.mtu;
        pc.group = peer.group;
        pc.txqlen = peer.txqlen;
        put_link_common(m, pc);
    };
    return link_new(c);
}

}  // namespace nsnet::rtnl
