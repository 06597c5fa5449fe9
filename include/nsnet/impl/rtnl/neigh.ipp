// nsnet/impl/rtnl/neigh.ipp — the function bodies of <nsnet/rtnl/neigh.hpp>.
//
// Included at the end of nsnet/rtnl/neigh.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_string(NeighborState s) {
    static constexpr std::pair<std::uint16_t, const char*> names[] = {
        {NUD_INCOMPLETE, "incomplete"}, {NUD_REACHABLE, "reachable"}, {NUD_STALE, "stale"},
        {NUD_DELAY, "delay"},           {NUD_PROBE, "probe"},         {NUD_FAILED, "failed"},
        {NUD_NOARP, "noarp"},           {NUD_PERMANENT, "permanent"},
    };
    auto v = static_cast<std::uint16_t>(s);
    if (v == 0) return "none";
    std::string out;
    for (auto [bit, name] : names)
        if (v & bit) {
            if (!out.empty()) out += '|';
            out += name;
            v = static_cast<std::uint16_t>(v & ~bit);
        }
    if (v) out += (out.empty() ? "0x" : "|0x") + std::to_string(v);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string describe(const Neighbor& n) {
    std::string s = n.address.to_string() + " dev #" + std::to_string(n.index);
    if (n.lladdr) s += " lladdr " + n.lladdr->to_string();
    if (n.router) s += " router";
    if (n.proxy) s += " proxy";
    else s += " " + to_string(n.state);
    return s;
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder neighbor_message(std::uint16_t type, std::uint16_t flags, const Neighbor& n,
                                               const char* operation) {
    if (n.index <= 0)
        invalid_argument(operation, n.address.to_string(), "no device: interface index " + std::to_string(n.index));
    if (n.proxy && n.lladdr)
        invalid_argument(operation, n.address.to_string(), "a proxy entry has no link-layer address (" +
                                                               n.lladdr->to_string() + " given)");
    nl::MessageBuilder m(type, flags);
    ndmsg nd{};
    nd.ndm_family = static_cast<std::uint8_t>(n.address.af());
    nd.ndm_ifindex = n.index;
    nd.ndm_state = static_cast<std::uint16_t>(n.state);
    nd.ndm_flags = n.flags;
    if (n.router) nd.ndm_flags |= NTF_ROUTER;
    if (n.proxy) nd.ndm_flags |= NTF_PROXY;
    m.put_header(nd);
    m.put_ip(NDA_DST, n.address);
    if (n.lladdr) m.put_mac(NDA_LLADDR, *n.lladdr);
    if (n.protocol) m.put_u8(NDA_PROTOCOL, n.protocol);
    return m;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder neighbor_new(const Neighbor& n, bool replace) {
    return detail::neighbor_message(RTM_NEWNEIGH,
                                    replace ? (NLM_F_CREATE | NLM_F_REPLACE) : (NLM_F_CREATE | NLM_F_EXCL), n,
                                    replace ? "replace neighbor" : "add neighbor");
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder neighbor_del(const Neighbor& n) {
    Neighbor k{};
    k.index = n.index;
    k.address = n.address;
    k.state = n.state;
    k.proxy = n.proxy;
    k.router = false;
    return detail::neighbor_message(RTM_DELNEIGH, 0, k, "delete neighbor");
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder neighbor_dump(unsigned char family, int ifindex, bool proxy) {
    nl::MessageBuilder m(RTM_GETNEIGH, NLM_F_DUMP);
    ndmsg nd{};
    nd.ndm_family = family;
    if (proxy) nd.ndm_flags = NTF_PROXY;
    m.put_header(nd);
    if (ifindex > 0) m.put_u32(NDA_IFINDEX, static_cast<std::uint32_t>(ifindex));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Neighbor> NeighborDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWNEIGH && m.type() != RTM_DELNEIGH) return std::nullopt;
    auto nd = m.family_header<ndmsg>();
    if (nd.ndm_family != AF_INET && nd.ndm_family != AF_INET6) return std::nullopt;
    Neighbor n{};
    n.index = nd.ndm_ifindex;
    n.state = static_cast<NeighborState>(nd.ndm_state);
    n.router = nd.ndm_flags & NTF_ROUTER;
    n.proxy = nd.ndm_flags & NTF_PROXY;
    n.flags = static_cast<std::uint8_t>(nd.ndm_flags & ~(NTF_ROUTER | NTF_PROXY));
    bool have_dst = false;
    const std::size_t addr_size = nd.ndm_family == AF_INET ? 4 : 16;
    for (nl::Attr a : m.attrs<ndmsg>()) {
        switch (a.type()) {
            case NDA_DST:
                if (a.size() != addr_size)
                    nl::malformed("neighbour NDA_DST has " + std::to_string(a.size()) + " bytes for family " +
                                  std::to_string(nd.ndm_family));
                n.address = a.ip();
                have_dst = true;
                break;
            case NDA_LLADDR:
                // Ethernet-like devices have 6-byte addresses; others (tunnels) are not represented.
                if (a.size() == 6) n.lladdr = a.mac();
                break;
            case NDA_PROTOCOL: n.protocol = a.u8(); break;
            default: break;
        }
    }
    if (!have_dst) nl::malformed("neighbour message without NDA_DST");
    return n;
}

}  // namespace nsnet::rtnl
