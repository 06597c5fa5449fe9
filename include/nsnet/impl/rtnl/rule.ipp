// nsnet/impl/rtnl/rule.ipp — the function bodies of <nsnet/rtnl/rule.hpp>.
//
// Included at the end of nsnet/rtnl/rule.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(RuleAction a) noexcept {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string describe(const Rule& r) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void validate_rule(const Rule& r, const std::string& operation) {
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

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_message(std::uint16_t type, std::uint16_t flags, const Rule& r) {
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

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_new(const Rule& r) {
    detail::validate_rule(r, "add rule");
    return detail::rule_message(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_del(const Rule& r) {
    detail::validate_rule(r, "delete rule");
    return detail::rule_message(RTM_DELRULE, 0, r);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_dump(unsigned char family) {
    nl::MessageBuilder m(RTM_GETRULE, NLM_F_DUMP);
    fib_rule_hdr h{};
    h.family = family;
    m.put_header(h);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Rule> RuleDecoder::operator()(const nl::MessageView& m) const {
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

}  // namespace nsnet::rtnl
