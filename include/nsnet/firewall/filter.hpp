// nsnet/firewall/filter.hpp — packet filter rules as owned objects: accept, drop or count what
// matches, in one of nsnet's filter chains of table `ip nsnet` (firewall/table.hpp).
//
//   iptables -A FORWARD -i docker0 -p udp --dport 53 -j ACCEPT
// becomes
//   auto f = FilterRule::create(ns, {.iif = "docker0", .protocol = Protocol::Udp, .dport = 53});
// and a rule made of raw nf_tables expressions (RawRuleOptions) covers the matches without an option.
// Option names, values and ownership as in firewall/nat.hpp. IPv6, inet tables, port ranges,
// conntrack and mark matches: firewall/rule.hpp.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"

namespace nsnet::firewall {

// [iifname IIF] [oifname OIF] [ip saddr S] [ip daddr D] [tcp|udp dport P | meta l4proto tcp|udp]
// [counter] accept|drop   (iptables -A FORWARD ... -j ACCEPT|DROP)
struct FilterRuleOptions {
    Hook hook = Hook::Forward;           // the chain: forward, input, output_filter, ...
    DeviceArg iif{};                     // iifname "docker0" (not in the output/postrouting hooks): a name, or a Link/owner/ifindex
    DeviceArg oif{};                     // oifname "docker0" (not in the input/prerouting hooks)
    PrefixArg saddr{};                   // ip saddr 10.0.0.0/8 (IPv4; empty: any)
    PrefixArg daddr{};                   // ip daddr 10.0.0.2 (IPv4; empty: any)
    std::optional<Protocol> protocol{};  // meta l4proto tcp|udp
    std::uint16_t dport = 0;             // tcp|udp dport P; 0: any port (needs protocol when given)
    Verdict verdict = Verdict::Accept;   // accept, drop, or Continue (the rule only counts)
    bool counter = false;                // count matching packets (NftRule::counters)
    std::string owner{};                 // recorded in the rule's comment: FilterRule::list(ns, {.owner})
};

// An escape hatch for matches nsnet has no option for: a rule made of raw nf_tables expressions
// (nft/expr.hpp) in one of nsnet's filter chains, e.g. `nft::match_sport(IPPROTO_UDP, 53)` plus
// `nft::counter()`. `description` is its nft text, used by to_string() and in error messages.
// The kernel checks the expressions when the batch is committed.
struct RawRuleOptions {
    Hook hook = Hook::Forward;    // the chain, as FilterRuleOptions.hook
    nft::Exprs exprs;             // the rule's expressions (at least one)
    std::string description{};    // its nft text
    std::string owner{};          // recorded in the rule's comment
};

}  // namespace nsnet::firewall

namespace nsnet::detail {
// The rule each options struct describes (checked; InvalidArgument naming the field otherwise).
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const firewall::FilterRuleOptions& o);
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const firewall::RawRuleOptions& o);
}  // namespace nsnet::detail

namespace nsnet::firewall {

// [iifname IF] [oifname IF] [ip saddr S] [ip daddr D] [tcp dport P] [counter] accept|drop, owned
// (removed when destroyed unless persisted).
class FilterRule : public RuleKind<FilterRule> {
public:
    FilterRule() = default;
    // nft add rule ip nsnet CHAIN ... comment "[owner:OWNER ]nsnet:TAG"
    NSNET_LAZY static FilterRule create(const NetnsRef& ns, const FilterRuleOptions& options);
    NSNET_LAZY static FilterRule create(const NetnsRef& ns, const RawRuleOptions& options);

    // A rule in one of nsnet's filter chains of table ip nsnet (for list/find/adopt/remove).
    NSNET_LAZY static bool is_kind(const nft::Rule& r);
    // How errors name the kind ("no filter rule with that handle").
    static constexpr const char* kind_name = "filter rule";

private:
    friend class Batch;
    friend class RuleKind<FilterRule>;
    using RuleKind::RuleKind;
};

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/filter.ipp"
#endif
