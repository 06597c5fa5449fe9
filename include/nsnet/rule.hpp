// nsnet/rule.hpp — policy routing rules of a namespace: add, delete, list (`ip rule`).
//
// Layer: typed objects (does I/O through the namespace's rtnetlink socket). The tutorial's
// `ip rule add from 192.168.1.10 lookup 100` is
//
//   nsnet::add_rule(ns, {.from = "192.168.1.10", .table = 100});
//
// RuleOptions takes addresses as text (parsed and checked before anything is sent, errors name the
// value); list_rules() returns typed rtnl::Rule values, which delete_rule() accepts back as they are.
// OwnedRule removes its rule on destruction. Rules are never touched in a namespace the caller did
// not name: there is no implicit "current namespace" here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/rule.hpp"

namespace nsnet {

using Rule = rtnl::Rule;
using RuleAction = rtnl::RuleAction;
using PortRange = rtnl::PortRange;

// What `ip rule add|del` takes. Every member is optional; unset selectors match everything.
struct RuleOptions {
    std::string from{};                          // "192.168.1.10", "10.0.0.0/8", "2001:db8::/32"; "" or "all": any
    std::string to{};                            // destination prefix, same forms
    std::string iif{};                           // incoming interface name (`iif`, need not exist yet)
    std::string oif{};                           // outgoing interface name (`oif`, for local sockets bound to it)
    std::optional<std::uint32_t> fwmark{};       // `fwmark M`
    std::optional<std::uint32_t> fwmask{};       // `fwmark M/K`
    std::optional<std::uint32_t> priority{};     // `priority N` (`pref`); unset: the kernel picks
    std::uint8_t tos = 0;                        // `tos N`
    std::optional<std::uint8_t> ipproto{};       // `ipproto tcp` = IPPROTO_TCP (6)
    std::optional<PortRange> sport{};            // `sport A-B`
    std::optional<PortRange> dport{};            // `dport A-B`
    RuleAction action = RuleAction::Lookup;      // Lookup, Blackhole, Unreachable, Prohibit, Goto, Nop
    std::uint32_t table = 0;                     // `lookup T` (0: main)
    std::optional<std::uint32_t> goto_target{};  // `goto P` (action Goto)
    std::optional<std::uint32_t> suppress_prefixlen{};  // `suppress_prefixlength N`
    bool invert = false;                         // `not`
    std::optional<Family> family{};              // needed only when neither from nor to is given (default IPv4)
};

namespace detail {

NSNET_DECL std::optional<Prefix> parse_rule_prefix(const std::string& text, const char* which, const char* operation);

}  // namespace detail

// Turns options into the typed rule (parses from/to). Throws InvalidArgument naming a bad value.
NSNET_DECL Rule to_rule(const RuleOptions& o, const char* operation = "add rule");

// ip rule add ... in `ns` (typed form, e.g. a rule from list_rules() of another namespace).
// Template only so that a braced list `{.from = ...}` always means RuleOptions.
template <class R>
    requires std::is_same_v<R, Rule>
void add_rule(const NetnsRef& ns, const R& rule) {
    auto msg = rtnl::rule_new(rule);
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "add rule", rtnl::describe(rule)); });
}

// ip rule add FROM/TO/... lookup T | blackhole | unreachable | prohibit in `ns`.
// An identical rule is an error (EEXIST). Bad input throws InvalidArgument before anything is sent.
NSNET_DECL void add_rule(const NetnsRef& ns, const RuleOptions& options);

// ip rule del ...: removes the first rule (lowest priority) that matches every selector given.
// No matching rule is Error(ENOENT).
template <class R>
    requires std::is_same_v<R, Rule>
void delete_rule(const NetnsRef& ns, const R& rule) {
    auto msg = rtnl::rule_del(rule);
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "delete rule", rtnl::describe(rule)); });
}
NSNET_DECL void delete_rule(const NetnsRef& ns, const RuleOptions& options);

// ip rule show (IPv4 and IPv6, or one family), in the kernel's order (by priority).
NSNET_DECL std::vector<Rule> list_rules(const NetnsRef& ns, std::optional<Family> family = std::nullopt);

// A rule nsnet added; deleted on destruction unless persist()ed (a rule already gone, or gone with
// its namespace, is fine). Move-only.
class OwnedRule {
public:
    OwnedRule() = default;
    // ip rule add ... ; the returned object deletes it again.
    static OwnedRule add(const NetnsRef& ns, const RuleOptions& options);
    template <class R>
        requires std::is_same_v<R, Rule>
    static OwnedRule add(const NetnsRef& ns, const R& rule) {
        add_rule(ns, rule);
        OwnedRule r;
        r.ns_ = ns;
        r.rule_ = rule;
        r.owned_ = true;
        return r;
    }
    OwnedRule(OwnedRule&& o) noexcept
        : ns_(std::move(o.ns_)), rule_(std::move(o.rule_)), owned_(std::exchange(o.owned_, false)) {}
    OwnedRule& operator=(OwnedRule&& o) noexcept;
    OwnedRule(const OwnedRule&) = delete;
    OwnedRule& operator=(const OwnedRule&) = delete;
    ~OwnedRule();

    const Rule& rule() const noexcept { return rule_; }
    const NetnsRef& netns() const noexcept { return ns_; }
    bool owned() const noexcept { return owned_; }
    // Keep the rule after this object is gone.
    void persist() noexcept { owned_ = false; }
    // ip rule del ... now; a rule already gone (ENOENT) counts as deleted.
    void remove();

private:
    void destroy() noexcept;
    NetnsRef ns_{};
    Rule rule_{};
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL std::optional<Prefix> parse_rule_prefix(const std::string& text, const char* which, const char* operation) {
    if (text.empty() || text == "all") return std::nullopt;
    auto p = Prefix::try_parse(text);
    if (!p)
        invalid_argument(operation, text, std::string("'") + which + " " + text +
                                              "' is not an address or prefix like 192.168.1.10 or 10.0.0.0/8");
    return p;
}

}  // namespace detail

NSNET_DECL Rule to_rule(const RuleOptions& o, const char* operation) {
    Rule r{};
    r.from = detail::parse_rule_prefix(o.from, "from", operation);
    r.to = detail::parse_rule_prefix(o.to, "to", operation);
    if (r.from && r.to && r.from->family() != r.to->family())
        invalid_argument(operation, o.from + " -> " + o.to,
                         "'from " + o.from + "' and 'to " + o.to + "' are of different families");
    Family addr_family = r.from ? r.from->family() : r.to ? r.to->family() : o.family.value_or(Family::V4);
    if (o.family && *o.family != addr_family)
        invalid_argument(operation, r.from ? o.from : o.to,
                         std::string("family ") + (*o.family == Family::V4 ? "IPv4" : "IPv6") +
                             " does not match the rule's address '" + (r.from ? o.from : o.to) + "'");
    r.family = addr_family;
    r.iif = o.iif;
    r.oif = o.oif;
    r.fwmark = o.fwmark;
    r.fwmask = o.fwmask;
    r.priority = o.priority;
    r.tos = o.tos;
    r.ipproto = o.ipproto;
    r.sport = o.sport;
    r.dport = o.dport;
    r.action = o.action;
    r.table = o.table;
    r.goto_target = o.goto_target;
    r.suppress_prefixlen = o.suppress_prefixlen;
    r.invert = o.invert;
    return r;
}

NSNET_DECL void add_rule(const NetnsRef& ns, const RuleOptions& options) {
    add_rule(ns, to_rule(options, "add rule"));
}

NSNET_DECL void delete_rule(const NetnsRef& ns, const RuleOptions& options) {
    delete_rule(ns, to_rule(options, "delete rule"));
}

NSNET_DECL std::vector<Rule> list_rules(const NetnsRef& ns, std::optional<Family> family) {
    return ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::rule_dump(family ? static_cast<unsigned char>(*family) : AF_UNSPEC);
        return nl::dump_collect(s, m, "list rules", rtnl::decode_rule);
    });
}

NSNET_DECL OwnedRule OwnedRule::add(const NetnsRef& ns, const RuleOptions& options) {
    return add(ns, to_rule(options, "add rule"));
}

NSNET_DECL OwnedRule& OwnedRule::operator=(OwnedRule&& o) noexcept {
    if (this != &o) {
        destroy();
        ns_ = std::move(o.ns_);
        rule_ = std::move(o.rule_);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL OwnedRule::~OwnedRule() {
    destroy();
}

NSNET_DECL void OwnedRule::remove() {
    if (!owned_) return;
    owned_ = false;
    try {
        delete_rule(ns_, rule_);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_DECL void OwnedRule::destroy() noexcept {
    try {
        remove();
    } catch (...) {
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
