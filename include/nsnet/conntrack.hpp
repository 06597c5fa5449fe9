// nsnet/conntrack.hpp — the connection tracking table of a namespace: list and delete entries.
//
// Layer: typed objects (do I/O) over ctnl/conntrack.hpp. Talks ctnetlink on a NETLINK_NETFILTER
// socket opened inside the namespace (the caller's thread never moves).
//
//   // conntrack -L -p udp --orig-port-dst 5353            (inside ns)
//   auto entries = Conntrack::list(ns, {.protocol = IPPROTO_UDP, .orig_dst_port = 5353});
//   // conntrack -D -p udp --orig-port-dst 5353: what a port mapping that moved (CNI portmap, UDP)
//   // must do so that a client that keeps sending reaches the new backend
//   std::size_t n = Conntrack::remove(ns, {.family = Family::V4, .protocol = IPPROTO_UDP,
//                                          .orig_dst_port = 5353});
//
// remove() dumps the table, then deletes each matching entry by its original tuple, zone and
// CTA_ID (so an entry recycled for the same tuple meanwhile is not hit), as conntrack -D does but
// in one batch of requests acked only on failure (nl::Batch); an
// entry that vanished in between (timed out, deleted by someone else) is not an error and is not
// counted. Entries are read-only values (ctnl::Entry): nsnet creates none, so there is no owner.
// A namespace tracks connections only once something registered conntrack hooks there (a NAT rule,
// an nft `ct` match); before that the table is simply empty.
//
// Not covered: creating/updating entries, events, expectations, the kernel's CTA_FILTER dump.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede uapi headers

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/ctnl/conntrack.hpp"
#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"

namespace nsnet {

using ConntrackEntry = ctnl::Entry;
using ConntrackTuple = ctnl::Tuple;

// Which entries list()/remove() select; every member set must match (unset: anything). The
// addresses and ports are those of the ORIGINAL direction, as conntrack's --orig-* options.
// Addresses are text or an IpAddress (AddressArg); bad text is an InvalidArgument naming the field
// and the value ("ConntrackFilter.orig_dst '10.0.0.300' is not an IPv4 or IPv6 address"), raised
// by list()/remove() before anything is sent.
struct ConntrackFilter {
    std::optional<Family> family{};               // -f ipv4|ipv6
    std::optional<std::uint8_t> protocol{};       // -p: IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, ...
    AddressArg orig_src{};                        // --orig-src: text or an IpAddress
    AddressArg orig_dst{};                        // --orig-dst: text or an IpAddress
    std::optional<std::uint16_t> orig_src_port{}; // --orig-port-src
    std::optional<std::uint16_t> orig_dst_port{}; // --orig-port-dst
    std::optional<std::uint16_t> zone{};          // -w: 0 matches entries without a zone
    std::optional<std::uint32_t> mark{};          // -m (exact value)

    // Whether the filter selects `e`. Bad address text is an InvalidArgument naming the field and
    // the value (list()/remove() resolve the filter once, not per entry).
    bool matches(const ConntrackEntry& e) const;
};

namespace detail {

// A ConntrackFilter with its addresses resolved: what Conntrack::list/remove match every entry
// against, without parsing (and so without throwing) per entry.
struct ResolvedConntrackFilter {
    std::optional<Family> family{};               // as ConntrackFilter's members
    std::optional<std::uint8_t> protocol{};       // as ConntrackFilter's members
    std::optional<IpAddress> orig_src{};          // resolved ConntrackFilter.orig_src
    std::optional<IpAddress> orig_dst{};          // resolved ConntrackFilter.orig_dst
    std::optional<std::uint16_t> orig_src_port{}; // as ConntrackFilter's members
    std::optional<std::uint16_t> orig_dst_port{}; // as ConntrackFilter's members
    std::optional<std::uint16_t> zone{};          // as ConntrackFilter's members
    std::optional<std::uint32_t> mark{};          // as ConntrackFilter's members

    // Whether every member set matches `e`.
    bool matches(const ConntrackEntry& e) const noexcept;
};

// Resolves `f`'s addresses; bad text is an InvalidArgument of `operation` on `object` naming the
// field ("ConntrackFilter.orig_dst") and the value.
NSNET_DECL ResolvedConntrackFilter resolve_conntrack_filter(const ConntrackFilter& f, const std::string& operation,
                                                            const std::string& object);

// conntrack -L with a resolved filter (Conntrack::list's body; Conntrack::remove's dump).
NSNET_DECL std::vector<ConntrackEntry> conntrack_list(const NetnsRef& netns, const ResolvedConntrackFilter& filter);

}  // namespace detail

class Conntrack {
public:
    // conntrack -L [filter] inside the namespace (a bad filter address is refused first, naming it).
    static std::vector<ConntrackEntry> list(const NetnsRef& netns, const ConntrackFilter& filter = {});
    // conntrack -D [filter] inside the namespace: deletes every matching entry and returns how many
    // this call deleted. An empty filter deletes every entry (conntrack -F).
    static std::size_t remove(const NetnsRef& netns, const ConntrackFilter& filter);
    // conntrack -D for one entry (by original tuple, zone and id). False when it was already gone.
    static bool remove(const NetnsRef& netns, const ConntrackEntry& entry);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/conntrack.ipp"
#endif
