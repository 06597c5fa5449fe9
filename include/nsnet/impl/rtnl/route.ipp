// nsnet/impl/rtnl/route.ipp — the function bodies of <nsnet/rtnl/route.hpp>.
//
// Included at the end of nsnet/rtnl/route.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL void put_via(nl::MessageBuilder& m, const IpAddress& gw) {
    std::uint8_t buf[2 + 16] = {};
    std::uint16_t fam = static_cast<std::uint16_t>(gw.af());
    std::memcpy(buf, &fam, 2);
    std::memcpy(buf + 2, gw.data(), gw.size());
    m.put(RTA_VIA, buf, 2 + gw.size());
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_gateway(nl::MessageBuilder& m, Family family, const IpAddress& gw) {
    if (gw.family() == family) m.put_ip(RTA_GATEWAY, gw);
    else put_via(m, gw);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t gateway_attr_size(Family family, const IpAddress& gw) {
    return nl::align(sizeof(nlattr) + (gw.family() == family ? gw.size() : 2 + gw.size()));
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder route_message(std::uint16_t msg_type, std::uint16_t msg_flags, const RouteSpec& s) {
    const bool del = msg_type == RTM_DELROUTE;
    nl::MessageBuilder m(msg_type, msg_flags);
    rtmsg r{};
    r.rtm_family = static_cast<unsigned char>(s.family);
    r.rtm_dst_len = static_cast<unsigned char>(s.dst ? s.dst->length() : 0);
    r.rtm_src_len = static_cast<unsigned char>(s.src ? s.src->length() : 0);
    r.rtm_tos = s.tos;
    r.rtm_protocol = static_cast<unsigned char>(s.protocol ? *s.protocol : (del ? RouteProtocol::Unspec : RouteProtocol::Boot));
    r.rtm_type = static_cast<unsigned char>(s.type ? *s.type : (del ? RouteType::Unspec : RouteType::Unicast));
    r.rtm_flags = s.flags;

    std::uint32_t table = s.table;
    if (table == RT_TABLE_UNSPEC) table = detail::is_local_type(r.rtm_type) ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
    r.rtm_table = static_cast<unsigned char>(table < 256 ? table : RT_TABLE_UNSPEC);

    if (s.scope) {
        r.rtm_scope = static_cast<unsigned char>(*s.scope);
    } else {
        // iproute2 (iproute_modify): start from NOWHERE for delete, UNIVERSE for add, then refine.
        r.rtm_scope = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
        if (s.family == Family::V6) r.rtm_scope = RT_SCOPE_UNIVERSE;
        else if (detail::is_local_type(r.rtm_type)) r.rtm_scope = RT_SCOPE_HOST;
        else if (r.rtm_type == RTN_BROADCAST || r.rtm_type == RTN_MULTICAST || r.rtm_type == RTN_ANYCAST)
            r.rtm_scope = RT_SCOPE_LINK;
        else if (r.rtm_type == RTN_UNICAST || r.rtm_type == RTN_UNSPEC) {
            if (del) r.rtm_scope = RT_SCOPE_NOWHERE;
            else if (!s.gateway && s.paths.empty() && !s.nh_id) r.rtm_scope = RT_SCOPE_LINK;
        }
    }
    m.put_header(r);

    // Attribute order: iproute2's for `ip route add TYPE DST from SRC via GW src PREFSRC table T
    // metric M nhid N dev D nexthop ...` (parsed attributes in command-line order; dev and the
    // paths are added after parsing).
    if (s.dst) m.put_ip(RTA_DST, s.dst->address());
    if (s.src) m.put_ip(RTA_SRC, s.src->address());
    if (s.gateway) detail::put_gateway(m, s.family, *s.gateway);
    if (s.prefsrc) m.put_ip(RTA_PREFSRC, *s.prefsrc);
    if (table >= 256) m.put_u32(RTA_TABLE, table);
    if (s.metric) m.put_u32(RTA_PRIORITY, *s.metric);
    if (s.nh_id) m.put_u32(RTA_NH_ID, s.nh_id);
    if (s.oif) m.put_u32(RTA_OIF, static_cast<std::uint32_t>(s.oif));
    if (!s.paths.empty()) {
        auto mp = m.nest(RTA_MULTIPATH, false);
        for (const RoutePath& h : s.paths) {
            if (h.weight < 1 || h.weight > 256)
                invalid_argument("encode route", s.dst ? s.dst->to_string() : "default",
                                 "nexthop weight " + std::to_string(h.weight) + " is outside 1..256");
            rtnexthop nh{};
            nh.rtnh_len = static_cast<unsigned short>(sizeof nh + (h.gateway ? detail::gateway_attr_size(s.family, *h.gateway) : 0));
            nh.rtnh_flags = h.flags;
            nh.rtnh_hops = static_cast<unsigned char>(h.weight - 1);
            nh.rtnh_ifindex = h.ifindex;
            m.put_header(nh);
            if (h.gateway) detail::put_gateway(m, s.family, *h.gateway);
        }
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder route_new(const RouteSpec& s, RouteWrite mode) {
    std::uint16_t flags = NLM_F_CREATE;
    switch (mode) {
        case RouteWrite::Add: flags |= NLM_F_EXCL; break;
        case RouteWrite::Replace: flags |= NLM_F_REPLACE; break;
        case RouteWrite::Append: flags |= NLM_F_APPEND; break;
    }
    return route_message(RTM_NEWROUTE, flags, s);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder route_get(const RouteQuery& q) {
    nl::MessageBuilder m(RTM_GETROUTE, 0);
    rtmsg r{};
    r.rtm_family = static_cast<unsigned char>(q.dst.af());
    r.rtm_dst_len = static_cast<unsigned char>(q.dst.size() * 8);
    if (q.src) r.rtm_src_len = static_cast<unsigned char>(q.src->size() * 8);
    if (q.dst.is_v4()) r.rtm_flags |= RTM_F_LOOKUP_TABLE;
    if (q.fib_match) r.rtm_flags |= RTM_F_FIB_MATCH;
    m.put_header(r);
    m.put_ip(RTA_DST, q.dst);
    if (q.src) m.put_ip(RTA_SRC, *q.src);
    if (q.iif) m.put_u32(RTA_IIF, static_cast<std::uint32_t>(q.iif));
    if (q.oif) m.put_u32(RTA_OIF, static_cast<std::uint32_t>(q.oif));
    if (q.mark) m.put_u32(RTA_MARK, *q.mark);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder route_dump(unsigned char family, std::uint32_t table) {
    nl::MessageBuilder m(RTM_GETROUTE, NLM_F_DUMP);
    rtmsg r{};
    r.rtm_family = family;
    m.put_header(r);
    if (table != RT_TABLE_UNSPEC) m.put_u32(RTA_TABLE, table);
    return m;
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress route_ip(const nl::Attr& a, Family family) {
    IpAddress ip = a.ip();
    if (ip.family() != family) [[unlikely]]
        route_ip_wrong_family(a);
    return ip;
}

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress route_via(const nl::Attr& a) {
    if (a.size() < 2) nl::malformed("RTA_VIA shorter than its family field");
    std::uint16_t fam;
    std::memcpy(&fam, a.payload().data(), 2);
    auto ip = IpAddress::from_bytes(a.payload().data() + 2, a.size() - 2);
    if (!ip || ip->af() != fam) nl::malformed("RTA_VIA holds no address of family " + std::to_string(fam));
    return *ip;
}

NSNET_LAZY_DEFINITION NSNET_DECL void decode_multipath_into(const nl::Attr& a, Family family, std::vector<RoutePath>& out) {
    out.clear();
    nl::Bytes rest = a.payload();
    while (!rest.empty()) {
        rtnexthop nh;
        if (rest.size() < sizeof nh) nl::malformed("RTA_MULTIPATH: nexthop header truncated");
        std::memcpy(&nh, rest.data(), sizeof nh);
        if (nh.rtnh_len < sizeof nh || nh.rtnh_len > rest.size())
            nl::malformed("RTA_MULTIPATH: nexthop claims length " + std::to_string(nh.rtnh_len) + " with " +
                          std::to_string(rest.size()) + " bytes left");
        RoutePath h{};
        h.ifindex = nh.rtnh_ifindex;
        h.flags = nh.rtnh_flags;
        h.weight = nh.rtnh_hops + 1u;
        for (nl::Attr na : nl::AttrRange(rest.subspan(sizeof nh, nh.rtnh_len - sizeof nh))) {
            if (na.type() == RTA_GATEWAY) h.gateway = route_ip(na, family);
            else if (na.type() == RTA_VIA) h.gateway = route_via(na);
        }
        out.push_back(std::move(h));
        std::size_t step = nl::align(nh.rtnh_len);
        rest = step >= rest.size() ? nl::Bytes{} : rest.subspan(step);
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<RoutePath> decode_multipath(const nl::Attr& a, Family family) {
    std::vector<RoutePath> out;
    decode_multipath_into(a, family, out);
    return out;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL bool decode_route_into(const nl::MessageView& m, RouteInfo& ri) {
    if (m.type() != RTM_NEWROUTE && m.type() != RTM_DELROUTE) return false;
    auto r = m.family_header<rtmsg>();
    if (r.rtm_family != AF_INET && r.rtm_family != AF_INET6) return false;
    const Family family = static_cast<Family>(r.rtm_family);
    const unsigned max_len = family == Family::V4 ? 32 : 128;
    if (r.rtm_dst_len > max_len || r.rtm_src_len > max_len) [[unlikely]]
        detail::route_prefix_too_long(r.rtm_dst_len, r.rtm_src_len, max_len);
    ri.family = family;
    const std::array<std::uint8_t, 16> zero{};
    ri.dst = Prefix(*IpAddress::from_bytes(zero.data(), family == Family::V4 ? 4 : 16), r.rtm_dst_len);
    ri.src.reset();
    ri.tos = r.rtm_tos;
    ri.table = r.rtm_table;
    ri.protocol = static_cast<RouteProtocol>(r.rtm_protocol);
    ri.scope = static_cast<Scope>(r.rtm_scope);
    ri.type = static_cast<RouteType>(r.rtm_type);
    ri.flags = r.rtm_flags;
    ri.gateway.reset();
    ri.prefsrc.reset();
    ri.oif = 0;
    ri.iif = 0;
    ri.metric = 0;
    ri.nh_id = 0;
    ri.mtu.reset();
    ri.pref.reset();
    ri.paths.clear();
    ri.dev.clear();
    for (nl::Attr a : m.attrs<rtmsg>()) {
        switch (a.type()) {
            case RTA_DST: ri.dst = Prefix(detail::route_ip(a, family), r.rtm_dst_len); break;
            case RTA_SRC: ri.src = Prefix(detail::route_ip(a, family), r.rtm_src_len); break;
            case RTA_GATEWAY: ri.gateway = detail::route_ip(a, family); break;
            case RTA_VIA: ri.gateway = detail::route_via(a); break;
            case RTA_PREFSRC: ri.prefsrc = detail::route_ip(a, family); break;
            case RTA_OIF: ri.oif = static_cast<int>(a.u32()); break;
            case RTA_IIF: ri.iif = static_cast<int>(a.u32()); break;
            case RTA_PRIORITY: ri.metric = a.u32(); break;
            case RTA_TABLE: ri.table = a.u32(); break;
            case RTA_NH_ID: ri.nh_id = a.u32(); break;
            case RTA_PREF: ri.pref = a.u8(); break;
            case RTA_MULTIPATH: detail::decode_multipath_into(a, family, ri.paths); break;
            case RTA_METRICS:
                for (nl::Attr x : a.nested())
                    if (x.type() == RTAX_MTU) ri.mtu = x.u32();
                break;
            default: break;
        }
    }
    return true;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<RouteInfo> RouteDecoder::operator()(const nl::MessageView& m) const {
    std::optional<RouteInfo> out(std::in_place);
    if (!decode_route_into(m, *out)) return std::nullopt;
    return out;
}

}  // namespace nsnet::rtnl
