// nsnet/rule.hpp — policy routing rules of a namespace (`ip rule`): create, list, find, remove.
//
// Layer: typed objects (does I/O through the namespace's rtnetlink socket). Rules follow the object
// convention (DEVELOPERS.md): Rule::create returns an owner that removes its rule when destroyed
// unless persist()ed; a later process removes a persisted rule with the static Rule::remove(ns,
// options), e.g. by its priority. The tutorial's `ip rule add from 192.168.1.10 lookup 100` is
//
//   auto r = nsnet::Rule::create(ns, {.from = "192.168.1.10", .table = 100});
//   nsnet::Rule::create(ns, {.from = prefix, .priority = 200, .table = 100}).persist();
//   nsnet::Rule::remove(ns, {.priority = 200});           // ip rule del pref 200; gone is fine
//
// RuleOptions takes addresses as text or typed (PrefixArg) and interfaces as a name or a link
// (DeviceArg; a name need not exist yet, as `ip rule` allows); checked before anything is sent,
// errors name the field; Rule::list() returns typed RuleInfo values, which Rule::create and Rule::remove
// accept back as they are. Rules are never touched in a namespace the caller did not name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/rule.hpp"

namespace nsnet {

using RuleInfo = rtnl::Rule;  // a rule as the kernel reports it, or as a request (typed)
using RuleAction = rtnl::RuleAction;  // lookup, blackhole, unreachable, prohibit, goto, nop
using PortRange = rtnl::PortRange;    // {first, last}: `sport A-B`, `dport A-B`

// What `ip rule add|del` takes. Every member is optional; unset selectors match everything.
struct RuleOptions {
    PrefixArg from{};                            // "192.168.1.10", "10.0.0.0/8", "2001:db8::/32", a Prefix; unset or "all": any
    PrefixArg to{};                              // destination prefix, same forms
    DeviceArg iif{};                             // `iif NAME`: a name (need not exist yet), or a Link/owner/ifindex in the rule's namespace
    DeviceArg oif{};                             // `oif NAME` (for local sockets bound to it): as iif
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

// What Rule::list returns (`ip [-4|-6] rule show [pref N] [table T]`); unset: all.
struct RuleFilter {
    std::optional<Family> family{};           // `-4` / `-6`
    std::optional<std::uint32_t> priority{};  // `pref N`
    std::optional<std::uint32_t> table{};     // `table T` (rules that look up T)
};

// Turns options into the typed rule for namespace `ns` (resolves from/to, and iif/oif given as a
// link or ifindex to the device's name there). Throws InvalidArgument naming the field.
NSNET_LAZY NSNET_DECL RuleInfo to_rule(const NetnsRef& ns, const RuleOptions& o, const char* operation = "create rule");

// A rule nsnet made, as a plain copyable value: its namespace and the rule. What Rule owns and
// what Rule::release() hands back.
class RuleRef {
public:
    RuleRef() = default;
    // The rule `rule` in `ns`.
    RuleRef(NetnsRef ns, RuleInfo rule) noexcept : ns_(std::move(ns)), rule_(std::move(rule)) {}

    // The namespace the rule is in.
    const NetnsRef& netns() const noexcept { return ns_; }
    // The rule as it was sent (typed).
    const RuleInfo& rule() const noexcept { return rule_; }
    // ip rule del of this rule; one already gone (ENOENT), or gone with its namespace, is success.
    NSNET_LAZY void remove() const;

private:
    NetnsRef ns_{};
    RuleInfo rule_{};
};

// A rule nsnet created: removed on destruction unless persist()ed (detail::Owner). Move-only.
class Rule : public detail::Owner<RuleRef> {
public:
    Rule() = default;

    // ip rule add FROM/TO/... lookup T | blackhole | unreachable | prohibit in `ns`. An identical
    // rule is Error(EEXIST). Bad input throws InvalidArgument naming the field before anything is sent.
    NSNET_LAZY [[nodiscard]] static Rule create(const NetnsRef& ns, const RuleOptions& options);
    // The typed form (e.g. a RuleInfo from Rule::list() of another namespace). A template only so
    // that a braced list `{.from = ...}` always means RuleOptions.
    template <class R>
        requires std::is_same_v<R, RuleInfo>
    [[nodiscard]] static Rule create(const NetnsRef& ns, const R& rule) {
        return create_typed(ns, rule);
    }

    // ip rule show (IPv4 and IPv6, or as filtered), in the kernel's order (by priority).
    NSNET_LAZY static std::vector<RuleInfo> list(const NetnsRef& ns, const RuleFilter& filter = {});
    // The first rule of `family` at `priority` (`ip rule show pref N`); nullopt when there is none.
    NSNET_LAZY static std::optional<RuleInfo> find(const NetnsRef& ns, std::uint32_t priority, Family family = Family::V4);
    // As find(), but none is Error(ENOENT) naming the priority.
    NSNET_LAZY static RuleInfo get(const NetnsRef& ns, std::uint32_t priority, Family family = Family::V4);

    // ip rule del ...: removes the first rule (lowest priority) that matches every selector given,
    // e.g. {.priority = 200} for a rule a previous process created and persisted. None is success.
    NSNET_LAZY static void remove(const NetnsRef& ns, const RuleOptions& match);
    template <class R>
        requires std::is_same_v<R, RuleInfo>
    static void remove(const NetnsRef& ns, const R& rule) {
        RuleRef(ns, rule).remove();
    }
    // Removes this rule now (idempotent).
    using detail::Owner<RuleRef>::remove;

    // The rule as it was sent (typed).
    const RuleInfo& rule() const noexcept { return handle().rule(); }
    // The namespace the rule is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }

private:
    NSNET_LAZY explicit Rule(RuleRef r) noexcept : detail::Owner<RuleRef>(std::move(r)) {}
    NSNET_LAZY static Rule create_typed(const NetnsRef& ns, const RuleInfo& rule);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/rule.ipp"
#endif
