// nsnet/nft/expr.hpp — nf_tables expressions: the instructions a rule is made of.
//
// Layer: nf_tables encoders/decoders, no I/O. A rule is a list of expressions run on a small
// register machine; `nft --debug=netlink` prints them. `ip saddr 172.17.0.0/16 oifname !=
// "docker0" masquerade` is:
//
//   [ payload load 2b @ network header + 12 => reg 1 ]     Payload
//   [ cmp eq reg 1 0x000011ac ]                              Cmp
//   [ meta load oifname => reg 1 ]                           Meta
//   [ cmp neq reg 1 0x6b636f64 0x00307265 0x00000000 0x00000000 ]
//   [ masq ]                                                 Masq
//
// On the wire each is NFTA_LIST_ELEM { NFTA_EXPR_NAME "payload", NFTA_EXPR_DATA { ... } }, with
// numbers big-endian and attributes in the order nft (libnftnl) writes them, so the bytes equal
// what nft sends. The second half of this file builds the expression sequences nft generates for
// the matches and statements container networking needs (`ip saddr P`, `oifname != X`,
// `tcp dport N`, `dnat to A:P`, `masquerade`, `counter`, `accept`), nft's optimisations included
// (a byte-aligned prefix loads only its bytes; any other prefix is masked with bitwise).
//
// Deliberately covered: payload, meta (load and set), cmp, bitwise, immediate (data and verdicts,
// jump/goto included), nat, masq, redir, counter, fib, ct (load and set). Any other
// expression decodes as Other (name and raw attributes kept) so reading a foreign rule never fails.
#pragma once

// glibc's <netinet/in.h> must come before any <linux/...> header that pulls in <linux/in.h>.
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::nft {

// nf_tables registers as the kernel numbers them on the wire: 0 is the verdict register, 1..4 the
// 128-bit registers nft uses for matches and NAT (NFT_REG_1 ...).
using Reg = std::uint32_t;
inline constexpr Reg reg_verdict = NFT_REG_VERDICT;
inline constexpr Reg reg1 = NFT_REG_1;
inline constexpr Reg reg2 = NFT_REG_2;
inline constexpr Reg reg3 = NFT_REG_3;

// Raw register data (network byte order, as packets carry it).
using Data = std::vector<std::uint8_t>;

enum class PayloadBase : std::uint32_t {
    Link = NFT_PAYLOAD_LL_HEADER,
    Network = NFT_PAYLOAD_NETWORK_HEADER,
    Transport = NFT_PAYLOAD_TRANSPORT_HEADER,
};

enum class MetaKey : std::uint32_t {
    Len = NFT_META_LEN,
    Protocol = NFT_META_PROTOCOL,
    Mark = NFT_META_MARK,
    Iif = NFT_META_IIF,
    Oif = NFT_META_OIF,
    Iifname = NFT_META_IIFNAME,
    Oifname = NFT_META_OIFNAME,
    Nfproto = NFT_META_NFPROTO,
    L4proto = NFT_META_L4PROTO,
};

// The conntrack keys nsnet reads or sets (`ct state`, `ct mark`).
enum class CtKey : std::uint32_t { State = NFT_CT_STATE, Mark = NFT_CT_MARK, Status = NFT_CT_STATUS };

enum class CmpOp : std::uint32_t {
    Eq = NFT_CMP_EQ,
    Neq = NFT_CMP_NEQ,
    Lt = NFT_CMP_LT,
    Lte = NFT_CMP_LTE,
    Gt = NFT_CMP_GT,
    Gte = NFT_CMP_GTE,
};

enum class NatType : std::uint32_t { Snat = NFT_NAT_SNAT, Dnat = NFT_NAT_DNAT };

// A rule's verdict (`accept`, `drop`, ...): the value loaded into the verdict register.
enum class Verdict : std::int32_t {
    Drop = NF_DROP,
    Accept = NF_ACCEPT,
    Continue = NFT_CONTINUE,
    Return = NFT_RETURN,
    Jump = NFT_JUMP,
    Goto = NFT_GOTO,
};

// [ payload load <len>b @ <base> header + <offset> => reg <dreg> ]
struct Payload {
    PayloadBase base = PayloadBase::Network;
    std::uint32_t offset = 0;
    std::uint32_t len = 0;
    Reg dreg = reg1;
    friend bool operator==(const Payload&, const Payload&) = default;
};
// [ meta load <key> => reg <dreg> ]
struct Meta {
    MetaKey key = MetaKey::L4proto;
    Reg dreg = reg1;
    friend bool operator==(const Meta&, const Meta&) = default;
};
// [ cmp <op> reg <sreg> <data> ]
struct Cmp {
    Reg sreg = reg1;
    CmpOp op = CmpOp::Eq;
    Data data{};
    friend bool operator==(const Cmp&, const Cmp&) = default;
};
// [ bitwise reg <dreg> = ( reg <sreg> & <mask> ) ^ <xor> ]
struct Bitwise {
    Reg sreg = reg1;
    Reg dreg = reg1;
    std::uint32_t len = 0;
    Data mask{};
    Data xor_{};
    // NFTA_BITWISE_OP: nft 1.0.6 sends NFT_BITWISE_BOOL for mark matches and updates, nothing
    // (the kernel's default, also BOOL) for ct state and prefix masks; kept as read.
    std::optional<std::uint32_t> op{};
    friend bool operator==(const Bitwise&, const Bitwise&) = default;
};
// [ immediate reg <dreg> <data> ] or, for the verdict register, [ immediate reg 0 accept ]
struct Immediate {
    Reg dreg = reg1;
    Data data{};                      // when !verdict
    std::optional<Verdict> verdict{};  // when loading the verdict register
    std::string chain{};               // the target of a Jump / Goto verdict
    friend bool operator==(const Immediate&, const Immediate&) = default;
};
// [ meta set <key> with reg <sreg> ]
struct MetaSet {
    MetaKey key = MetaKey::Mark;
    Reg sreg = reg1;
    friend bool operator==(const MetaSet&, const MetaSet&) = default;
};
// [ ct load <key> => reg <dreg> ]
struct Ct {
    CtKey key = CtKey::State;
    Reg dreg = reg1;
    friend bool operator==(const Ct&, const Ct&) = default;
};
// [ ct set <key> with reg <sreg> ]
struct CtSet {
    CtKey key = CtKey::Mark;
    Reg sreg = reg1;
    friend bool operator==(const CtSet&, const CtSet&) = default;
};
// [ fib daddr type => reg 1 ]: the route lookup's result for an address of the packet
// (`fib daddr type local`: NFT_FIB_RESULT_ADDRTYPE with NFTA_FIB_F_DADDR, compared with RTN_LOCAL).
struct Fib {
    std::uint32_t flags = NFTA_FIB_F_DADDR;
    std::uint32_t result = NFT_FIB_RESULT_ADDRTYPE;
    Reg dreg = reg1;
    friend bool operator==(const Fib&, const Fib&) = default;
};
// [ redir proto_min reg 1 flags 0x2 ]: `redirect to :PORT`.
struct Redir {
    std::uint32_t flags = 0;
    std::optional<Reg> reg_proto_min{}, reg_proto_max{};
    friend bool operator==(const Redir&, const Redir&) = default;
};
// [ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]
struct Nat {
    NatType type = NatType::Dnat;
    std::uint32_t family = NFPROTO_IPV4;
    std::optional<Reg> reg_addr_min{}, reg_addr_max{}, reg_proto_min{}, reg_proto_max{};
    std::uint32_t flags = 0;  // NF_NAT_RANGE_*; 0 is not sent
    friend bool operator==(const Nat&, const Nat&) = default;
};
// [ masq ] / [ masq flags 0x4 ]
struct Masq {
    std::uint32_t flags = 0;
    std::optional<Reg> reg_proto_min{}, reg_proto_max{};
    friend bool operator==(const Masq&, const Masq&) = default;
};
// [ counter pkts <packets> bytes <bytes> ]. A new counter is sent empty (the kernel starts at 0).
struct Counter {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    friend bool operator==(const Counter&, const Counter&) = default;
};
// Any expression nsnet does not model: its name and the raw bytes of its NFTA_EXPR_DATA.
struct Other {
    std::string name{};
    std::vector<std::byte> data{};
    friend bool operator==(const Other&, const Other&) = default;
};

using Expr = std::variant<Payload, Meta, Cmp, Bitwise, Immediate, Nat, Masq, Counter, MetaSet, Ct, CtSet, Fib, Redir,
                          Other>;
using Exprs = std::vector<Expr>;

namespace detail {

NSNET_LAZY NSNET_DECL void put_data(nl::MessageBuilder& m, std::uint16_t type, const Data& d);

NSNET_LAZY NSNET_DECL Data get_data(const nl::Attr& a);

NSNET_LAZY NSNET_DECL std::optional<Verdict> get_verdict(const nl::Attr& a);
NSNET_LAZY NSNET_DECL std::string get_verdict_chain(const nl::Attr& a);

// The name sent in NFTA_EXPR_NAME. A string_view, not a C string: an Other keeps every byte it
// was read with, a NUL inside included, so encode_expr re-emits exactly that name.
NSNET_LAZY NSNET_DECL std::string_view expr_name(const Expr& e);

// libnftnl prints register data as host-order 32-bit words: bytes ac 11 -> 0x000011ac.
NSNET_LAZY NSNET_DECL std::string data_words(const Data& d);

NSNET_LAZY NSNET_DECL std::string verdict_name(Verdict v);

}  // namespace detail

// Appends one expression as an NFTA_LIST_ELEM (call inside an NFTA_RULE_EXPRESSIONS nest).
NSNET_LAZY NSNET_DECL void encode_expr(nl::MessageBuilder& m, const Expr& e);

// Appends NFTA_RULE_EXPRESSIONS { elem... }.
NSNET_LAZY NSNET_DECL void encode_exprs(nl::MessageBuilder& m, const Exprs& exprs);

// Decodes one NFTA_LIST_ELEM. Unknown expressions become Other; malformed ones throw EBADMSG.
NSNET_LAZY NSNET_DECL Expr decode_expr(const nl::Attr& elem);

// Decodes the elements of an NFTA_RULE_EXPRESSIONS attribute.
NSNET_LAZY NSNET_DECL Exprs decode_exprs(const nl::Attr& list);

// One expression in `nft --debug=netlink` notation, e.g. "[ cmp eq reg 1 0x000011ac ]".
NSNET_LAZY NSNET_DECL std::string to_debug_string(const Expr& e);

// ---------------------------------------------------------------------------------------------
// The expression sequences nft generates for common matches and statements (ip family tables).

namespace detail {
NSNET_LAZY NSNET_DECL Data bytes_of(const void* p, std::size_t n);
NSNET_LAZY NSNET_DECL Data be16_data(std::uint16_t v);
NSNET_LAZY NSNET_DECL void append(Exprs& to, Exprs more);
}  // namespace detail

// `ip saddr P` / `ip daddr P` (ip6 saddr/daddr for IPv6 prefixes): network-header address match.
// A /0 matches everything and generates nothing; a byte-aligned prefix loads only its bytes
// (172.17.0.0/16 loads 2 bytes); any other length loads the whole address and masks it.
NSNET_LAZY NSNET_DECL Exprs match_address(bool source, const Prefix& prefix);
NSNET_LAZY NSNET_DECL Exprs match_saddr(const Prefix& p);
NSNET_LAZY NSNET_DECL Exprs match_daddr(const Prefix& p);

// `iifname "X"` / `oifname != "X"`: the name compared as IFNAMSIZ bytes (exact match).
NSNET_LAZY NSNET_DECL Exprs match_ifname(bool input, std::string_view name, bool negate = false);
NSNET_LAZY NSNET_DECL Exprs match_iifname(std::string_view name, bool negate = false);
NSNET_LAZY NSNET_DECL Exprs match_oifname(std::string_view name, bool negate = false);

// `meta l4proto N` (what nft emits before a transport-header match such as `tcp dport`).
NSNET_LAZY NSNET_DECL Exprs match_l4proto(std::uint8_t proto);

// `tcp dport N` / `udp dport N` (proto IPPROTO_TCP / IPPROTO_UDP): l4proto, then 2 bytes at +2.
NSNET_LAZY NSNET_DECL Exprs match_dport(std::uint8_t proto, std::uint16_t port);
// `tcp sport N` / `udp sport N`.
NSNET_LAZY NSNET_DECL Exprs match_sport(std::uint8_t proto, std::uint16_t port);

// `counter`.
NSNET_LAZY NSNET_DECL Expr counter();

// `accept` / `drop` / ...: the verdict register loaded with an immediate.
NSNET_LAZY NSNET_DECL Expr verdict(Verdict v);

// `masquerade`.
NSNET_LAZY NSNET_DECL Exprs masquerade();

// `snat to A[:P]` / `dnat to A[:P]`: the address in reg 1, the port in reg 2, then nat.
NSNET_LAZY NSNET_DECL Exprs nat_to(NatType type, const IpAddress& addr, std::optional<std::uint16_t> port = std::nullopt);
NSNET_LAZY NSNET_DECL Exprs snat_to(const IpAddress& addr, std::optional<std::uint16_t> port = std::nullopt);
NSNET_LAZY NSNET_DECL Exprs dnat_to(const IpAddress& addr, std::optional<std::uint16_t> port = std::nullopt);

// The Counter expression of a rule, if it has one.
NSNET_LAZY NSNET_DECL std::optional<Counter> find_counter(const Exprs& exprs);

// --- More of nft's sequences (container networking: CNI bridge + portmap), as nft 1.0.6 emits them.

// `meta nfproto ipv4|ipv6` (what an inet table's `ip saddr` / `ip6 daddr` match starts with).
NSNET_LAZY NSNET_DECL Exprs match_nfproto(std::uint8_t nfproto);
// `ip saddr != P` etc.: match_address with the comparison negated (a /0 still generates nothing).
NSNET_LAZY NSNET_DECL Exprs match_address(bool source, const Prefix& prefix, bool negate);
// `tcp dport 8000-8100` / `udp sport 53`: l4proto, the port, then cmp eq (one port) or gte + lte.
NSNET_LAZY NSNET_DECL Exprs match_port_range(std::uint8_t proto, bool destination, std::uint16_t first, std::uint16_t last);
// `fib daddr type local`: the destination is an address of this host.
NSNET_LAZY NSNET_DECL Exprs match_fib_daddr_local();
// `ct state established,related` (bits NF_CT_STATE_BIT(...), see nsnet::firewall::CtState).
NSNET_LAZY NSNET_DECL Exprs match_ct_state(std::uint32_t state_bits);
// `meta mark 0x10` / `ct mark & 0x2000 == 0x2000` / `... != ...`: host-order u32, masked unless
// the mask is all ones.
NSNET_LAZY NSNET_DECL Exprs match_mark(bool ct, std::uint32_t value, std::uint32_t mask = 0xffffffff, bool negate = false);
// `meta mark set 0x7` (mask all ones) or `meta mark set meta mark | 0x2000` style updates:
// mark = (mark & ~mask) ^ value, so value 0x2000 with mask 0x2000 sets that bit and keeps the rest.
NSNET_LAZY NSNET_DECL Exprs set_mark(bool ct, std::uint32_t value, std::uint32_t mask = 0xffffffff);
// `dnat ip to A:P1-P2` / `snat ip6 to [A]:P`: addresses in reg 1, ports in reg 2 (and 3 for a range).
NSNET_LAZY NSNET_DECL Exprs nat_to_range(NatType type, const IpAddress& addr, std::optional<std::uint16_t> port_min,
                              std::optional<std::uint16_t> port_max);
// `masquerade [to :P1-P2]`.
NSNET_LAZY NSNET_DECL Exprs masquerade_to(std::optional<std::uint16_t> port_min, std::optional<std::uint16_t> port_max);
// `redirect [to :P1[-P2]]`.
NSNET_LAZY NSNET_DECL Exprs redirect_to(std::optional<std::uint16_t> port_min, std::optional<std::uint16_t> port_max);
// `jump CHAIN` / `goto CHAIN`.
NSNET_LAZY NSNET_DECL Expr jump(const std::string& chain, bool go_to = false);

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/expr.ipp"
#endif
