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
// list() and remove() dump the table with the kernel filtering it (ctnl::DumpFilter): the table
// is shared by everything in the namespace, and on a host whose containers opened many flows (a
// container can open as many as it likes) copying every entry to user space would make each port
// mapping's clean-up cost the whole table. The kernel is given only what it compares right on every
// kernel that filters at all (Linux 5.9+): the family, the protocol, TCP/UDP ports, IPv4 addresses
// and the mark; not IPv6 addresses (Linux's dump filter compares them the wrong way round: an
// entry to exactly that address is left out; seen on 6.18) nor the zone (not every kernel's dump
// filter compares it).
// Every entry received is matched here again in full, so older kernels, which ignore the filter,
// give the same result. remove() then deletes each matching entry by its original tuple, zone and
// CTA_ID (so an entry recycled for the same tuple meanwhile is not hit), as conntrack -D does but
// in one batch of requests acked only on failure (nl::Batch); an entry that vanished in between
// (timed out, deleted by someone else) is not an error and is not counted. Entries are read-only
// values (ctnl::Entry): nsnet creates none, so there is no owner. A namespace tracks connections
// only once something registered conntrack hooks there (a NAT rule, an nft `ct` match); before
// that the table is simply empty.
//
// Not covered: creating/updating entries, events, expectations.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede uapi headers

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/ctnl/conntrack.hpp"
#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
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
    NSNET_LAZY bool matches(const ConntrackEntry& e) const;
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
    NSNET_LAZY bool matches(const ConntrackEntry& e) const noexcept;
};

// Resolves `f`'s addresses; bad text is an InvalidArgument of `operation` on `object` naming the
// field ("ConntrackFilter.orig_dst") and the value.
NSNET_LAZY NSNET_DECL ResolvedConntrackFilter resolve_conntrack_filter(const ConntrackFilter& f, const std::string& operation,
                                                            const std::string& object);

// The dumps that select `f`'s entries, each filtered by the kernel as far as it compares right
// (see the top of this file): one for the family `f` implies (its own, or its addresses'); none
// when `f` can match nothing (addresses of two families); one of every family when neither a
// family nor a protocol narrows it. With a protocol but no family the kernel can only filter a
// dump per family (its tuple filter needs one), and each dump walks the kernel's whole hash table
// (~5 ms with the default 262,144 buckets, measured on an empty table; copying an entry out costs
// ~1 us): so two filtered dumps (IPv4, IPv6) when the namespace holds at least
// conntrack_split_threshold entries (`table_entries()`, asked only then), else one unfiltered dump.
// What the kernel sends is matched against `f` again.
inline constexpr std::size_t conntrack_split_threshold = 4096;
NSNET_LAZY NSNET_DECL std::vector<ctnl::DumpFilter> conntrack_dump_filters(const ResolvedConntrackFilter& f,
                                                                FunctionRef<std::size_t()> table_entries);

// conntrack -C on `sock` (a NETLINK_NETFILTER socket of `netns`): the entries of its table.
NSNET_LAZY NSNET_DECL std::size_t conntrack_count(nl::Socket& sock, const NetnsRef& netns);

// conntrack -L with a resolved filter (Conntrack::list's body; Conntrack::remove's dump).
NSNET_LAZY NSNET_DECL std::vector<ConntrackEntry> conntrack_list(const NetnsRef& netns, const ResolvedConntrackFilter& filter);

}  // namespace detail

class Conntrack {
public:
    // conntrack -L [filter] inside the namespace (a bad filter address is refused first, naming it).
    NSNET_LAZY static std::vector<ConntrackEntry> list(const NetnsRef& netns, const ConntrackFilter& filter = {});
    // conntrack -D [filter] inside the namespace: deletes every matching entry and returns how many
    // this call deleted. An empty filter deletes every entry (conntrack -F).
    NSNET_LAZY static std::size_t remove(const NetnsRef& netns, const ConntrackFilter& filter);
    // conntrack -D for one entry (by original tuple, zone and id). False when it was already gone.
    NSNET_LAZY static bool remove(const NetnsRef& netns, const ConntrackEntry& entry);
    // conntrack -C: how many entries the namespace's table holds (one request, no dump).
    NSNET_LAZY static std::size_t count(const NetnsRef& netns);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/conntrack.ipp"
#endif
