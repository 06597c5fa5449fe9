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

NSNET_LAZY NSNET_DECL void put_via(nl::MessageBuilder& m, const IpAddress& gw);
// RTA_GATEWAY when the gateway has the route's family, else RTA_VIA (as iproute2 chooses).
NSNET_LAZY NSNET_DECL void put_gateway(nl::MessageBuilder& m, Family family, const IpAddress& gw);
NSNET_LAZY NSNET_DECL std::size_t gateway_attr_size(Family family, const IpAddress& gw);

}  // namespace detail

// The RTM_NEWROUTE / RTM_DELROUTE body shared by route_new and route_del.
NSNET_LAZY NSNET_DECL nl::MessageBuilder route_message(std::uint16_t msg_type, std::uint16_t msg_flags, const RouteSpec& s);

// ip route add|replace|append ...
NSNET_LAZY NSNET_DECL nl::MessageBuilder route_new(const RouteSpec& s, RouteWrite mode = RouteWrite::Add);

// ip route del ... The kernel deletes the first route matching every field that is set.
NSNET_LAZY inline nl::MessageBuilder route_del(const RouteSpec& s) { return route_message(RTM_DELROUTE, 0, s); }

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
NSNET_LAZY NSNET_DECL nl::MessageBuilder route_get(const RouteQuery& q);

// ip [-4|-6] route show [table T]: a dump of one family (AF_UNSPEC: all). With a table, RTA_TABLE
// asks the kernel to filter (honoured only with NETLINK_GET_STRICT_CHK; callers filter too).
NSNET_LAZY NSNET_DECL nl::MessageBuilder route_dump(unsigned char family = AF_UNSPEC, std::uint32_t table = RT_TABLE_UNSPEC);

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
    nl::malformed("route prefix length " + std::to_string(dst_len > src_len ? dst_len : src_len) + " exceeds " + std::to_string(max_len));
}
NSNET_LAZY NSNET_DECL IpAddress route_ip(const nl::Attr& a, Family family);
NSNET_LAZY NSNET_DECL IpAddress route_via(const nl::Attr& a);

// Decodes RTA_MULTIPATH into `out` (cleared first; its storage is reused).
NSNET_LAZY NSNET_DECL void decode_multipath_into(const nl::Attr& a, Family family, std::vector<RoutePath>& out);
NSNET_LAZY NSNET_DECL std::vector<RoutePath> decode_multipath(const nl::Attr& a, Family family);

}  // namespace detail

// Decodes RTM_NEWROUTE / RTM_DELROUTE into `ri`, overwriting every field and reusing its storage
// (paths, dev): a dump can decode each of its routes into the same RouteInfo instead of building,
// moving and destroying one per message. Returns false, leaving `ri` untouched, for other message
// types and for families other than IPv4/IPv6. Malformed input throws Error(EBADMSG) (`ri` is then
// partly overwritten). A member added to RouteInfo must be reset here too.
NSNET_LAZY NSNET_DECL bool decode_route_into(const nl::MessageView& m, RouteInfo& ri);

// The type of rtnl::decode_route: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct RouteDecoder {
    NSNET_LAZY std::optional<RouteInfo> operator()(const nl::MessageView& m) const;  // decode_route(m)
};
// Decodes RTM_NEWROUTE / RTM_DELROUTE (dump entries, get answers, events). Returns nullopt for
// other message types and for families other than IPv4/IPv6. Malformed input throws Error(EBADMSG).
inline constexpr RouteDecoder decode_route{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/route.ipp"
#endif
