// nsnet/impl/rtnl/addr.ipp — the function bodies of <nsnet/rtnl/addr.hpp>.
//
// Included at the end of nsnet/rtnl/addr.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<AddressInfo> AddressDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWADDR && m.type() != RTM_DELADDR) return std::nullopt;
    auto ifa = m.family_header<ifaddrmsg>();
    AddressInfo a{};
    a.index = static_cast<int>(ifa.ifa_index);
    a.scope = static_cast<Scope>(ifa.ifa_scope);
    a.flags = ifa.ifa_flags;
    std::optional<IpAddress> local, address{};
    for (nl::Attr at : m.attrs<ifaddrmsg>()) {
        switch (at.type()) {
            case IFA_LOCAL: local = at.ip(); break;
            case IFA_ADDRESS: address = at.ip(); break;
            case IFA_BROADCAST: a.broadcast = at.ip(); break;
            case IFA_LABEL: a.label = std::string(at.str()); break;
            case IFA_FLAGS: a.flags = at.u32(); break;
            default: break;
        }
    }
    // IPv6 addresses carry only IFA_ADDRESS; IPv4 carries both (they differ on point-to-point links).
    IpAddress mine = local ? *local : address ? *address : IpAddress();
    if (!local && !address) return std::nullopt;
    if (ifa.ifa_prefixlen > mine.size() * 8)
        nl::malformed("address prefix length " + std::to_string(ifa.ifa_prefixlen) + " exceeds " +
                      std::to_string(mine.size() * 8));
    a.prefix = Prefix(mine, ifa.ifa_prefixlen);
    if (local && address && *local != *address) a.peer = address;
    return a;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder address_message(std::uint16_t type, std::uint16_t flags, const AddressSpec& s) {
    nl::MessageBuilder m(type, flags);
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<unsigned char>(s.prefix.address().af());
    ifa.ifa_prefixlen = static_cast<unsigned char>(s.prefix.length());
    ifa.ifa_index = static_cast<unsigned>(s.index);
    if (s.flags <= 0xff) ifa.ifa_flags = static_cast<unsigned char>(s.flags);
    if (s.scope) ifa.ifa_scope = static_cast<unsigned char>(*s.scope);
    else if (type != RTM_DELADDR && s.prefix.address().is_v4() && s.prefix.address().data()[0] == 127)
        ifa.ifa_scope = RT_SCOPE_HOST;
    m.put_header(ifa);
    m.put_ip(IFA_LOCAL, s.prefix.address());
    if (s.peer) m.put_ip(IFA_ADDRESS, *s.peer);
    if (!s.label.empty()) {
        validate_address_label(s.label, type == RTM_DELADDR ? "delete address" : "add address", s.prefix.to_string());
        m.put_string(IFA_LABEL, s.label);
    }
    if (s.flags > 0xff) m.put_u32(IFA_FLAGS, s.flags);
    if (!s.peer) m.put_ip(IFA_ADDRESS, s.prefix.address());
    if (s.broadcast) m.put_ip(IFA_BROADCAST, *s.broadcast);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder address_new(const AddressSpec& s, bool replace) {
    return address_message(RTM_NEWADDR, replace ? (NLM_F_CREATE | NLM_F_REPLACE) : (NLM_F_CREATE | NLM_F_EXCL), s);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder address_dump(unsigned char family) {
    nl::MessageBuilder m(RTM_GETADDR, NLM_F_DUMP);
    ifaddrmsg ifa{};
    ifa.ifa_family = family;
    m.put_header(ifa);
    return m;
}

}  // namespace nsnet::rtnl
