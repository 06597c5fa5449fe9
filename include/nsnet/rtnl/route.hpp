// nsnet/rtnl/route.hpp — RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE messages, encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. route_new/route_del/route_get/route_dump build requests whose
// bytes equal what `ip route add|replace|append|del|get|show` sends for the same route
// (tests/unit/golden/route_*.txt): iproute2's header defaults (RT_TABLE_MAIN, RTPROT_BOOT, link
// scope for an IPv4 route with neither gateway nor paths, host scope and the local table for
// `local` routes, protocol/type 0 and scope NOWHERE on delete), table ids above 255 in RTA_TABLE
// only, and its attribute order. decode_route() turns a kernel RTM_NEWROUTE into a RouteInfo.
//
// It does not resolve names or parse text: the typed layer (nsnet/route.hpp) does that and checks
// the input before anything is sent. MPLS and multicast (ipmr) routes are not decoded.
#pragma once

#include <linux/rtnetlink.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/addr.hpp"  // Scope

namespace nsnet::rtnl {

// rtm_type: what the route does with a packet (ip route add TYPE PREFIX ...).
enum class RouteType : std::uint8_t {
    Unspec = RTN_UNSPEC,
    Unicast = RTN_UNICAST,          // forward (the default)
    Local = RTN_LOCAL,              // deliver locally (table local)
    Broadcast = RTN_BROADCAST,
    Anycast = RTN_ANYCAST,
    Multicast = RTN_MULTICAST,
    Blackhole = RTN_BLACKHOLE,      // drop silently
    Unreachable = RTN_UNREACHABLE,  // drop, ICMP host unreachable (EHOSTUNREACH locally)
    Prohibit = RTN_PROHIBIT,        // drop, ICMP administratively prohibited (EACCES locally)
    Throw = RTN_THROW,              // continue with the next rule
    Nat = RTN_NAT,
};

// rtm_protocol: who installed the route. Any value 0..255 is valid (cast one in); these are the
// names /etc/iproute2/rt_protos gives.
enum class RouteProtocol : std::uint8_t {
    Unspec = RTPROT_UNSPEC,
    Redirect = RTPROT_REDIRECT,
    Kernel = RTPROT_KERNEL,  // added by the kernel for an address's subnet
    Boot = RTPROT_BOOT,      // ip route add's default
    Static = RTPROT_STATIC,
    Ra = RTPROT_RA,
    Zebra = RTPROT_ZEBRA,
    Bird = RTPROT_BIRD,
    Dhcp = RTPROT_DHCP,
    Babel = RTPROT_BABEL,
    Bgp = RTPROT_BGP,
    Isis = RTPROT_ISIS,
    Ospf = RTPROT_OSPF,
    Rip = RTPROT_RIP,
};

// Routing table ids are plain numbers: RT_TABLE_MAIN 254 (`table main`), RT_TABLE_LOCAL 255,
// RT_TABLE_DEFAULT 253; 0 (RT_TABLE_UNSPEC) means "choose as ip does" in requests. (The named
// constants rtnl::table_main etc. live in rtnl/rule.hpp.)

// One path of a multipath route (RTA_MULTIPATH: ip route add ... nexthop via A weight 1 nexthop ...).
// Not a nexthop object (rtnl/nexthop.hpp, `ip nexthop`), which routes refer to by id (nh_id).
struct RoutePath {
    std::optional<IpAddress> gateway{};
    int ifindex = 0;            // 0: let the kernel find the device from the gateway
    unsigned weight = 1;        // 1..256 (sent as rtnh_hops = weight - 1)
    std::uint8_t flags = 0;     // RTNH_F_ONLINK in requests; RTNH_F_DEAD / RTNH_F_LINKDOWN when decoded
    std::string dev{};          // decoded routes: the device's name when the typed layer knows it

    friend bool operator==(const RoutePath&, const RoutePath&) = default;
};

// A route request: what `ip route add|del` would send. Unset optionals take iproute2's defaults.
struct RouteSpec {
    Family family = Family::V4;
    std::optional<Prefix> dst{};            // nullopt: "default" (dst_len 0, no RTA_DST), like `ip route add default`
    std::optional<Prefix> src{};            // `from PREFIX` (source-specific routes, IPv6)
    std::optional<IpAddress> gateway{};     // `via`: RTA_GATEWAY, or RTA_VIA for an IPv6 gateway of an IPv4 route
    std::optional<IpAddress> prefsrc{};     // `src ADDR`
    std::uint32_t table = RT_TABLE_UNSPEC;  // 0: main (local for Local/Nat routes)
    std::optional<std::uint32_t> metric{};  // `metric N` (RTA_PRIORITY)
    std::optional<RouteProtocol> protocol{};  // nullopt: Boot on add, Unspec (any) on delete
    std::optional<Scope> scope{};           // nullopt: iproute2's choice (see the file comment)
    std::optional<RouteType> type{};        // nullopt: Unicast on add, Unspec (any) on delete
    std::uint32_t nh_id = 0;                // `nhid N` (a nexthop object)
    int oif = 0;                            // `dev`: ifindex (RTA_OIF)
    std::vector<RoutePath> paths{};         // multipath: RTA_MULTIPATH, one entry per path
    std::uint32_t flags = 0;                // rtm_flags: RTNH_F_ONLINK (`onlink`)
    std::uint8_t tos = 0;
};

// How RTM_NEWROUTE treats an existing route with the same key (ip route add|replace|append).
enum class RouteWrite {
    Add,      // NLM_F_CREATE|NLM_F_EXCL: fail with EEXIST
    Replace,  // NLM_F_CREATE|NLM_F_REPLACE
    Append,   // NLM_F_CREATE|NLM_F_APPEND: add another route with the same key (IPv6: another path)
};

namespace detail {

inline bool is_local_type(std::uint8_t t) { return t == RTN_LOCAL || t == RTN_NAT; }

NSNET_DECL void put_via(nl::MessageBuilder& m, const IpAddress& gw);
// RTA_GATEWAY when the gateway has the route's family, else RTA_VIA (as iproute2 chooses).
NSNET_DECL void put_gateway(nl::MessageBuilder& m, Family family, const IpAddress& gw);
NSNET_DECL std::size_t gateway_attr_size(Family family, const IpAddress& gw);

}  // namespace detail

// The RTM_NEWROUTE / RTM_DELROUTE body shared by route_new and route_del.
NSNET_DECL nl::MessageBuilder route_message(std::uint16_t msg_type, std::uint16_t msg_flags, const RouteSpec& s);

// ip route add|replace|append ...
NSNET_DECL nl::MessageBuilder route_new(const RouteSpec& s, RouteWrite mode = RouteWrite::Add);

// ip route del ... The kernel deletes the first route matching every field that is set.
inline nl::MessageBuilder route_del(const RouteSpec& s) { return route_message(RTM_DELROUTE, 0, s); }

// What `ip route get` asks: which route would a packet to dst take.
struct RouteQuery {
    IpAddress dst{};
    std::optional<IpAddress> src{};          // `from ADDR`
    int iif = 0;                             // `iif DEV`: as if received on DEV (needs src)
    int oif = 0;                             // `oif DEV`: force the output device
    std::optional<std::uint32_t> mark{};     // `mark N`
    bool fib_match = false;                  // `fibmatch`: answer with the matching FIB entry itself
};

// ip route get ... : REQUEST only (the transport may add NLM_F_ACK); IPv4 asks for the table id
// (RTM_F_LOOKUP_TABLE) as iproute2 does.
NSNET_DECL nl::MessageBuilder route_get(const RouteQuery& q);

// ip [-4|-6] route show [table T]: a dump of one family (AF_UNSPEC: all). With a table, RTA_TABLE
// asks the kernel to filter (honoured only with NETLINK_GET_STRICT_CHK; callers filter too).
NSNET_DECL nl::MessageBuilder route_dump(unsigned char family = AF_UNSPEC, std::uint32_t table = RT_TABLE_UNSPEC);

// A route as the kernel reports it (ip route show / ip route get). A new member must also be reset
// in decode_route_into().
struct RouteInfo {
    Family family = Family::V4;
    Prefix dst{};                           // 0.0.0.0/0 or ::/0 for a default route
    std::optional<Prefix> src{};            // source prefix (from)
    std::uint8_t tos = 0;
    std::uint32_t table = 0;                // RTA_TABLE when present, else rtm_table
    RouteProtocol protocol = RouteProtocol::Unspec;
    Scope scope = Scope::Universe;
    RouteType type = RouteType::Unicast;
    std::uint32_t flags = 0;                // rtm_flags: RTM_F_CLONED, RTNH_F_ONLINK, RTNH_F_LINKDOWN, ...
    std::optional<IpAddress> gateway{};     // RTA_GATEWAY or RTA_VIA
    std::optional<IpAddress> prefsrc{};
    int oif = 0;
    int iif = 0;
    std::uint32_t metric = 0;               // RTA_PRIORITY (IPv6 always has one; IPv4 0 when none)
    std::uint32_t nh_id = 0;
    std::optional<std::uint32_t> mtu{};     // RTA_METRICS RTAX_MTU
    std::optional<std::uint8_t> pref{};     // IPv6 router preference (RTA_PREF)
    std::vector<RoutePath> paths{};         // multipath: RTA_MULTIPATH, one entry per path
    std::string dev{};                      // name of oif, filled in by the typed layer

    bool is_default() const noexcept { return dst.length() == 0; }
};

namespace detail {

[[noreturn, gnu::cold, gnu::noinline]] inline void route_ip_wrong_family(const nl::Attr& a) {
    nl::malformed("route attribute " + std::to_string(a.type()) + " has " + std::to_string(a.size()) +
                  " bytes, which is not an address of the route's family");
}
[[noreturn, gnu::cold, gnu::noinline]] inline void route_prefix_too_long(unsigned dst_len, unsigned src_len, unsigned max_len) {
    nl::malformed("route prefix length " + std::to_string(std::max(dst_len, src_len)) + " exceeds " + std::to_string(max_len));
}
NSNET_DECL IpAddress route_ip(const nl::Attr& a, Family family);
NSNET_DECL IpAddress route_via(const nl::Attr& a);

// Decodes RTA_MULTIPATH into `out` (cleared first; its storage is reused).
NSNET_DECL void decode_multipath_into(const nl::Attr& a, Family family, std::vector<RoutePath>& out);
NSNET_DECL std::vector<RoutePath> decode_multipath(const nl::Attr& a, Family family);

}  // namespace detail

// Decodes RTM_NEWROUTE / RTM_DELROUTE into `ri`, overwriting every field and reusing its storage
// (paths, dev): a dump can decode each of its routes into the same RouteInfo instead of building,
// moving and destroying one per message. Returns false, leaving `ri` untouched, for other message
// types and for families other than IPv4/IPv6. Malformed input throws Error(EBADMSG) (`ri` is then
// partly overwritten). A member added to RouteInfo must be reset here too.
NSNET_DECL bool decode_route_into(const nl::MessageView& m, RouteInfo& ri);

// Decodes RTM_NEWROUTE / RTM_DELROUTE (dump entries, get answers, events). Returns nullopt for
// other message types and for families other than IPv4/IPv6. Malformed input throws Error(EBADMSG).
NSNET_DECL std::optional<RouteInfo> decode_route(const nl::MessageView& m);

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL void put_via(nl::MessageBuilder& m, const IpAddress& gw) {
    std::uint8_t buf[2 + 16] = {};
    std::uint16_t fam = static_cast<std::uint16_t>(gw.af());
    std::memcpy(buf, &fam, 2);
    std::memcpy(buf + 2, gw.data(), gw.size());
    m.put(RTA_VIA, buf, 2 + gw.size());
}

NSNET_DECL void put_gateway(nl::MessageBuilder& m, Family family, const IpAddress& gw) {
    if (gw.family() == family) m.put_ip(RTA_GATEWAY, gw);
    else put_via(m, gw);
}

NSNET_DECL std::size_t gateway_attr_size(Family family, const IpAddress& gw) {
    return nl::align(sizeof(nlattr) + (gw.family() == family ? gw.size() : 2 + gw.size()));
}

}  // namespace detail

NSNET_DECL nl::MessageBuilder route_message(std::uint16_t msg_type, std::uint16_t msg_flags, const RouteSpec& s) {
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

NSNET_DECL nl::MessageBuilder route_new(const RouteSpec& s, RouteWrite mode) {
    std::uint16_t flags = NLM_F_CREATE;
    switch (mode) {
        case RouteWrite::Add: flags |= NLM_F_EXCL; break;
        case RouteWrite::Replace: flags |= NLM_F_REPLACE; break;
        case RouteWrite::Append: flags |= NLM_F_APPEND; break;
    }
    return route_message(RTM_NEWROUTE, flags, s);
}

NSNET_DECL nl::MessageBuilder route_get(const RouteQuery& q) {
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

NSNET_DECL nl::MessageBuilder route_dump(unsigned char family, std::uint32_t table) {
    nl::MessageBuilder m(RTM_GETROUTE, NLM_F_DUMP);
    rtmsg r{};
    r.rtm_family = family;
    m.put_header(r);
    if (table != RT_TABLE_UNSPEC) m.put_u32(RTA_TABLE, table);
    return m;
}

namespace detail {

NSNET_DECL IpAddress route_ip(const nl::Attr& a, Family family) {
    IpAddress ip = a.ip();
    if (ip.family() != family) [[unlikely]]
        route_ip_wrong_family(a);
    return ip;
}

NSNET_DECL IpAddress route_via(const nl::Attr& a) {
    if (a.size() < 2) nl::malformed("RTA_VIA shorter than its family field");
    std::uint16_t fam;
    std::memcpy(&fam, a.payload().data(), 2);
    auto ip = IpAddress::from_bytes(a.payload().data() + 2, a.size() - 2);
    if (!ip || ip->af() != fam) nl::malformed("RTA_VIA holds no address of family " + std::to_string(fam));
    return *ip;
}

NSNET_DECL void decode_multipath_into(const nl::Attr& a, Family family, std::vector<RoutePath>& out) {
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

NSNET_DECL std::vector<RoutePath> decode_multipath(const nl::Attr& a, Family family) {
    std::vector<RoutePath> out;
    decode_multipath_into(a, family, out);
    return out;
}

}  // namespace detail

NSNET_DECL bool decode_route_into(const nl::MessageView& m, RouteInfo& ri) {
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

NSNET_DECL std::optional<RouteInfo> decode_route(const nl::MessageView& m) {
    std::optional<RouteInfo> out(std::in_place);
    if (!decode_route_into(m, *out)) return std::nullopt;
    return out;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::rtnl
