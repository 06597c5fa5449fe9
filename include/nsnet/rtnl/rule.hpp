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

#include <algorithm>
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

NSNET_DECL const char* to_string(RuleAction a) noexcept;

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
NSNET_DECL std::string describe(const Rule& r);

namespace detail {

// Checks a rule before anything is sent; throws InvalidArgument naming the bad value.
NSNET_DECL void validate_rule(const Rule& r, const std::string& operation);

NSNET_DECL nl::MessageBuilder rule_message(std::uint16_t type, std::uint16_t flags, const Rule& r);

}  // namespace detail

// ip rule add ... (NLM_F_CREATE|NLM_F_EXCL: an identical rule is an error, EEXIST).
// Throws InvalidArgument for an inconsistent rule (mixed families, mask without mark, ...).
NSNET_DECL nl::MessageBuilder rule_new(const Rule& r);

// ip rule del ... : the kernel deletes the first rule matching every selector given.
NSNET_DECL nl::MessageBuilder rule_del(const Rule& r);

// ip rule show (dump). AF_UNSPEC lists IPv4 and IPv6 rules (and multicast routing rules, which
// decode_rule skips); `ip rule show` alone is AF_INET.
NSNET_DECL nl::MessageBuilder rule_dump(unsigned char family = AF_UNSPEC);

// Decodes RTM_NEWRULE / RTM_DELRULE. Returns nullopt for other message types and for rule families
// other than IPv4/IPv6 (ipmr/ip6mr). Throws Error(EBADMSG) on malformed input.
NSNET_DECL std::optional<Rule> decode_rule(const nl::MessageView& m);

#if NSNET_DEFINITIONS

NSNET_DECL const char* to_string(RuleAction a) noexcept {
    switch (a) {
        case RuleAction::Unspec: return "unspec";
        case RuleAction::Lookup: return "lookup";
        case RuleAction::Goto: return "goto";
        case RuleAction::Nop: return "nop";
        case RuleAction::Blackhole: return "blackhole";
        case RuleAction::Unreachable: return "unreachable";
        case RuleAction::Prohibit: return "prohibit";
    }
    return "?";
}

NSNET_DECL std::string describe(const Rule& r) {
    std::string s;
    if (r.priority) s += std::to_string(*r.priority) + ":\t";
    if (r.invert) s += "not ";
    s += "from " + (r.from && r.from->length() > 0
                        ? (r.from->length() == (r.from->address().is_v4() ? 32u : 128u) ? r.from->address().to_string()
                                                                                       : r.from->to_string())
                        : std::string("all"));
    if (r.to && r.to->length() > 0) s += " to " + r.to->to_string();
    if (r.tos) s += " tos " + std::to_string(r.tos);
    if (r.fwmark) {
        s += " fwmark " + std::to_string(*r.fwmark);
        if (r.fwmask && *r.fwmask != 0xffffffffu) s += "/" + std::to_string(*r.fwmask);
    }
    if (!r.iif.empty()) s += " iif " + r.iif;
    if (!r.oif.empty()) s += " oif " + r.oif;
    if (r.ipproto) s += " ipproto " + std::to_string(*r.ipproto);
    if (r.sport) s += " sport " + std::to_string(r.sport->start) + "-" + std::to_string(r.sport->end);
    if (r.dport) s += " dport " + std::to_string(r.dport->start) + "-" + std::to_string(r.dport->end);
    if (r.l3mdev) s += " lookup [l3mdev-table]";
    switch (r.action) {
        case RuleAction::Lookup: {
            std::uint32_t t = r.table ? r.table : table_main;
            s += " lookup " + (t == table_main ? std::string("main")
                               : t == table_local ? std::string("local")
                               : t == table_default ? std::string("default")
                                                    : std::to_string(t));
            break;
        }
        case RuleAction::Goto: s += " goto " + (r.goto_target ? std::to_string(*r.goto_target) : std::string("?")); break;
        default: s += std::string(" ") + to_string(r.action); break;
    }
    if (r.suppress_prefixlen) s += " suppress_prefixlength " + std::to_string(*r.suppress_prefixlen);
    return s;
}

namespace detail {

NSNET_DECL void validate_rule(const Rule& r, const std::string& operation) {
    const std::string shown = describe(r);
    if (r.from && r.to && r.from->family() != r.to->family())
        invalid_argument(operation, shown,
                         "'from " + r.from->to_string() + "' and 'to " + r.to->to_string() + "' are of different families");
    Family fam = r.from ? r.from->family() : r.to ? r.to->family() : r.family;
    if ((r.from && r.from->family() != fam) || (r.to && r.to->family() != fam))
        invalid_argument(operation, shown, "the rule's family does not match its addresses");
    if (!r.iif.empty()) validate_interface_name(r.iif, operation);
    if (!r.oif.empty()) validate_interface_name(r.oif, operation);
    if (r.fwmask && !r.fwmark)
        invalid_argument(operation, shown, "fwmask " + std::to_string(*r.fwmask) + " given without an fwmark");
    for (const auto* pr : {&r.sport, &r.dport})
        if (*pr && (*pr)->start > (*pr)->end)
            invalid_argument(operation, shown,
                             "port range " + std::to_string((*pr)->start) + "-" + std::to_string((*pr)->end) +
                                 " ends before it starts");
    if (r.uidrange && r.uidrange->start > r.uidrange->end)
        invalid_argument(operation, shown, "uid range ends before it starts");
    if (r.action == RuleAction::Goto && !r.goto_target)
        invalid_argument(operation, shown, "action goto needs a goto_target (the priority to jump to)");
    if (r.action != RuleAction::Goto && r.goto_target)
        invalid_argument(operation, shown, "goto_target " + std::to_string(*r.goto_target) + " given for action " +
                                               to_string(r.action));
    if (r.action != RuleAction::Lookup && r.action != RuleAction::Unspec && r.table)
        invalid_argument(operation, shown,
                         "table " + std::to_string(r.table) + " given for action " + to_string(r.action) +
                             " (only 'lookup' uses a table)");
    if (r.action == RuleAction::Unspec && operation.rfind("add", 0) == 0)
        invalid_argument(operation, shown, "a rule to add needs an action");
}

NSNET_DECL nl::MessageBuilder rule_message(std::uint16_t type, std::uint16_t flags, const Rule& r) {
    nl::MessageBuilder m(type, flags);
    fib_rule_hdr h{};
    Family fam = r.from ? r.from->family() : r.to ? r.to->family() : r.family;
    h.family = static_cast<std::uint8_t>(fam);
    if (r.from) h.src_len = static_cast<std::uint8_t>(r.from->length());
    if (r.to) h.dst_len = static_cast<std::uint8_t>(r.to->length());
    h.tos = r.tos;
    if (r.invert) h.flags |= FIB_RULE_INVERT;
    std::uint32_t table = r.table;
    if (type == RTM_NEWRULE) {
        h.action = static_cast<std::uint8_t>(r.action);
        if (r.action == RuleAction::Lookup && table == 0 && !r.l3mdev) table = table_main;
    } else {
        // `ip rule del ... lookup T` leaves the action unset; other actions are sent.
        h.action = r.action == RuleAction::Lookup ? std::uint8_t{0} : static_cast<std::uint8_t>(r.action);
    }
    if (table < 256) h.table = static_cast<std::uint8_t>(table);
    m.put_header(h);
    if (r.from) m.put_ip(FRA_SRC, r.from->address());
    if (r.to) m.put_ip(FRA_DST, r.to->address());
    if (!r.iif.empty()) m.put_string(FRA_IIFNAME, r.iif);
    if (!r.oif.empty()) m.put_string(FRA_OIFNAME, r.oif);
    if (r.fwmark) m.put_u32(FRA_FWMARK, *r.fwmark);
    if (r.fwmask) m.put_u32(FRA_FWMASK, *r.fwmask);
    if (r.priority) m.put_u32(FRA_PRIORITY, *r.priority);
    if (r.uidrange) {
        fib_rule_uid_range u{r.uidrange->start, r.uidrange->end};
        m.put(FRA_UID_RANGE, u);
    }
    if (r.ipproto) m.put_u8(FRA_IP_PROTO, *r.ipproto);
    if (r.sport) {
        fib_rule_port_range p{r.sport->start, r.sport->end};
        m.put(FRA_SPORT_RANGE, p);
    }
    if (r.dport) {
        fib_rule_port_range p{r.dport->start, r.dport->end};
        m.put(FRA_DPORT_RANGE, p);
    }
    if (r.suppress_prefixlen) m.put_u32(FRA_SUPPRESS_PREFIXLEN, *r.suppress_prefixlen);
    if (r.l3mdev) m.put_u8(FRA_L3MDEV, 1);
    if (r.goto_target) m.put_u32(FRA_GOTO, *r.goto_target);
    if (r.protocol) m.put_u8(FRA_PROTOCOL, r.protocol);
    if (table >= 256) m.put_u32(FRA_TABLE, table);
    return m;
}

}  // namespace detail

NSNET_DECL nl::MessageBuilder rule_new(const Rule& r) {
    detail::validate_rule(r, "add rule");
    return detail::rule_message(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r);
}

NSNET_DECL nl::MessageBuilder rule_del(const Rule& r) {
    detail::validate_rule(r, "delete rule");
    return detail::rule_message(RTM_DELRULE, 0, r);
}

NSNET_DECL nl::MessageBuilder rule_dump(unsigned char family) {
    nl::MessageBuilder m(RTM_GETRULE, NLM_F_DUMP);
    fib_rule_hdr h{};
    h.family = family;
    m.put_header(h);
    return m;
}

NSNET_DECL std::optional<Rule> decode_rule(const nl::MessageView& m) {
    if (m.type() != RTM_NEWRULE && m.type() != RTM_DELRULE) return std::nullopt;
    auto h = m.family_header<fib_rule_hdr>();
    if (h.family != AF_INET && h.family != AF_INET6) return std::nullopt;
    Rule r{};
    r.family = static_cast<Family>(h.family);
    r.tos = h.tos;
    r.action = static_cast<RuleAction>(h.action);
    r.table = h.table;
    r.invert = h.flags & FIB_RULE_INVERT;
    r.flags = h.flags & ~std::uint32_t{FIB_RULE_INVERT};
    const std::size_t addr_size = h.family == AF_INET ? 4 : 16;
    const unsigned max_len = h.family == AF_INET ? 32 : 128;
    if (h.src_len > max_len || h.dst_len > max_len)
        nl::malformed("rule prefix length " + std::to_string(std::max(h.src_len, h.dst_len)) + " exceeds " +
                      std::to_string(max_len));
    auto prefix = [&](const nl::Attr& a, unsigned len) {
        if (a.size() != addr_size)
            nl::malformed("rule address attribute " + std::to_string(a.type()) + " has " + std::to_string(a.size()) +
                          " bytes for family " + std::to_string(h.family));
        return Prefix(a.ip(), len);
    };
    for (nl::Attr a : m.attrs<fib_rule_hdr>()) {
        switch (a.type()) {
            case FRA_SRC: r.from = prefix(a, h.src_len); break;
            case FRA_DST: r.to = prefix(a, h.dst_len); break;
            case FRA_IIFNAME: r.iif = std::string(a.str()); break;
            case FRA_OIFNAME: r.oif = std::string(a.str()); break;
            case FRA_FWMARK: r.fwmark = a.u32(); break;
            case FRA_FWMASK: r.fwmask = a.u32(); break;
            case FRA_PRIORITY: r.priority = a.u32(); break;
            case FRA_TABLE: r.table = a.u32(); break;
            case FRA_GOTO: r.goto_target = a.u32(); break;
            case FRA_SUPPRESS_PREFIXLEN:  // the kernel always sends it, -1 meaning unset
                if (a.u32() != 0xffffffffu) r.suppress_prefixlen = a.u32();
                break;
            case FRA_PROTOCOL: r.protocol = a.u8(); break;
            case FRA_IP_PROTO: r.ipproto = a.u8(); break;
            case FRA_L3MDEV: r.l3mdev = a.u8() != 0; break;
            case FRA_SPORT_RANGE: {
                auto p = a.as<fib_rule_port_range>();
                r.sport = PortRange{p.start, p.end};
                break;
            }
            case FRA_DPORT_RANGE: {
                auto p = a.as<fib_rule_port_range>();
                r.dport = PortRange{p.start, p.end};
                break;
            }
            case FRA_UID_RANGE: {
                auto u = a.as<fib_rule_uid_range>();
                r.uidrange = UidRange{u.start, u.end};
                break;
            }
            default: break;
        }
    }
    // The kernel omits FRA_PRIORITY for priority 0 (the `local` rule).
    if (!r.priority) r.priority = 0;
    // A source/destination length without its address (or the reverse) is not something the
    // kernel sends: treat "from all" as no selector.
    if (!r.from && h.src_len) nl::malformed("rule has src_len " + std::to_string(h.src_len) + " but no FRA_SRC");
    if (!r.to && h.dst_len) nl::malformed("rule has dst_len " + std::to_string(h.dst_len) + " but no FRA_DST");
    return r;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::rtnl
