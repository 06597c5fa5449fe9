// nsnet/impl/ctnl/conntrack.ipp — the function bodies of <nsnet/ctnl/conntrack.hpp>.
//
// Included at the end of nsnet/ctnl/conntrack.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::ctnl {

NSNET_LAZY_DEFINITION NSNET_DECL std::string Tuple::to_string() const {
    std::string s = "src=" + src.to_string() + " dst=" + dst.to_string();
    if (src_port) s += " sport=" + std::to_string(*src_port);
    if (dst_port) s += " dport=" + std::to_string(*dst_port);
    if (icmp_type) s += " type=" + std::to_string(*icmp_type);
    if (icmp_code) s += " code=" + std::to_string(*icmp_code);
    if (icmp_id) s += " id=" + std::to_string(*icmp_id);
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Entry::to_string() const {
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

NSNET_LAZY_DEFINITION NSNET_DECL void put_tuple(nl::MessageBuilder& m, std::uint16_t type, const Tuple& t) {
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

NSNET_LAZY_DEFINITION NSNET_DECL Tuple decode_tuple(const nl::Attr& a) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Entry> EntryDecoder::operator()(const nl::MessageView& m) const {
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

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ct_dump(unsigned char family) {
    nl::MessageBuilder m(message_type(IPCTNL_MSG_CT_GET), NLM_F_DUMP);
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = NFNETLINK_V0;
    m.put_header(g);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ct_dump(const DumpFilter& f) {
    const bool tuple = f.protocol || f.orig_src || f.orig_dst || f.orig_src_port || f.orig_dst_port;
    if (tuple && f.family != AF_INET && f.family != AF_INET6)
        nl::malformed("a conntrack dump filter on the original tuple needs family AF_INET or AF_INET6, not " +
                      std::to_string(f.family));
    for (const std::optional<IpAddress>& a : {f.orig_src, f.orig_dst})
        if (a && a->af() != f.family)
            nl::malformed("conntrack dump filter address " + a->to_string() + " is not of the dump's family " +
                          std::to_string(f.family));
    if ((f.orig_src_port || f.orig_dst_port) && !f.protocol)
        nl::malformed("a conntrack dump filter on ports needs a protocol (the kernel refuses ports without one)");
    nl::MessageBuilder m = ct_dump(f.family);
    if (tuple) {
        std::uint32_t flags = 0;
        {
            auto orig = m.nest(CTA_TUPLE_ORIG);
            if (f.orig_src || f.orig_dst) {
                auto ip = m.nest(CTA_TUPLE_IP);
                const bool v4 = f.family == AF_INET;
                if (f.orig_src) {
                    m.put_ip(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, *f.orig_src);
                    flags |= filter_flag::ip_src;
                }
                if (f.orig_dst) {
                    m.put_ip(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, *f.orig_dst);
                    flags |= filter_flag::ip_dst;
                }
            }
            if (f.protocol) {
                auto proto = m.nest(CTA_TUPLE_PROTO);
                m.put_u8(CTA_PROTO_NUM, *f.protocol);
                flags |= filter_flag::proto_num;
                if (f.orig_src_port) {
                    m.put_be16(CTA_PROTO_SRC_PORT, *f.orig_src_port);
                    flags |= filter_flag::proto_src_port;
                }
                if (f.orig_dst_port) {
                    m.put_be16(CTA_PROTO_DST_PORT, *f.orig_dst_port);
                    flags |= filter_flag::proto_dst_port;
                }
            }
        }
        auto filter = m.nest(CTA_FILTER);
        m.put_u32(CTA_FILTER_ORIG_FLAGS, flags);
    }
    if (f.mark) {
        m.put_be32(CTA_MARK, *f.mark);
        m.put_be32(CTA_MARK_MASK, 0xffffffffu);
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ct_count() {
    nl::MessageBuilder m(message_type(IPCTNL_MSG_CT_GET_STATS), 0);
    nfgenmsg g{};
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    m.put_header(g);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Count> CountDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != message_type(IPCTNL_MSG_CT_GET_STATS)) return std::nullopt;
    std::optional<std::uint32_t> entries, max;
    for (nl::Attr a : m.attrs<nfgenmsg>()) {
        if (a.type() == CTA_STATS_GLOBAL_ENTRIES) entries = a.be32();
        else if (a.type() == CTA_STATS_GLOBAL_MAX_ENTRIES) max = a.be32();
    }
    if (!entries) return std::nullopt;
    return Count{.entries = *entries, .max = max};
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder ct_delete(const Entry& e) {
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
