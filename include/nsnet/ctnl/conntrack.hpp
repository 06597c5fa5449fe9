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
//   conntrack -D <one entry>     ct_delete(entry)   (IPCTNL_MSG_CT_DELETE with the entry's tuples)
//
// Checked against bytes captured from conntrack-tools 1.4.7 (tests/unit/golden/ct_*.txt,
// capture_conntrack.py). Not covered: creating or updating entries (IPCTNL_MSG_CT_NEW), NAT
// sequence adjustment, labels, helpers, expectations, counters, the kernel's CTA_FILTER dump filter;
// decode_entry() skips attributes it does not know. See nsnet/conntrack.hpp for the objects.
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
    std::string to_string() const;
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
    std::string to_string() const;
    friend bool operator==(const Entry&, const Entry&) = default;
};

// Decodes an IPCTNL_MSG_CT_NEW (dump reply or event) or IPCTNL_MSG_CT_DELETE (event) message;
// nullopt for any other message or one without an original tuple. Throws Error(EBADMSG) on
// malformed attributes.
NSNET_DECL std::optional<Entry> decode_entry(const nl::MessageView& m);

// conntrack -L [-f ipv4|ipv6]: IPCTNL_MSG_CT_GET with NLM_F_DUMP (AF_UNSPEC: every family).
NSNET_DECL nl::MessageBuilder ct_dump(unsigned char family = AF_UNSPEC);

// conntrack -D for one entry: IPCTNL_MSG_CT_DELETE with the entry's attributes that are set, in
// conntrack's order (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_TIMEOUT, CTA_MARK), then
// CTA_ZONE and CTA_ID. The kernel finds the entry by the original tuple and zone, and refuses
// (ENOENT) when CTA_ID is given and names another entry. Family and tuple addresses must agree.
NSNET_DECL nl::MessageBuilder ct_delete(const Entry& e);

// Appends one tuple nest (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY).
NSNET_DECL void put_tuple(nl::MessageBuilder& m, std::uint16_t type, const Tuple& t);
NSNET_DECL Tuple decode_tuple(const nl::Attr& a);

}  // namespace nsnet::ctnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/ctnl/conntrack.ipp"
#endif
