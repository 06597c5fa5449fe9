// nsnet/ctnl/conntrack.hpp — ctnetlink (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_CTNETLINK)
// messages for the connection tracking table, encoded and decoded.
//
// Layer: nfnetlink messages, no I/O. A message is nlmsghdr + nfgenmsg (family, version 0, res_id 0)
// + CTA_* attributes. Nests carry NLA_F_NESTED and numbers are big-endian (as the kernel and
// libnetfilter_conntrack write them); a tuple is
//
//   CTA_TUPLE_ORIG|REPLY { CTA_TUPLE_IP { CTA_IP_V4_SRC/DST | CTA_IP_V6_SRC/DST }
//                          CTA_TUPLE_PROTO { CTA_PROTO_NUM u8, CTA_PROTO_SRC_PORT/DST_PORT be16 |
//                                            CTA_PROTO_ICMP(V6)_ID be16, _TYPE u8, _CODE u8 }
//                          [CTA_TUPLE_ZONE be16] }
//
//   conntrack -L                 ct_dump()          (IPCTNL_MSG_CT_GET, NLM_F_DUMP)
//   conntrack -L -m MARK         ct_dump(filter)    (the same, with the kernel filtering the dump:
//                                                    CTA_MARK/CTA_MARK_MASK, CTA_FILTER + a tuple)
//   conntrack -D <one entry>     ct_delete(entry)   (IPCTNL_MSG_CT_DELETE with the entry's tuples)
//   conntrack -C                 ct_count()         (IPCTNL_MSG_CT_GET_STATS: entries, limit)
//
// Checked against bytes captured from conntrack-tools 1.4.7 (tests/unit/golden/ct_*.txt,
// capture_conntrack.py); conntrack 1.4.7 filters tuples itself, so ct_dump's CTA_FILTER bytes are
// checked against the uapi layout and, in tests/integration/conntrack_test.cpp, against what the
// kernel returns for them. Not covered: creating or updating entries (IPCTNL_MSG_CT_NEW), NAT
// sequence adjustment, labels, helpers, expectations, counters; decode_entry() skips attributes it
// does not know. See nsnet/conntrack.hpp for the objects.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede uapi headers

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::ctnl {

// The nlmsg_type of a ctnetlink message: subsystem NFNL_SUBSYS_CTNETLINK in the high byte.
constexpr std::uint16_t message_type(std::uint8_t msg) noexcept {
    return static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | msg);
}

// One direction of a connection: addresses, layer-4 protocol and its ports (or ICMP id/type/code).
struct Tuple {
    IpAddress src{};
    IpAddress dst{};
    std::uint8_t protocol = 0;                  // IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, ...
    std::optional<std::uint16_t> src_port{};    // TCP, UDP, SCTP, DCCP, UDP-Lite
    std::optional<std::uint16_t> dst_port{};
    std::optional<std::uint16_t> icmp_id{};     // ICMP / ICMPv6
    std::optional<std::uint8_t> icmp_type{};
    std::optional<std::uint8_t> icmp_code{};
    std::optional<std::uint16_t> zone{};        // CTA_TUPLE_ZONE (directional zones only)

    // "udp src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=53", as conntrack -L words it.
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const Tuple&, const Tuple&) = default;
};

// One conntrack entry as the kernel reports it (conntrack -L), or what ct_delete() should send.
struct Entry {
    int family = 0;                         // AF_INET or AF_INET6 (nfgenmsg.nfgen_family)
    Tuple orig{};                           // CTA_TUPLE_ORIG
    std::optional<Tuple> reply{};           // CTA_TUPLE_REPLY
    std::optional<std::uint32_t> status{};  // CTA_STATUS: IPS_* bits
    std::optional<std::uint32_t> timeout{}; // CTA_TIMEOUT: seconds left
    std::optional<std::uint32_t> mark{};    // CTA_MARK
    std::optional<std::uint16_t> zone{};    // CTA_ZONE (absent means zone 0)
    std::optional<std::uint32_t> use{};     // CTA_USE: reference count
    std::optional<std::uint32_t> id{};      // CTA_ID: tells a recycled entry with the same tuple apart

    // conntrack -L's line: "udp 17 29 src=... dst=... sport=... dport=... [UNREPLIED] src=... mark=0 zone=0".
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const Entry&, const Entry&) = default;
};

// The type of ctnl::decode_entry: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct EntryDecoder {
    NSNET_LAZY std::optional<Entry> operator()(const nl::MessageView& m) const;  // decode_entry(m)
};
// Decodes an IPCTNL_MSG_CT_NEW (dump reply or event) or IPCTNL_MSG_CT_DELETE (event) message;
// nullopt for any other message or one without an original tuple. Throws Error(EBADMSG) on
// malformed attributes.
inline constexpr EntryDecoder decode_entry{};

// conntrack -L [-f ipv4|ipv6]: IPCTNL_MSG_CT_GET with NLM_F_DUMP (AF_UNSPEC: every family).
NSNET_LAZY NSNET_DECL nl::MessageBuilder ct_dump(unsigned char family = AF_UNSPEC);

// What a dump asks the kernel to leave out: only entries whose every set member matches are sent
// (the kernel still walks the whole table, but does not copy the rest to user space). The tuple
// members compare the ORIGINAL direction; they need `family` AF_INET or AF_INET6 (the kernel
// parses the filter's addresses by it) and ports need `protocol` (else the kernel refuses, EINVAL).
//
// Which kernels apply it: CTA_MARK/CTA_MARK_MASK all of those nsnet supports; CTA_FILTER (the
// tuple members) Linux 5.9 and later; an older kernel ignores CTA_FILTER and sends every entry of
// the family. The kernel compares ports only for TCP and UDP. So a caller that needs exact results
// matches the entries it receives again (nsnet::Conntrack does, and gives the kernel only what it
// compares right: see nsnet/conntrack.hpp).
struct DumpFilter {
    unsigned char family = AF_UNSPEC;             // nfgenmsg.nfgen_family
    std::optional<std::uint8_t> protocol{};       // CTA_FILTER_F_CTA_PROTO_NUM
    std::optional<IpAddress> orig_src{};          // CTA_FILTER_F_CTA_IP_SRC (of `family`)
    std::optional<IpAddress> orig_dst{};          // CTA_FILTER_F_CTA_IP_DST (of `family`)
    std::optional<std::uint16_t> orig_src_port{}; // CTA_FILTER_F_CTA_PROTO_SRC_PORT (needs protocol)
    std::optional<std::uint16_t> orig_dst_port{}; // CTA_FILTER_F_CTA_PROTO_DST_PORT (needs protocol)
    std::optional<std::uint32_t> mark{};          // CTA_MARK + CTA_MARK_MASK 0xffffffff (exact mark)
};

// The flags of CTA_FILTER_ORIG_FLAGS (the kernel's CTA_FILTER_F_* of net/netfilter/nf_internals.h,
// not in the uapi headers; their values are fixed by the kernel's ABI since Linux 5.9).
namespace filter_flag {
constexpr std::uint32_t ip_src = 1u << 0;          // compare CTA_IP_V4_SRC / CTA_IP_V6_SRC
constexpr std::uint32_t ip_dst = 1u << 1;          // compare CTA_IP_V4_DST / CTA_IP_V6_DST
constexpr std::uint32_t proto_num = 1u << 3;       // compare CTA_PROTO_NUM (needed by the port flags)
constexpr std::uint32_t proto_src_port = 1u << 4;  // compare CTA_PROTO_SRC_PORT (TCP and UDP only)
constexpr std::uint32_t proto_dst_port = 1u << 5;  // compare CTA_PROTO_DST_PORT (TCP and UDP only)
}  // namespace filter_flag

// conntrack -L with the kernel filtering (see DumpFilter): the nfgenmsg family, then
// CTA_TUPLE_ORIG { CTA_TUPLE_IP { the addresses set }, CTA_TUPLE_PROTO { CTA_PROTO_NUM, the ports
// set } } and CTA_FILTER { CTA_FILTER_ORIG_FLAGS u32 } when a tuple member is set, then CTA_MARK and
// CTA_MARK_MASK (conntrack -m's bytes). An empty filter gives ct_dump(family)'s bytes. Throws
// Error(EBADMSG) before encoding anything the kernel would refuse: a tuple member without family
// AF_INET/AF_INET6, an address of another family, a port without protocol.
NSNET_LAZY NSNET_DECL nl::MessageBuilder ct_dump(const DumpFilter& filter);

// conntrack -C: IPCTNL_MSG_CT_GET_STATS, answered by one message (no dump, no table walk).
NSNET_LAZY NSNET_DECL nl::MessageBuilder ct_count();

// ct_count()'s answer: the entries of the asking socket's namespace, and the kernel's limit
// (nf_conntrack_max, for the whole host).
struct Count {
    std::uint32_t entries = 0;               // CTA_STATS_GLOBAL_ENTRIES
    std::optional<std::uint32_t> max{};      // CTA_STATS_GLOBAL_MAX_ENTRIES
};

// The type of ctnl::decode_count: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct CountDecoder {
    NSNET_LAZY std::optional<Count> operator()(const nl::MessageView& m) const;  // decode_count(m)
};
// Decodes an IPCTNL_MSG_CT_GET_STATS answer; nullopt for another message or one without
// CTA_STATS_GLOBAL_ENTRIES. Throws Error(EBADMSG) on malformed attributes.
inline constexpr CountDecoder decode_count{};

// conntrack -D for one entry: IPCTNL_MSG_CT_DELETE with the entry's attributes that are set, in
// conntrack's order (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_TIMEOUT, CTA_MARK), then
// CTA_ZONE and CTA_ID. The kernel finds the entry by the original tuple and zone, and refuses
// (ENOENT) when CTA_ID is given and names another entry. Family and tuple addresses must agree.
NSNET_LAZY NSNET_DECL nl::MessageBuilder ct_delete(const Entry& e);

// Appends one tuple nest (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY).
NSNET_LAZY NSNET_DECL void put_tuple(nl::MessageBuilder& m, std::uint16_t type, const Tuple& t);
NSNET_LAZY NSNET_DECL Tuple decode_tuple(const nl::Attr& a);

}  // namespace nsnet::ctnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/ctnl/conntrack.ipp"
#endif
