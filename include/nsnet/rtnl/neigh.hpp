// nsnet/rtnl/neigh.hpp — RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH for ARP (IPv4) and NDP (IPv6).
//
// Layer: rtnetlink messages, no I/O. One value type, rtnl::Neighbor, is what the encoders send
// (`ip neigh add|replace|del`) and what decode_neighbor() returns for a dumped entry or an event.
// Bridge forwarding-database entries (family AF_BRIDGE, `bridge fdb`) use the same message types
// but are not neighbours: decode_neighbor() returns nullopt for them (see fdb.hpp).
//
// Encoding follows iproute2 6.1 (tests/unit/golden/neigh_*): ip's default state is NUD_PERMANENT,
// also left in the header of a delete; NDA_DST before NDA_LLADDR; `router` is NTF_ROUTER, `proxy`
// NTF_PROXY with no lladdr.
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::rtnl {

// Neighbour Unreachability Detection state (`nud ...`). The values are the kernel's NUD_* bits; a
// decoded entry usually has exactly one of them.
enum class NeighborState : std::uint16_t {
    None = NUD_NONE,
    Incomplete = NUD_INCOMPLETE,
    Reachable = NUD_REACHABLE,
    Stale = NUD_STALE,
    Delay = NUD_DELAY,
    Probe = NUD_PROBE,
    Failed = NUD_FAILED,
    Noarp = NUD_NOARP,
    Permanent = NUD_PERMANENT,
};

// "permanent", "reachable", ... ; combined bits are joined with '|' ("noarp|permanent").
NSNET_LAZY NSNET_DECL std::string to_string(NeighborState s);

// One ARP/NDP entry (`ip neigh show` line), or a proxy entry (`ip neigh show proxy`).
struct Neighbor {
    int index = 0;                        // interface (ndm_ifindex)
    IpAddress address{};                  // NDA_DST; its family is the entry's family
    std::optional<MacAddress> lladdr{};   // NDA_LLADDR (absent for proxy and incomplete entries)
    NeighborState state = NeighborState::Permanent;
    bool router = false;                  // NTF_ROUTER (IPv6: the neighbour is a router)
    bool proxy = false;                   // NTF_PROXY: a proxy-ARP/NDP entry, not a cache entry
    std::uint8_t flags = 0;               // decoded ndm_flags other than ROUTER and PROXY
    std::uint8_t protocol = 0;            // NDA_PROTOCOL (who added it), 0 when not reported

    Family family() const noexcept { return address.family(); }
    friend bool operator==(const Neighbor&, const Neighbor&) = default;
};

// "10.0.0.2 lladdr 02:00:00:00:00:02 REACHABLE"-like text (the device shown as its index).
NSNET_LAZY NSNET_DECL std::string describe(const Neighbor& n);

namespace detail {

NSNET_LAZY NSNET_DECL nl::MessageBuilder neighbor_message(std::uint16_t type, std::uint16_t flags, const Neighbor& n,
                                               const char* operation);

}  // namespace detail

// ip neigh add ADDR [lladdr MAC] dev DEV [nud STATE] [router] / ip neigh add proxy ADDR dev DEV.
// NLM_F_CREATE|NLM_F_EXCL: an existing entry is an error (EEXIST); replace=true is `ip neigh replace`.
NSNET_LAZY NSNET_DECL nl::MessageBuilder neighbor_new(const Neighbor& n, bool replace = false);

// ip neigh del ADDR dev DEV (the header keeps the entry's state, as ip's does). Only index, address
// and proxy matter to the kernel.
NSNET_LAZY NSNET_DECL nl::MessageBuilder neighbor_del(const Neighbor& n);

// ip neigh show [dev DEV] (dump). family AF_UNSPEC lists IPv4 and IPv6; ifindex > 0 asks the kernel
// to list one device only (NDA_IFINDEX); proxy=true lists the proxy entries instead (`ip neigh show
// proxy`), which a normal dump does not contain.
NSNET_LAZY NSNET_DECL nl::MessageBuilder neighbor_dump(unsigned char family = AF_UNSPEC, int ifindex = 0, bool proxy = false);

// The type of rtnl::decode_neighbor: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct NeighborDecoder {
    NSNET_LAZY std::optional<Neighbor> operator()(const nl::MessageView& m) const;  // decode_neighbor(m)
};
// Decodes RTM_NEWNEIGH / RTM_DELNEIGH of an IPv4/IPv6 neighbour; nullopt for other messages and for
// bridge FDB entries (AF_BRIDGE). Throws Error(EBADMSG) on malformed input.
inline constexpr NeighborDecoder decode_neighbor{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/neigh.ipp"
#endif
