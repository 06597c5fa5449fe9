// nsnet/rtnl/nexthop.hpp — RTM_NEWNEXTHOP / RTM_DELNEXTHOP / RTM_GETNEXTHOP (nexthop objects, Linux 5.3+).
//
// Layer: rtnetlink messages, no I/O. A nexthop object is a gateway/device (or a blackhole, or a
// weighted group of other nexthops) with an id that routes refer to (RTA_NH_ID, `ip route add ...
// nhid N`). One value type, rtnl::Nexthop, is both what nexthop_new() sends and what
// decode_nexthop() returns. It does not resolve device names.
//
// Encoding follows iproute2 6.1 (tests/unit/golden/nexthop_*): NHA_ID first, then NHA_GATEWAY and
// NHA_OIF (`ip nexthop add id 1 via GW dev DEV`); a group has family AF_UNSPEC and NHA_GROUP, an
// array of struct nexthop_grp whose weight byte is weight-1 (`group 1/2,3` = {1, 0} {2, 2}).
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include <cstddef>
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

#ifndef RTM_NEWNEXTHOP
#define RTM_NEWNEXTHOP 104
#define RTM_DELNEXTHOP 105
#define RTM_GETNEXTHOP 106
#endif

namespace nsnet::rtnl {

// One member of a nexthop group: the member's id and its weight (1..256 on every kernel with
// nexthop objects, up to 65536 since Linux 6.12).
struct NexthopGroupMember {
    std::uint32_t id = 0;
    std::uint32_t weight = 1;
    friend bool operator==(const NexthopGroupMember&, const NexthopGroupMember&) = default;
};

enum class NexthopGroupType : std::uint16_t {
    Multipath = NEXTHOP_GRP_TYPE_MPATH,   // hash-threshold (`type mpath`, the default)
    Resilient = 1,                        // NEXTHOP_GRP_TYPE_RES (`type resilient`, Linux 5.13+)
};

// A nexthop object (`ip nexthop show` line). Exactly one of: a gateway and/or device, a blackhole,
// or a group.
struct Nexthop {
    std::uint32_t id = 0;                       // NHA_ID; 0 on add: the kernel picks one
    Family family = Family::V4;                 // of the gateway (groups and blackholes: see unspec_family)
    bool unspec_family = false;                 // nhmsg family AF_UNSPEC (groups; decoded)
    std::optional<IpAddress> gateway{};         // NHA_GATEWAY (`via`)
    int oif = 0;                                // NHA_OIF (`dev`), ifindex
    bool blackhole = false;                     // NHA_BLACKHOLE
    bool onlink = false;                        // RTNH_F_ONLINK: gateway need not be on a connected subnet
    bool fdb = false;                           // NHA_FDB: used by bridge/vxlan FDB entries
    std::vector<NexthopGroupMember> group{};    // NHA_GROUP (`group 1/2,3`)
    NexthopGroupType group_type = NexthopGroupType::Multipath;
    std::uint8_t protocol = 0;                  // nh_protocol (who added it)
    std::uint8_t scope = 0;                     // nh_scope (decoded)
    std::uint32_t flags = 0;                    // decoded RTNH_F_* flags other than ONLINK (DEAD, LINKDOWN)

    bool is_group() const noexcept { return !group.empty(); }
    friend bool operator==(const Nexthop&, const Nexthop&) = default;
};

// `id 1 via 10.0.0.1 dev #3`, `id 10 group 1/2,3`, `id 5 blackhole`.
NSNET_LAZY NSNET_DECL std::string describe(const Nexthop& n);

// ip nexthop add|replace id N (via GW dev DEV | dev DEV | blackhole | group A[,W]/B[,W]...) [onlink] [fdb].
// Throws InvalidArgument for a nexthop that mixes kinds (a group with a gateway, ...) or a weight
// outside 1..65536.
NSNET_LAZY NSNET_DECL nl::MessageBuilder nexthop_new(const Nexthop& n, bool replace = false);

// ip nexthop del id N
NSNET_LAZY NSNET_DECL nl::MessageBuilder nexthop_del(std::uint32_t id);

// ip nexthop get id N (a single RTM_GETNEXTHOP; the answer is one RTM_NEWNEXTHOP).
NSNET_LAZY NSNET_DECL nl::MessageBuilder nexthop_get(std::uint32_t id);

// ip nexthop show (dump of every family).
NSNET_LAZY NSNET_DECL nl::MessageBuilder nexthop_dump();

// The type of rtnl::decode_nexthop: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct NexthopDecoder {
    NSNET_LAZY std::optional<Nexthop> operator()(const nl::MessageView& m) const;  // decode_nexthop(m)
};
// Decodes RTM_NEWNEXTHOP / RTM_DELNEXTHOP; nullopt for other types. Throws Error(EBADMSG) on
// malformed input (a group array whose size is not a multiple of 8, a bad gateway size, ...).
inline constexpr NexthopDecoder decode_nexthop{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/nexthop.ipp"
#endif
