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
NSNET_DECL std::string to_string(NeighborState s);

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
NSNET_DECL std::string describe(const Neighbor& n);

namespace detail {

NSNET_DECL nl::MessageBuilder neighbor_message(std::uint16_t type, std::uint16_t flags, const Neighbor& n,
                                               const char* operation);

}  // namespace detail

// ip neigh add ADDR [lladdr MAC] dev DEV [nud STATE] [router] / ip neigh add proxy ADDR dev DEV.
// NLM_F_CREATE|NLM_F_EXCL: an existing entry is an error (EEXIST); replace=true is `ip neigh replace`.
NSNET_DECL nl::MessageBuilder neighbor_new(const Neighbor& n, bool replace = false);

// ip neigh del ADDR dev DEV (the header keeps the entry's state, as ip's does). Only index, address
// and proxy matter to the kernel.
NSNET_DECL nl::MessageBuilder neighbor_del(const Neighbor& n);

// ip neigh show [dev DEV] (dump). family AF_UNSPEC lists IPv4 and IPv6; ifindex > 0 asks the kernel
// to list one device only (NDA_IFINDEX); proxy=true lists the proxy entries instead (`ip neigh show
// proxy`), which a normal dump does not contain.
NSNET_DECL nl::MessageBuilder neighbor_dump(unsigned char family = AF_UNSPEC, int ifindex = 0, bool proxy = false);

// Decodes RTM_NEWNEIGH / RTM_DELNEIGH of an IPv4/IPv6 neighbour; nullopt for other messages and for
// bridge FDB entries (AF_BRIDGE). Throws Error(EBADMSG) on malformed input.
NSNET_DECL std::optional<Neighbor> decode_neighbor(const nl::MessageView& m);

#if NSNET_DEFINITIONS

NSNET_DECL std::string to_string(NeighborState s) {
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

NSNET_DECL std::string describe(const Neighbor& n) {
    std::string s = n.address.to_string() + " dev #" + std::to_string(n.index);
    if (n.lladdr) s += " lladdr " + n.lladdr->to_string();
    if (n.router) s += " router";
    if (n.proxy) s += " proxy";
    else s += " " + to_string(n.state);
    return s;
}

namespace detail {

NSNET_DECL nl::MessageBuilder neighbor_message(std::uint16_t type, std::uint16_t flags, const Neighbor& n,
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

NSNET_DECL nl::MessageBuilder neighbor_new(const Neighbor& n, bool replace) {
    return detail::neighbor_message(RTM_NEWNEIGH,
                                    replace ? (NLM_F_CREATE | NLM_F_REPLACE) : (NLM_F_CREATE | NLM_F_EXCL), n,
                                    replace ? "replace neighbor" : "add neighbor");
}

NSNET_DECL nl::MessageBuilder neighbor_del(const Neighbor& n) {
    Neighbor k{};
    k.index = n.index;
    k.address = n.address;
    k.state = n.state;
    k.proxy = n.proxy;
    k.router = false;
    return detail::neighbor_message(RTM_DELNEIGH, 0, k, "delete neighbor");
}

NSNET_DECL nl::MessageBuilder neighbor_dump(unsigned char family, int ifindex, bool proxy) {
    nl::MessageBuilder m(RTM_GETNEIGH, NLM_F_DUMP);
    ndmsg nd{};
    nd.ndm_family = family;
    if (proxy) nd.ndm_flags = NTF_PROXY;
    m.put_header(nd);
    if (ifindex > 0) m.put_u32(NDA_IFINDEX, static_cast<std::uint32_t>(ifindex));
    return m;
}

NSNET_DECL std::optional<Neighbor> decode_neighbor(const nl::MessageView& m) {
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

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::rtnl
