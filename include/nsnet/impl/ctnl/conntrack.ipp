// nsnet/impl/ctnl/conntrack.ipp — the function bodies of <nsnet/ctnl/conntrack.hpp>.
//
// Included at the end of nsnet/ctnl/conntrack.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::ctnl {

NSNET_DECL std::string Tuple::to_string() const {
    std::string s = "src=" + src.to_string() + " dst=" + dst.to_string();
    if (src_port) s += " sport=" + std::to_string(*src_port);
    if (dst_port) s += " dport=" + std::to_string(*dst_port);
    if (icmp_type) s += " type=" + std::to_string(*icmp_type);
    if (icmp_code) s += " code=" + std::to_string(*icmp_code);
    if (icmp_id) s += " id=" + std::to_string(*icmp_id);
    return s;
}

NSNET_DECL std::string Entry::to_string() const {
    std::string s = std::string(ip_protocol_name(orig.protocol) ? ip_protocol_name(orig.protocol) : "unknown") + " " + std::to_string(orig.protocol);
    if (timeout) s += " " + std::to_string(*timeout);
    s += " " + orig.to_string();
    if (status && !(*status & IPS_SEEN_REPLY)) s += " [UNREPLIED]";
    if (reply) s += " " + reply->to_string();
    if (status && (*status & IPS_ASSURED)) s += " [ASSURED]";
    if (mark) s += " mark=" + std::to_string(*mark);
    if (zone && *zone) s += " zone=" + std::to_string(*zone);
    if (use) s += " use=" + std::to_string(*use);
    return s;
}

NSNET_DECL void put_tuple(nl::MessageBuilder& m, std::uint16_t type, const Tuple& t) {
    if (t.src.is_v4() != t.dst.is_v4())
        nl::malformed("conntrack tuple mixes IPv4 and IPv6 addresses: " + t.to_string());
    auto tuple = m.nest(type);
    {
        auto ip = m.nest(CTA_TUPLE_IP);
        m.put_ip(t.src.is_v4() ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, t.src);
        m.put_ip(t.dst.is_v4() ? CTA_IP_V4_DST : CTA_IP_V6_DST, t.dst);
    }
    {
        auto proto = m.nest(CTA_TUPLE_PROTO);
        m.put_u8(CTA_PROTO_NUM, t.protocol);
        if (t.src_port) m.put_be16(CTA_PROTO_SRC_PORT, *t.src_port);
        if (t.dst_port) m.put_be16(CTA_PROTO_DST_PORT, *t.dst_port);
        const bool v6 = t.protocol == IPPROTO_ICMPV6;
        if (t.icmp_id) m.put_be16(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, *t.icmp_id);
        if (t.icmp_type) m.put_u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, *t.icmp_type);
        if (t.icmp_code) m.put_u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, *t.icmp_code);
    }
    if (t.zone) m.put_be16(CTA_TUPLE_ZONE, *t.zone);
}

NSNET_DECL Tuple decode_tuple(const nl::Attr& a) {
    Tuple t{};
    for (nl::Attr x : a.nested()) {
        switch (x.type()) {
            case CTA_TUPLE_IP:
                for (nl::Attr ip : x.nested()) {
                    switch (ip.type()) {
                        case CTA_IP_V4_SRC: case CTA_IP_V6_SRC: t.src = ip.ip(); break;
                        case CTA_IP_V4_DST: case CTA_IP_V6_DST: t.dst = ip.ip(); break;
                        default: break;
                    }
                }
                break;
            case CTA_TUPLE_PROTO:
                for (nl::Attr p : x.nested()) {
                    switch (p.type()) {
                        case CTA_PROTO_NUM: t.protocol = p.u8(); break;
                        case CTA_PROTO_SRC_PORT: t.src_port = p.be16(); break;
                        case CTA_PROTO_DST_PORT: t.dst_port = p.be16(); break;
                        case CTA_PROTO_ICMP_ID: case CTA_PROTO_ICMPV6_ID: t.icmp_id = p.be16(); break;
                        case CTA_PROTO_ICMP_TYPE: case CTA_PROTO_ICMPV6_TYPE: t.icmp_type = p.u8(); break;
                        case CTA_PROTO_ICMP_CODE: case CTA_PROTO_ICMPV6_CODE: t.icmp_code = p.u8(); break;
                        default: break;
                    }
                }
                break;
            case CTA_TUPLE_ZONE: t.zone = x.be16(); break;
            default: break;
        }
    }
    return t;
}

NSNET_DECL std::optional<Entry> decode_entry(const nl::MessageView& m) {
    if (m.type() != message_type(IPCTNL_MSG_CT_NEW) && m.type() != message_type(IPCTNL_MSG_CT_DELETE)) return std::nullopt;
    Entry e{};
    e.family = m.family_header<nfgenmsg>().nfgen_family;
    bool have_orig = false;
    for (nl::Attr a : m.attrs<nfgenmsg>()) {
        switch (a.type()) {
            case CTA_TUPLE_ORIG: e.orig = decode_tuple(a); have_orig = true; break;
            case CTA_TUPLE_REPLY: e.reply = decode_tuple(a); break;
            case CTA_STATUS: e.status = a.be32(); break;
            case CTA_TIMEOUT: e.timeout = a.be32(); break;
            case CTA_MARK: e.mark = a.be32(); break;
            case CTA_ZONE: e.zone = a.be16(); break;
            case CTA_USE: e.use = a.be32(); break;
            case CTA_ID: e.id = a.be32(); break;
            default: break;
        }
    }
    if (!have_orig) return std::nullopt;
    return e;
}

NSNET_DECL nl::MessageBuilder ct_dump(unsigned char family) {
    nl::MessageBuilder m(message_type(IPCTNL_MSG_CT_GET), NLM_F_DUMP);
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = NFNETLINK_V0;
    m.put_header(g);
    return m;
}

NSNET_DECL nl::MessageBuilder ct_delete(const Entry& e) {
    const int af = e.orig.src.af();
    if (e.family != af)
        nl::malformed("conntrack entry family " + std::to_string(e.family) + " does not match its tuple " + e.orig.to_string());
    nl::MessageBuilder m(message_type(IPCTNL_MSG_CT_DELETE), 0);
    nfgenmsg g{};
    g.nfgen_family = static_cast<std::uint8_t>(e.family);
    g.version = NFNETLINK_V0;
    m.put_header(g);
    put_tuple(m, CTA_TUPLE_ORIG, e.orig);
    if (e.reply) put_tuple(m, CTA_TUPLE_REPLY, *e.reply);
    if (e.status) m.put_be32(CTA_STATUS, *e.status);
    if (e.timeout) m.put_be32(CTA_TIMEOUT, *e.timeout);
    if (e.mark) m.put_be32(CTA_MARK, *e.mark);
    if (e.zone) m.put_be16(CTA_ZONE, *e.zone);
    if (e.id) m.put_be32(CTA_ID, *e.id);
    return m;
}

}  // namespace nsnet::ctnl
