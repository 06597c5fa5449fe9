// nsnet/rtnl/rule.hpp — RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE messages (policy routing rules).
//
// Layer: rtnetlink messages, no I/O. One value type, rtnl::Rule, is both what an encoder sends
// (`ip rule add ...`) and what decode_rule() returns for a dumped rule or an event, so a listed rule
// can be deleted exactly as it was reported. It does not resolve interface names (rules carry
// names, FRA_IIFNAME/FRA_OIFNAME, exactly like `ip rule`) and does not talk to the kernel.
//
// Encoding follows iproute2 6.1 (tests/unit/golden/rule_*): table ids below 256 only in the
// header, FRA_TABLE from 256 on; action FR_ACT_TO_TBL on add but 0 for a lookup rule on delete;
// attributes in the order `ip rule add [not] from F to T iif I oif O fwmark M/K priority P
// ipproto N sport A-B dport C-D suppress_prefixlength S goto G lookup T` puts them.
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/fib_rules.h>
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

// What a matching packet's route lookup does (`ip rule add ... lookup T | blackhole | unreachable |
// prohibit | goto P | nop`).
enum class RuleAction : std::uint8_t {
    Unspec = FR_ACT_UNSPEC,
    Lookup = FR_ACT_TO_TBL,
    Goto = FR_ACT_GOTO,
    Nop = FR_ACT_NOP,
    Blackhole = FR_ACT_BLACKHOLE,
    Unreachable = FR_ACT_UNREACHABLE,
    Prohibit = FR_ACT_PROHIBIT,
};

NSNET_LAZY NSNET_DECL const char* to_string(RuleAction a) noexcept;

// Well-known routing table ids (`ip route show table main`).
inline constexpr std::uint32_t table_unspec = RT_TABLE_UNSPEC;   // 0
inline constexpr std::uint32_t table_default = RT_TABLE_DEFAULT; // 253
inline constexpr std::uint32_t table_main = RT_TABLE_MAIN;       // 254
inline constexpr std::uint32_t table_local = RT_TABLE_LOCAL;     // 255

// An inclusive port range (`sport 1000-2000`); a single port is {p, p}.
struct PortRange {
    std::uint16_t start = 0;
    std::uint16_t end = 0;
    friend bool operator==(const PortRange&, const PortRange&) = default;
};

// An inclusive uid range (`uidrange 1000-2000`).
struct UidRange {
    std::uint32_t start = 0;
    std::uint32_t end = 0;
    friend bool operator==(const UidRange&, const UidRange&) = default;
};

// A policy routing rule: selectors (all optional: an empty selector matches everything) and an
// action. `ip rule add from 192.168.1.10 lookup 100` is {.from = 192.168.1.10/32, .table = 100}.
struct Rule {
    Family family = Family::V4;               // taken from from/to when either is set
    std::optional<Prefix> from{};              // FRA_SRC + src_len
    std::optional<Prefix> to{};                // FRA_DST + dst_len
    std::string iif{};                         // FRA_IIFNAME (an interface name, need not exist yet)
    std::string oif{};                         // FRA_OIFNAME
    std::optional<std::uint32_t> fwmark{};     // FRA_FWMARK
    std::optional<std::uint32_t> fwmask{};     // FRA_FWMASK (kernel default 0xffffffff with a mark)
    std::optional<std::uint32_t> priority{};   // FRA_PRIORITY (`pref`); unset on add: the kernel picks
                                               // one; always set in a decoded rule
    std::uint8_t tos = 0;                      // fib_rule_hdr.tos (dsfield)
    std::optional<std::uint8_t> ipproto{};     // FRA_IP_PROTO (IPPROTO_TCP, ...)
    std::optional<PortRange> sport{};          // FRA_SPORT_RANGE
    std::optional<PortRange> dport{};          // FRA_DPORT_RANGE
    std::optional<UidRange> uidrange{};        // FRA_UID_RANGE
    std::optional<std::uint32_t> suppress_prefixlen{};  // FRA_SUPPRESS_PREFIXLEN
    bool invert = false;                       // `not`: FIB_RULE_INVERT
    bool l3mdev = false;                       // FRA_L3MDEV
    RuleAction action = RuleAction::Lookup;
    std::uint32_t table = 0;                   // for Lookup; 0 on add means main (254)
    std::optional<std::uint32_t> goto_target{};  // FRA_GOTO: the priority to jump to (action Goto)
    std::uint8_t protocol = 0;                 // FRA_PROTOCOL: who added it (0 unspec, RTPROT_KERNEL ...)
    std::uint32_t flags = 0;                   // decoded FIB_RULE_* flags other than INVERT

    friend bool operator==(const Rule&, const Rule&) = default;
};

// Human-readable, like a line of `ip rule show`: "1000: from 192.168.1.10 lookup 100".
NSNET_LAZY NSNET_DECL std::string describe(const Rule& r);

namespace detail {

// Checks a rule before anything is sent; throws InvalidArgument naming the bad value.
NSNET_LAZY NSNET_DECL void validate_rule(const Rule& r, const std::string& operation);

NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_message(std::uint16_t type, std::uint16_t flags, const Rule& r);

}  // namespace detail

// ip rule add ... (NLM_F_CREATE|NLM_F_EXCL: an identical rule is an error, EEXIST).
// Throws InvalidArgument for an inconsistent rule (mixed families, mask without mark, ...).
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_new(const Rule& r);

// ip rule del ... : the kernel deletes the first rule matching every selector given.
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_del(const Rule& r);

// ip rule show (dump). AF_UNSPEC lists IPv4 and IPv6 rules (and multicast routing rules, which
// decode_rule skips); `ip rule show` alone is AF_INET.
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_dump(unsigned char family = AF_UNSPEC);

// The type of rtnl::decode_rule: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct RuleDecoder {
    NSNET_LAZY std::optional<Rule> operator()(const nl::MessageView& m) const;  // decode_rule(m)
};
// Decodes RTM_NEWRULE / RTM_DELRULE. Returns nullopt for other message types and for rule families
// other than IPv4/IPv6 (ipmr/ip6mr). Throws Error(EBADMSG) on malformed input.
inline constexpr RuleDecoder decode_rule{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/rule.ipp"
#endif
