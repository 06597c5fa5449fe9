// nsnet/firewall/filter.hpp — packet filter rules as RAII objects: accept, drop or count what
// matches, in one of nsnet's filter chains of table `ip nsnet` (firewall/table.hpp).
//
//   iptables -A FORWARD -i docker0 -p udp --dport 53 -j ACCEPT
// becomes
//   auto f = FilterRule::add(ns, {.in_interface = "docker0", .protocol = L4Protocol::Udp, .port = 53});
// and a rule made of raw nf_tables expressions (RawRuleOptions) covers the matches without an option.
// IPv6, inet tables, port ranges, conntrack and mark matches: firewall/rule.hpp.
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

namespace nsnet {

// [-i IF] [-o IF] [-s SRC] [-d DST] [-p tcp|udp [--dport PORT]] -j ACCEPT|DROP  (filter)
struct FilterRuleOptions {
    FilterHook hook = FilterHook::Forward;
    std::string in_interface{};
    std::string out_interface{};
    std::optional<Prefix> source{};
    std::optional<Prefix> destination{};
    std::optional<L4Protocol> protocol{};
    std::optional<int> port{};            // destination port, 1..65535; needs protocol
    Verdict verdict = Verdict::Accept;
    bool counter = false;
};

// An escape hatch for matches nsnet has no option for: a rule made of raw nf_tables expressions
// (nft/expr.hpp) in one of nsnet's filter chains, e.g. `nft::match_sport(IPPROTO_UDP, 53)` plus
// `nft::counter()`. `description` is its nft text, used by to_string() and in error messages.
// The kernel checks the expressions when the batch is committed.
struct RawRuleOptions {
    FilterHook hook = FilterHook::Forward;
    nft::Exprs exprs{};
    std::string description{};
};

namespace detail {
NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const FilterRuleOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const RawRuleOptions& o);
}  // namespace detail

// [iifname IF] [oifname IF] [ip saddr S] [ip daddr D] [tcp dport P] [counter] accept|drop
// (iptables -A FORWARD ... -j ACCEPT|DROP)
class FilterRule : public NftRule {
public:
    FilterRule() = default;
    static FilterRule add(const NetnsRef& netns, const FilterRuleOptions& options);
    static FilterRule add(const NetnsRef& netns, const RawRuleOptions& options);

private:
    friend class NatBatch;
    using NftRule::NftRule;
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const FilterRuleOptions& o) {
    const char* op = "add filter rule";
    check_ifname(o.in_interface, op);
    check_ifname(o.out_interface, op);
    if (o.source) check_v4(*o.source, op, "source");
    if (o.destination) check_v4(*o.destination, op, "destination");
    if (o.port && !o.protocol)
        invalid_argument(op, "port " + std::to_string(*o.port), "a port match needs a protocol (tcp or udp)");
    if (o.port) check_port(*o.port, op, "the destination port");
    if (!o.in_interface.empty() && (o.hook == FilterHook::Output || o.hook == FilterHook::Postrouting))
        invalid_argument(op, o.in_interface, "in_interface cannot match in the output/postrouting hooks");
    if (!o.out_interface.empty() && (o.hook == FilterHook::Input || o.hook == FilterHook::Prerouting))
        invalid_argument(op, o.out_interface, "out_interface cannot match in the input/prerouting hooks");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = filter_chain(o.hook);
    add_ifname(*st, true, o.in_interface, false);
    add_ifname(*st, false, o.out_interface, false);
    if (o.source) add_prefix(*st, true, *o.source);
    if (o.destination) add_prefix(*st, false, *o.destination);
    if (o.protocol) {
        if (o.port) {
            add_dport(*st, *o.protocol, static_cast<std::uint16_t>(*o.port));
        } else {
            nft::detail::append(st->exprs, nft::match_l4proto(static_cast<std::uint8_t>(*o.protocol)));
            add_words(*st, std::string("meta l4proto ") + proto_name(*o.protocol));
        }
    }
    add_counter(*st, o.counter);
    if (o.verdict != Verdict::Continue) {
        st->exprs.push_back(nft::verdict(o.verdict == Verdict::Accept ? nft::Verdict::Accept : nft::Verdict::Drop));
        add_words(*st, o.verdict == Verdict::Accept ? "accept" : "drop");
    }
    if (st->description.empty()) st->description = "(matches every packet)";
    return st;
}

NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const RawRuleOptions& o) {
    if (o.exprs.empty()) invalid_argument("add raw rule", o.description, "a raw rule needs at least one expression");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = filter_chain(o.hook);
    st->exprs = o.exprs;
    st->has_counter = nft::find_counter(o.exprs).has_value();
    st->description = o.description.empty() ? std::string("(raw rule)") : o.description;
    return st;
}

}  // namespace detail

NSNET_DECL FilterRule FilterRule::add(const NetnsRef& netns, const FilterRuleOptions& options) {
    detail::TableBatch b(netns);
    FilterRule r(b.queue(detail::filter_state(b.netns(), options)));
    b.commit();
    return r;
}

NSNET_DECL FilterRule FilterRule::add(const NetnsRef& netns, const RawRuleOptions& options) {
    detail::TableBatch b(netns);
    FilterRule r(b.queue(detail::raw_state(b.netns(), options)));
    b.commit();
    return r;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
