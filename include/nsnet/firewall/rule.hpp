// nsnet/firewall/rule.hpp — firewall rules for container networking: any match and statement a
// CNI bridge + portmap setup needs, in `inet`, `ip` or `ip6` tables, tagged with an owner so a
// later process finds and removes them.
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp). Rules live in the table `FAMILY nsnet`
// (the same table and fixed base chains as Masquerade/Dnat/FilterRule, firewall/table.hpp: nat `prerouting`
// -100, `postrouting` 100, `output` -100, `input_nat` 100; filter `prerouting_filter`, `input`,
// `forward`, `output_filter`, `postrouting_filter`, priority 0), or in a regular chain of that
// table named by RuleOptions.chain (created with the rule: a `jump` target). Every rule carries a
// comment (NFTA_RULE_USERDATA, as `nft ... comment "..."` writes it, so `nft list ruleset` shows it):
// "owner:OWNER nsnet:TAG" — OWNER is RuleOptions.owner (e.g. a container id), TAG a random token
// that finds the rule again when the kernel's answer to its batch is lost (see firewall/table.hpp).
//
// Portmap, as a CNI plugin writes it (container 10.88.0.2 and fd00::2 on bridge cni0, network
// 10.88.0.0/16 and fd00::/64; host port 8080/tcp -> container port 80; owner = the container id):
//
//   using namespace nsnet::firewall;
//   const std::string id = container_id;
//   for (Hook hook : {Hook::Prerouting, Hook::Output}) {          // from outside, and from the host
//       for (auto [net, lo, addr] : {std::tuple{"10.88.0.0/16", "127.0.0.0/8", "10.88.0.2"},
//                                    std::tuple{"fd00::/64", "::1/128", "fd00::2"}}) {
//           // hairpin (a container reaching its own or a neighbour's host port) and localhost:
//           // mark them, so the masquerade below gives them the host's source address
//           for (const char* src : {net, lo})
//               Rule::create(host, {.hook = hook, .type = ChainType::Nat,   // before the dnat below
//                                   .match = {.saddr = src, .daddr_local = true,
//                                             .protocol = Protocol::Tcp, .dport = 8080},
//                                   .set_meta_mark = MarkSet{.value = 0x2000, .mask = 0x2000},
//                                   .owner = id}).persist();
//           // the port forward itself: only to addresses of this host (`fib daddr type local`),
//           // so a container's connection to a remote host's port 8080 is left alone
//           Rule::create(host, {.hook = hook,
//                               .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
//                               .action = Action::Dnat, .to = addr, .to_ports = 80,
//                               .owner = id}).persist();
//       }
//   }
//   // shared by every container of the network: created once, never owned, never removed by DEL
//   Rule::ensure(host, {.hook = Hook::Postrouting, .match = {.meta_mark = MarkMatch{.value = 0x2000, .mask = 0x2000}},
//                       .action = Action::Masquerade});
//   // (with IPv4 localhost: sysctl net.ipv4.conf.cni0.route_localnet=1)
//
//   // DEL, in another process:
//   Rule::remove_owned(host, id);     // every rule of that container; empty chains and the table go too
//
// and `nft list ruleset` in the host shows, e.g.
//   table inet nsnet {
//       chain prerouting { type nat hook prerouting priority dstnat; policy accept;
//           ip saddr 10.88.0.0/16 fib daddr type local tcp dport 8080 counter packets 0 bytes 0 meta mark set meta mark | 0x00002000 comment "owner:ctr1 nsnet:5f0c..."
//           fib daddr type local tcp dport 8080 counter packets 0 bytes 0 dnat ip to 10.88.0.2:80 comment "owner:ctr1 nsnet:9a41..."
//           ... } ... }
//
// Ownership follows the object convention (README): Rule::create returns an owner that removes
// the rule when destroyed unless persist()ed; Rule::ensure returns a RuleRef that owns nothing;
// Rule::remove(ns, ref) and Rule::remove_owned(ns, owner) work from any process and treat "already
// gone" as success; after a removal, chains left empty (base chains with policy accept, regular
// chains nothing jumps to) and then the table are deleted, each refused by the kernel (NLM_F_NONREC)
// while something is still in it.
//
// Names: `nsnet::firewall::Rule` is not `nsnet::Rule` (rule.hpp, `ip rule`); with both
// namespaces open write `firewall::Rule` (or `namespace fw = nsnet::firewall;`).
//
// Not done here: sets and maps, `ct status`, sctp ports, rule positions (rules are appended).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/text.hpp"

namespace nsnet::firewall {

// The table family: `inet` (IPv4 and IPv6 in one table), `ip`, `ip6`.
enum class Family : std::uint8_t {
    Inet = NFPROTO_INET,
    Ip = NFPROTO_IPV4,
    Ip6 = NFPROTO_IPV6,
};

// Hook (the base chain a rule is in) and Protocol (of a port match): firewall/table.hpp.

// One port or a range: `8080` or `{8000, 8100}`.
struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    PortRange() = default;
    PortRange(std::uint16_t port) : first(port), last(port) {}  // NOLINT: implicit on purpose
    PortRange(std::uint16_t f, std::uint16_t l) : first(f), last(l) {}
};

// An address or prefix, as text ("10.88.0.0/16", "fd00::2") or typed (Prefix, IpAddress).
class Addr {
public:
    Addr() = default;
    Addr(const char* text) : text_(text ? text : "") {}          // NOLINT: implicit on purpose
    Addr(std::string text) : text_(std::move(text)) {}           // NOLINT
    Addr(const Prefix& p) : prefix_(p) {}                         // NOLINT
    Addr(const IpAddress& a) : prefix_(Prefix(a, a.is_v4() ? 32 : 128)) {}  // NOLINT
    // The prefix; an InvalidArgument naming `field` when the text is not an address or prefix.
    Prefix resolve(const std::string& operation, const std::string& field) const;

private:
    std::string text_{};
    std::optional<Prefix> prefix_{};
};

// An interface, by name ("cni0") or any Link (its name is matched: `iifname "cni0"`).
class Iface {
public:
    Iface() = default;
    Iface(const char* name) : name_(name ? name : "") {}  // NOLINT: implicit on purpose
    Iface(std::string name) : name_(std::move(name)) {}   // NOLINT
    Iface(const Link& link) : name_(link.name()) {}       // NOLINT
    const std::string& name() const noexcept { return name_; }

private:
    std::string name_{};
};

// Conntrack states (`ct state established,related`); combine with |.
enum class CtState : std::uint32_t {
    Invalid = 1,
    Established = 2,
    Related = 4,
    New = 8,
    Untracked = 64,
};
constexpr CtState operator|(CtState a, CtState b) noexcept {
    return static_cast<CtState>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}

// `meta mark & MASK == VALUE` (mask all ones: `meta mark VALUE`); negate: `!=`.
struct MarkMatch {
    std::uint32_t value = 0;
    std::uint32_t mask = 0xffffffff;
    bool negate = false;
};

// `meta mark set ...`: the bits in `mask` become those of `value`, the others stay (mask all
// ones: `meta mark set VALUE`; value == mask: `meta mark set meta mark | VALUE`).
struct MarkSet {
    std::uint32_t value = 0;
    std::uint32_t mask = 0xffffffff;
};

// What a packet must look like; every field given must match (none given: every packet, which a
// NAT rule must ask for with RuleOptions.match_all).
struct Match {
    std::optional<Iface> iif{};          // iifname "cni0"
    bool iif_negate = false;             // iifname != "cni0"
    std::optional<Iface> oif{};          // oifname "cni0"
    bool oif_negate = false;
    std::optional<Addr> saddr{};         // ip saddr 10.88.0.0/16 / ip6 saddr fd00::/64
    bool saddr_negate = false;
    std::optional<Addr> daddr{};
    bool daddr_negate = false;
    bool daddr_local = false;            // fib daddr type local: to an address of this host
    std::optional<Protocol> protocol{};  // meta l4proto tcp (needed by sport/dport)
    std::optional<PortRange> sport{};    // tcp sport 1024-65535
    std::optional<PortRange> dport{};    // tcp dport 8080
    std::optional<CtState> ct_state{};   // ct state established,related
    std::optional<MarkMatch> ct_mark{};  // ct mark 0x10
    std::optional<MarkMatch> meta_mark{};  // meta mark & 0x2000 == 0x2000
};

// The kind of base chain a rule goes to. Auto: nat for Masquerade/Snat/Dnat/Redirect, filter
// otherwise. Nat for a rule that must run with the NAT rules of its hook, before their rewrite:
// portmap's hairpin mark (`fib daddr type local` still sees the original destination there).
enum class ChainType { Auto, Filter, Nat };

// What a matching packet gets after the mark statements (None: nothing, the next rule runs).
enum class Action { None, Accept, Drop, Return, Jump, Goto, Masquerade, Snat, Dnat, Redirect };

struct RuleOptions {
    Family family = Family::Inet;
    Hook hook = Hook::Forward;
    ChainType type = ChainType::Auto;
    // Empty: nsnet's base chain for the hook (a nat chain for Masquerade/Snat/Dnat/Redirect, a
    // filter chain otherwise). A name: a regular chain of the table (created if missing), reached
    // through a rule with Action::Jump / Goto.
    std::string chain{};
    Match match{};
    bool match_all = false;             // a NAT rule with an empty match must say so
    bool counter = true;                // `counter` (as iptables always has one)
    std::optional<MarkSet> set_meta_mark{};
    std::optional<MarkSet> set_ct_mark{};
    Action action = Action::None;
    std::optional<Addr> to{};           // Snat / Dnat: the new address
    std::optional<PortRange> to_ports{};  // Snat / Dnat / Masquerade / Redirect: the new port(s)
    std::string target{};               // Jump / Goto: the regular chain
    std::string owner{};                // recorded in the rule's comment (at most 200 bytes, printable, no ")
};

// Where a rule is: enough to find or remove it from any process.
struct RuleRef {
    Family family = Family::Inet;
    std::string chain{};
    std::uint64_t handle = 0;
    std::uint64_t table_handle = 0;  // the table's handle when the rule was made (0: any)
};

// A rule as read back from the kernel.
struct RuleInfo {
    RuleRef ref{};
    std::string owner{};  // "" for shared rules (ensure) and rules without nsnet's comment
    std::string tag{};    // nsnet's tag; "" for rules nsnet did not write
    std::string text{};   // as `nft list ruleset` shows it (counter values included)
    nft::Rule raw{};
};

// What Rule::list returns: every rule of nsnet's tables, or those of one owner / family.
struct ListFilter {
    std::optional<std::string> owner{};
    std::optional<Family> family{};
};

// One rule nsnet added. Move-only; removes the rule when destroyed unless persist()ed.
class Rule {
public:
    Rule() = default;
    Rule(Rule&&) noexcept = default;
    Rule& operator=(Rule&&) noexcept = default;
    Rule(const Rule&) = delete;
    Rule& operator=(const Rule&) = delete;
    ~Rule() = default;  // the NftRule inside removes the rule unless persisted

    // nft add rule FAMILY nsnet CHAIN ... comment "owner:OWNER nsnet:TAG"
    static Rule create(const NetnsRef& ns, const RuleOptions& options);
    // Several rules in one nf_tables batch (one request, all of them or none: a bad option or a
    // rule the kernel refuses leaves nothing), in the order given (rules of one chain keep that
    // order). The same guarantees after a lost answer as one create(): the rules are found again
    // by their tags, or, if only some are there, removed. One table per batch: every rule has the
    // same family (else InvalidArgument naming the first rule of another family). Empty: nothing.
    static std::vector<Rule> create(const NetnsRef& ns, const std::vector<RuleOptions>& options);
    // A shared rule (a network's masquerade): the same rule (same chain and expressions, no owner)
    // when one exists, else a new one; never owned (nothing removes it but an explicit remove()).
    static RuleRef ensure(const NetnsRef& ns, const RuleOptions& options);
    // nft -a list table FAMILY nsnet, filtered.
    static std::vector<RuleInfo> list(const NetnsRef& ns, const ListFilter& filter = {});
    // The rule at `ref`; nullopt / Error(ENOENT) naming it when it is gone.
    static std::optional<RuleInfo> find(const NetnsRef& ns, const RuleRef& ref);
    static RuleInfo get(const NetnsRef& ns, const RuleRef& ref);
    // Takes ownership of an existing rule of nsnet's tables (checked to exist).
    static Rule adopt(const NetnsRef& ns, const RuleRef& ref);
    // nft delete rule FAMILY nsnet CHAIN handle H; already gone is success. Then empty chains/table.
    static void remove(const NetnsRef& ns, const RuleRef& ref);
    // Every rule whose owner is `owner`, in all of nsnet's tables, one batch per table; returns how
    // many were removed. Then empty chains and tables.
    static std::size_t remove_owned(const NetnsRef& ns, const std::string& owner);

    bool active() const noexcept { return rule_.active(); }
    RuleRef ref() const;
    // As `nft list ruleset` shows it, without counter values.
    std::string to_string() const { return rule_.to_string(); }
    const std::string& owner() const;
    void persist() noexcept { rule_.persist(); }
    // Keeps the rule and returns where it is; this object then owns nothing.
    RuleRef release();
    // Removes the rule now (idempotent), then empty chains and the table.
    void remove();

private:
    explicit Rule(NftRule r) : rule_(std::move(r)) {}
    NftRule rule_{};
};

// "inet", "ip", "ip6".
NSNET_DECL std::string family_name(Family f);

namespace detail {
NSNET_DECL std::shared_ptr<nsnet::detail::NftRuleState> rule_state(const NetnsRef& ns, const RuleOptions& o);
}  // namespace detail

}  // namespace nsnet::firewall

namespace nsnet::firewall {

#if NSNET_DEFINITIONS

NSNET_DECL std::string family_name(Family f) { return nft::family_name(static_cast<nft::TableFamily>(f)); }

NSNET_DECL Prefix Addr::resolve(const std::string& operation, const std::string& field) const {
    if (prefix_) return *prefix_;
    try {
        return Prefix::parse(text_);
    } catch (const Error&) {
        invalid_argument(operation, text_, field + ": '" + text_ + "' is not an address or prefix");
    }
}

namespace detail {

using nsnet::detail::NftRuleState;

NSNET_DECL void check_family(Family f, const Prefix& p, const std::string& op, const std::string& field) {
    const bool v4 = p.address().is_v4();
    if ((f == Family::Ip && !v4) || (f == Family::Ip6 && v4))
        invalid_argument(op, p.to_string(),
                         field + ": " + p.to_string() + " is " + (v4 ? "IPv4" : "IPv6") + " but the table is " +
                             family_name(f) + " nsnet");
}

NSNET_DECL void words(NftRuleState& st, const std::string& w) {
    if (!st.description.empty()) st.description += ' ';
    st.description += w;
}

NSNET_DECL void check_owner(const std::string& owner, const std::string& op) {
    if (owner.size() > 200)
        invalid_argument(op, owner, "RuleOptions.owner is " + std::to_string(owner.size()) + " bytes; at most 200");
    for (unsigned char c : owner)
        if (c < 0x20 || c == 0x7f || c == '"')
            invalid_argument(op, owner, "RuleOptions.owner '" + owner + "' has a control character or a double quote");
}

NSNET_DECL std::shared_ptr<NftRuleState> rule_state(const NetnsRef& ns, const RuleOptions& o) {
    const std::string op = "add firewall rule";
    const Match& m = o.match;
    const auto tf = static_cast<nft::TableFamily>(o.family);
    const bool nat_action = o.action == Action::Masquerade || o.action == Action::Snat || o.action == Action::Dnat ||
                            o.action == Action::Redirect;
    if (nat_action && o.type == ChainType::Filter)
        invalid_argument(op, "filter", "RuleOptions.type: masquerade/snat/dnat/redirect only run in a nat chain");
    const bool nat = nat_action || o.type == ChainType::Nat;
    check_owner(o.owner, op);
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->family = tf;
    st->owner = o.owner;
    // The chain.
    if (!o.chain.empty()) {
        nft::validate_name(o.chain, "chain", op);
        st->chain = {o.chain, std::nullopt};
    } else if (nat) {
        nft::Hook h = nft::Hook::Prerouting;
        switch (o.hook) {
            case Hook::Prerouting: h = nft::Hook::Prerouting; break;
            case Hook::Output: h = nft::Hook::Output; break;
            case Hook::Postrouting: h = nft::Hook::Postrouting; break;
            case Hook::Input: h = nft::Hook::Input; break;
            case Hook::Forward:
                invalid_argument(op, "forward", "RuleOptions.hook: NAT (masquerade, snat, dnat, redirect) has no forward hook");
        }
        const bool dst = o.action == Action::Dnat || o.action == Action::Redirect;
        if (nat_action && dst != (h == nft::Hook::Prerouting || h == nft::Hook::Output))
            invalid_argument(op, nft::hook_name(h),
                             std::string("RuleOptions.hook: ") + (dst ? "dnat/redirect" : "snat/masquerade") +
                                 " cannot run in the " + nft::hook_name(h) + " hook");
        st->chain = nsnet::detail::nat_chain(h);
    } else {
        st->chain = nsnet::detail::filter_chain(o.hook);
    }
    // Matches, in nft's order of writing them.
    auto iface = [&](bool input, const std::optional<Iface>& i, bool negate) {
        if (!i) return;
        const std::string field = input ? "Match.iif" : "Match.oif";
        if (i->name().empty()) invalid_argument(op, "", field + " is empty");
        validate_interface_name(i->name(), op);
        nft::detail::append(st->exprs, nft::match_ifname(input, i->name(), negate));
        words(*st, std::string(input ? "iifname " : "oifname ") + (negate ? "!= " : "") + "\"" + i->name() + "\"");
    };
    iface(true, m.iif, m.iif_negate);
    iface(false, m.oif, m.oif_negate);
    std::optional<bool> v6{};  // the address family the rule's addresses are of
    auto address = [&](bool source, const std::optional<Addr>& a, bool negate) {
        if (!a) return;
        const std::string field = source ? "Match.saddr" : "Match.daddr";
        Prefix p = a->resolve(op, field);
        check_family(o.family, p, op, field);
        const bool is6 = !p.address().is_v4();
        if (v6 && *v6 != is6) invalid_argument(op, p.to_string(), field + ": mixes IPv4 and IPv6 in one rule");
        if (o.family == Family::Inet && !v6) nft::detail::append(st->exprs, nft::match_nfproto(is6 ? NFPROTO_IPV6 : NFPROTO_IPV4));
        v6 = is6;
        if (p.length() == 0) return;
        nft::detail::append(st->exprs, nft::match_address(source, p, negate));
        Prefix net = p.network();
        const unsigned max = is6 ? 128 : 32;
        words(*st, std::string(is6 ? "ip6 " : "ip ") + (source ? "saddr " : "daddr ") + (negate ? "!= " : "") +
                       (net.length() == max ? net.address().to_string() : net.to_string()));
    };
    address(true, m.saddr, m.saddr_negate);
    address(false, m.daddr, m.daddr_negate);
    if (m.daddr_local) {
        nft::detail::append(st->exprs, nft::match_fib_daddr_local());
        words(*st, "fib daddr type local");
    }
    if ((m.sport || m.dport) && !m.protocol) invalid_argument(op, "port", "Match.sport/dport need Match.protocol (tcp or udp)");
    auto port = [&](bool dest, const std::optional<PortRange>& r) {
        if (!r) return;
        const std::string field = dest ? "Match.dport" : "Match.sport";
        if (r->first == 0 || r->last < r->first)
            invalid_argument(op, std::to_string(r->first) + "-" + std::to_string(r->last),
                             field + ": " + std::to_string(r->first) + "-" + std::to_string(r->last) + " is not a range of 1..65535");
        const auto proto = static_cast<std::uint8_t>(*m.protocol);
        nft::detail::append(st->exprs, nft::match_port_range(proto, dest, r->first, r->last));
        words(*st, nft::detail::proto_text(proto) + (dest ? " dport " : " sport ") + std::to_string(r->first) +
                       (r->last != r->first ? "-" + std::to_string(r->last) : std::string()));
    };
    if (m.protocol && !m.sport && !m.dport) {
        nft::detail::append(st->exprs, nft::match_l4proto(static_cast<std::uint8_t>(*m.protocol)));
        words(*st, "meta l4proto " + nft::detail::proto_text(static_cast<std::uint8_t>(*m.protocol)));
    }
    port(false, m.sport);
    port(true, m.dport);
    if (m.ct_state) {
        auto bits = static_cast<std::uint32_t>(*m.ct_state);
        if (bits == 0) invalid_argument(op, "0", "Match.ct_state is empty");
        nft::detail::append(st->exprs, nft::match_ct_state(bits));
        words(*st, "ct state " + nft::detail::ct_state_text(bits));
    }
    auto mark = [&](bool ct, const std::optional<MarkMatch>& mm) {
        if (!mm) return;
        nft::detail::append(st->exprs, nft::match_mark(ct, mm->value, mm->mask, mm->negate));
        std::string k = ct ? "ct mark " : "meta mark ";
        if (mm->mask == 0xffffffffU) words(*st, k + (mm->negate ? "!= " : "") + nft::detail::hex32(mm->value));
        else
            words(*st, k + "& " + nft::detail::hex32(mm->mask) + (mm->negate ? " != " : " == ") +
                           nft::detail::hex32(mm->value & mm->mask));
    };
    mark(true, m.ct_mark);
    mark(false, m.meta_mark);
    const bool empty_match = st->exprs.empty();
    if (nat_action && empty_match && !o.match_all)
        invalid_argument(op, "(empty match)",
                         "RuleOptions.match is empty: this NAT rule would rewrite every packet; set match_all = true "
                         "if that is meant");
    if (o.counter) {
        st->exprs.push_back(nft::counter());
        st->has_counter = true;
        words(*st, "counter");
    }
    auto set = [&](bool ct, const std::optional<MarkSet>& ms) {
        if (!ms) return;
        nft::detail::append(st->exprs, nft::set_mark(ct, ms->value, ms->mask));
        std::string k = ct ? "ct mark set " : "meta mark set ";
        std::string self = ct ? "ct mark" : "meta mark";
        if (ms->mask == 0xffffffffU) words(*st, k + nft::detail::hex32(ms->value));
        else if (ms->value == ms->mask) words(*st, k + self + " | " + nft::detail::hex32(ms->value));
        else words(*st, k + self + " & " + nft::detail::hex32(~ms->mask) + " ^ " + nft::detail::hex32(ms->value));
    };
    set(false, o.set_meta_mark);
    set(true, o.set_ct_mark);
    // The action.
    std::optional<std::uint16_t> pmin{}, pmax{};
    std::string ports_text{};
    if (o.to_ports) {
        if (o.action != Action::Snat && o.action != Action::Dnat && o.action != Action::Masquerade &&
            o.action != Action::Redirect)
            invalid_argument(op, "to_ports", "RuleOptions.to_ports is only for snat, dnat, masquerade and redirect");
        if (o.to_ports->first == 0 || o.to_ports->last < o.to_ports->first)
            invalid_argument(op, std::to_string(o.to_ports->first) + "-" + std::to_string(o.to_ports->last),
                             "RuleOptions.to_ports is not a range of 1..65535");
        if (!m.protocol)
            invalid_argument(op, "to_ports", "RuleOptions.to_ports needs Match.protocol (tcp or udp): nat ports are per protocol");
        pmin = o.to_ports->first;
        pmax = o.to_ports->last;
        ports_text = ":" + std::to_string(*pmin) + (*pmax != *pmin ? "-" + std::to_string(*pmax) : std::string());
    }
    if ((o.action == Action::Snat || o.action == Action::Dnat) != o.to.has_value())
        invalid_argument(op, "to", o.to ? "RuleOptions.to is only for snat and dnat" : "snat/dnat need RuleOptions.to");
    if ((o.action == Action::Jump || o.action == Action::Goto) != !o.target.empty())
        invalid_argument(op, o.target, o.target.empty() ? "jump/goto need RuleOptions.target" : "RuleOptions.target is only for jump and goto");
    switch (o.action) {
        case Action::None: break;
        case Action::Accept:
        case Action::Drop:
        case Action::Return:
            st->exprs.push_back(nft::verdict(o.action == Action::Accept ? nft::Verdict::Accept
                                             : o.action == Action::Drop ? nft::Verdict::Drop
                                                                        : nft::Verdict::Return));
            words(*st, o.action == Action::Accept ? "accept" : o.action == Action::Drop ? "drop" : "return");
            break;
        case Action::Jump:
        case Action::Goto:
            nft::validate_name(o.target, "chain", op);
            st->exprs.push_back(nft::jump(o.target, o.action == Action::Goto));
            words(*st, (o.action == Action::Jump ? "jump " : "goto ") + o.target);
            break;
        case Action::Masquerade:
            nft::detail::append(st->exprs, nft::masquerade_to(pmin, pmax));
            words(*st, "masquerade" + (ports_text.empty() ? std::string() : " to " + ports_text));
            break;
        case Action::Redirect:
            nft::detail::append(st->exprs, nft::redirect_to(pmin, pmax));
            words(*st, "redirect" + (ports_text.empty() ? std::string() : " to " + ports_text));
            break;
        case Action::Snat:
        case Action::Dnat: {
            Prefix p = o.to->resolve(op, "RuleOptions.to");
            const unsigned max = p.address().is_v4() ? 32 : 128;
            if (p.length() != max) invalid_argument(op, p.to_string(), "RuleOptions.to: " + p.to_string() + " is a prefix, not an address");
            check_family(o.family, p, op, "RuleOptions.to");
            const bool is6 = !p.address().is_v4();
            if (v6 && *v6 != is6) invalid_argument(op, p.to_string(), "RuleOptions.to: the rule matches the other IP version");
            if (p.address().is_unspecified()) invalid_argument(op, p.to_string(), "RuleOptions.to: " + p.to_string() + " is not an address");
            if (o.family == Family::Inet && !v6) {
                // inet nat needs the packet's family pinned (nft: `meta nfproto ipv4`), before the counter
                nft::Exprs pin = nft::match_nfproto(is6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
                st->exprs.insert(st->exprs.begin(), pin.begin(), pin.end());
                st->description = std::string("meta nfproto ") + (is6 ? "ipv6" : "ipv4") +
                                  (st->description.empty() ? "" : " " + st->description);
            }
            const auto type = o.action == Action::Snat ? nft::NatType::Snat : nft::NatType::Dnat;
            nft::detail::append(st->exprs, nft::nat_to_range(type, p.address(), pmin, pmax));
            std::string a = p.address().to_string();
            words(*st, std::string(o.action == Action::Snat ? "snat " : "dnat ") +
                           (o.family == Family::Inet ? (is6 ? "ip6 " : "ip ") : "") + "to " +
                           (is6 && !ports_text.empty() ? "[" + a + "]" : a) + ports_text);
            break;
        }
    }
    if (st->exprs.empty()) invalid_argument(op, "(empty rule)", "the rule has no match, no counter and no action");
    return st;
}

// The rules of nsnet's table of family f (none when there is no such table, or it is not nsnet's).
NSNET_DECL std::vector<nft::Rule> table_rules(nl::Socket& s, nft::TableFamily f, std::uint64_t& table_handle) {
    table_handle = 0;
    auto t = nsnet::detail::find_nsnet_table(s, f);
    if (!t || !nsnet::detail::is_nsnet_table(*t) || !t->handle) return {};
    table_handle = *t->handle;
    return nsnet::detail::list_nsnet_rules(s, f);
}

NSNET_DECL RuleInfo info_of(const nft::Rule& r, std::uint64_t table_handle) {
    RuleInfo i;
    i.ref = {static_cast<Family>(r.family), r.chain, r.handle.value_or(0), table_handle};
    if (r.comment)
        if (auto c = nsnet::detail::parse_rule_comment(*r.comment)) {
            i.owner = c->owner;
            i.tag = c->tag;
        }
    i.text = nft::to_text(r);
    i.raw = r;
    return i;
}

// Expressions equal up to counter values.
NSNET_DECL bool same_exprs(const nft::Exprs& a, const nft::Exprs& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::holds_alternative<nft::Counter>(a[i]) && std::holds_alternative<nft::Counter>(b[i])) continue;
        if (!(a[i] == b[i])) return false;
    }
    return true;
}

constexpr Family all_families[] = {Family::Inet, Family::Ip, Family::Ip6};

}  // namespace detail

NSNET_DECL Rule Rule::create(const NetnsRef& ns, const RuleOptions& options) {
    nsnet::detail::TableBatch b(ns);
    auto st = b.queue(detail::rule_state(b.netns(), options));
    NftRule r(st);
    b.commit();
    return Rule(std::move(r));
}

NSNET_DECL std::vector<Rule> Rule::create(const NetnsRef& ns, const std::vector<RuleOptions>& options) {
    std::vector<Rule> out;
    if (options.empty()) return out;
    NatBatch b(ns);
    std::vector<std::shared_ptr<nsnet::detail::NftRuleState>> states;
    states.reserve(options.size());
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (options[i].family != options[0].family)
            invalid_argument("create firewall rules", family_name(options[i].family),
                             "options[" + std::to_string(i) + "].family is " + family_name(options[i].family) +
                                 ", options[0]'s is " + family_name(options[0].family) +
                                 ": one batch changes one table");
        states.push_back(detail::rule_state(b.netns_, options[i]));
    }
    // Every rule is checked before any is queued or sent: a bad option changes nothing.
    out.reserve(states.size());
    for (auto& st : states) out.push_back(Rule(NftRule(b.queue(st))));
    b.commit();  // throws: the rules stay inactive, their owners do nothing
    return out;
}

NSNET_DECL RuleRef Rule::ensure(const NetnsRef& ns, const RuleOptions& options) {
    RuleOptions shared = options;
    shared.owner.clear();
    auto want = detail::rule_state(ns.valid() ? ns : NetnsRef::current(), shared);
    {
        nl::Socket s = nsnet::detail::nft_socket(want->netns);
        std::uint64_t th = 0;
        for (const auto& r : detail::table_rules(s, want->family, th)) {
            if (r.chain != want->chain.name || !r.handle || !r.comment) continue;
            auto c = nsnet::detail::parse_rule_comment(*r.comment);
            if (c && c->owner.empty() && detail::same_exprs(r.exprs, want->exprs))
                return RuleRef{static_cast<Family>(r.family), r.chain, *r.handle, th};
        }
    }
    Rule r = create(ns, shared);
    return r.release();
}

NSNET_DECL std::vector<RuleInfo> Rule::list(const NetnsRef& ns, const ListFilter& filter) {
    nl::Socket s = nsnet::detail::nft_socket(ns.valid() ? ns : NetnsRef::current());
    std::vector<RuleInfo> out;
    for (Family f : detail::all_families) {
        if (filter.family && *filter.family != f) continue;
        std::uint64_t th = 0;
        for (const auto& r : detail::table_rules(s, static_cast<nft::TableFamily>(f), th)) {
            RuleInfo i = detail::info_of(r, th);
            if (filter.owner && i.owner != *filter.owner) continue;
            out.push_back(std::move(i));
        }
    }
    return out;
}

NSNET_DECL std::optional<RuleInfo> Rule::find(const NetnsRef& ns, const RuleRef& ref) {
    nl::Socket s = nsnet::detail::nft_socket(ns.valid() ? ns : NetnsRef::current());
    const auto tf = static_cast<nft::TableFamily>(ref.family);
    auto t = nsnet::detail::find_nsnet_table(s, tf);
    if (!t || !t->handle || !nsnet::detail::is_nsnet_table(*t)) return std::nullopt;
    if (ref.table_handle && *t->handle != ref.table_handle) return std::nullopt;
    auto r = nsnet::detail::find_rule(s, ref.chain, ref.handle, tf);
    if (!r) return std::nullopt;
    return detail::info_of(*r, *t->handle);
}

NSNET_DECL RuleInfo Rule::get(const NetnsRef& ns, const RuleRef& ref) {
    auto i = find(ns, ref);
    if (!i)
        throw Error(ENOENT, "get firewall rule",
                    family_name(ref.family) + " nsnet " + ref.chain + " handle " + std::to_string(ref.handle), {},
                    "no such rule");
    return *i;
}

NSNET_DECL Rule Rule::adopt(const NetnsRef& ns, const RuleRef& ref) {
    NetnsRef n = ns.valid() ? ns : NetnsRef::current();
    RuleInfo i = get(n, ref);
    auto st = std::make_shared<nsnet::detail::NftRuleState>();
    st->netns = n;
    st->family = static_cast<nft::TableFamily>(ref.family);
    st->chain = {ref.chain, std::nullopt};
    st->exprs = i.raw.exprs;
    st->description = nft::to_text(i.raw, false);
    st->has_counter = nft::find_counter(i.raw.exprs).has_value();
    st->table_handle = i.ref.table_handle;
    st->handle = ref.handle;
    st->tag = i.tag;
    st->owner = i.owner;
    st->active = true;
    return Rule(NftRule(st));
}

NSNET_DECL void Rule::remove(const NetnsRef& ns, const RuleRef& ref) {
    NetnsRef n = ns.valid() ? ns : NetnsRef::current();
    auto i = find(n, ref);
    if (!i) return;  // already gone
    Rule r = adopt(n, i->ref);
    r.remove();
}

NSNET_DECL std::size_t Rule::remove_owned(const NetnsRef& ns, const std::string& owner) {
    if (owner.empty()) invalid_argument("remove owned firewall rules", owner, "owner is empty (shared rules have no owner)");
    NetnsRef n = ns.valid() ? ns : NetnsRef::current();
    std::size_t removed = 0;
    for (Family f : detail::all_families) {
        const auto tf = static_cast<nft::TableFamily>(f);
        std::vector<std::uint64_t> pending;  // handles a failed attempt tried to delete
        for (int attempt = 0; attempt < 3; ++attempt) {
            nl::Socket s = nsnet::detail::nft_socket(n);
            std::uint64_t th = 0;
            std::vector<nft::Rule> mine;
            for (const auto& r : detail::table_rules(s, tf, th))
                if (r.handle && r.comment)
                    if (auto c = nsnet::detail::parse_rule_comment(*r.comment); c && c->owner == owner) mine.push_back(r);
            // Those of a failed attempt that are gone now were deleted by it (its answer was lost).
            for (std::uint64_t h : pending) {
                bool left = false;
                for (const auto& r : mine) left = left || *r.handle == h;
                if (!left) ++removed;
            }
            pending.clear();
            if (mine.empty()) {
                if (th) nsnet::detail::sweep_table(s, th, tf);
                break;
            }
            nft::Batch b;
            for (const auto& r : mine)
                b.add(nft::rule_del(tf, nft_table_name, r.chain, *r.handle), "delete rule",
                      nft::table_id(tf, nft_table_name) + " " + r.chain + " handle " + std::to_string(*r.handle));
            std::optional<Error> failure;
            bool applied = false;
            try {
                nft::BatchResult res = b.run(s);
                applied = res.applied;
                if (!applied) failure = res.error();
            } catch (const Error& e) {
                failure = e;
            }
            if (applied) {
                removed += mine.size();
                // Empty chains and the table: retried once on a fresh socket, then left to the
                // next removal (the rules, which matter, are gone).
                try {
                    nsnet::detail::sweep_table(s, th, tf);
                } catch (const Error&) {
                    try {
                        nl::Socket fresh = nsnet::detail::nft_socket(n);
                        nsnet::detail::sweep_table(fresh, th, tf);
                    } catch (const Error&) {
                    }
                }
                break;
            }
            // Refused (a rule vanished meanwhile: ENOENT fails the whole batch) or answer lost:
            // look again and delete what is still there.
            if (attempt == 2) throw *failure;
            for (const auto& r : mine) pending.push_back(*r.handle);
        }
    }
    return removed;
}

NSNET_DECL RuleRef Rule::ref() const {
    if (!rule_.state_ptr()) return {};
    const auto& st = *rule_.state_ptr();
    return RuleRef{static_cast<Family>(st.family), st.chain.name, st.handle, st.table_handle};
}

NSNET_DECL const std::string& Rule::owner() const { return rule_.state().owner; }

NSNET_DECL RuleRef Rule::release() {
    RuleRef r = ref();
    rule_.persist();
    rule_ = NftRule();
    return r;
}

NSNET_DECL void Rule::remove() {
    if (!rule_.state_ptr() || !rule_.state_ptr()->active) return;
    auto st = rule_.state_ptr();
    rule_.remove();
    // A regular chain (or a jump target) left empty, and then the table.
    try {
        nl::Socket s = nsnet::detail::nft_socket(st->netns);
        nsnet::detail::sweep_table(s, st->table_handle, st->family);
    } catch (const Error&) {
        // The rule is gone; the next removal in this namespace collects what is left.
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::firewall
