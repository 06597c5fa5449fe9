// nsnet/firewall/batch.hpp — several NAT and filter rules, removals and the forward policy applied
// in one nf_tables batch: all of them or none.
#pragma once

#include <cstddef>
#include <memory>

#include "nsnet/detail/config.hpp"
#include "nsnet/firewall/filter.hpp"
#include "nsnet/firewall/forward.hpp"
#include "nsnet/firewall/nat.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/batch.hpp"

namespace nsnet {

// A set of rule additions and removals (and the forward policy) applied in one nf_tables batch:
// all of them or none. Objects returned by add() become active when commit() succeeds; if it
// fails they stay inactive (their destructors do nothing) and the kernel is unchanged.
//
//   NatBatch b(docker);
//   auto masq = b.add(MasqueradeOptions{.source = Prefix::parse("172.17.0.0/16"), .not_out_interface = "docker0"});
//   auto web  = b.add(DnatOptions{.port = 8080, .to = IpAddress::parse("172.17.10.10"), .to_port = 80});
//   b.commit();   // throws Error naming the rule the kernel refused, with its explanation
class NatBatch {
    friend class firewall::Rule;

public:
    explicit NatBatch(NetnsRef netns);

    Masquerade add(const MasqueradeOptions& o) { return Masquerade(queue(detail::masquerade_state(netns_, o))); }
    Snat add(const SnatOptions& o) { return Snat(queue(detail::snat_state(netns_, o))); }
    Dnat add(const DnatOptions& o) { return Dnat(queue(detail::dnat_state(netns_, o))); }
    FilterRule add(const FilterRuleOptions& o) { return FilterRule(queue(detail::filter_state(netns_, o))); }
    FilterRule add(const RawRuleOptions& o) { return FilterRule(queue(detail::raw_state(netns_, o))); }
    // iptables -P FORWARD ACCEPT|DROP, in this batch.
    ForwardPolicy set_forward_policy(Verdict policy);
    // Deletes an active rule of this namespace in this batch.
    void remove(NftRule& rule);

    std::size_t size() const noexcept { return batch_.size(); }

    // Sends everything in one batch. Throws the kernel's refusal (Error naming the failing rule,
    // with "nothing was applied" in its detail); nothing changes then.
    void commit() { batch_.commit(); }

    // The nf_tables batch commit() would send if the kernel held no rules of this batch yet and
    // `table ip nsnet` did (table_exists) or did not exist: `nft --check --debug=netlink` for
    // nsnet. Its messages are exactly commit()'s; nft::Batch::run adds sequence numbers and NLM_F_ACK.
    nft::Batch preview(bool table_exists = true) const { return batch_.preview(table_exists); }

private:
    std::shared_ptr<detail::NftRuleState> queue(std::shared_ptr<detail::NftRuleState> st) {
        return batch_.queue(std::move(st));
    }

    detail::TableBatch batch_;
    NetnsRef netns_{};  // batch_.netns(): the caller's namespace when none was given
};

#if NSNET_DEFINITIONS

NSNET_DECL NatBatch::NatBatch(NetnsRef netns) : batch_(std::move(netns)), netns_(batch_.netns()) {}

NSNET_DECL ForwardPolicy NatBatch::set_forward_policy(Verdict policy) {
    auto st = detail::policy_state(netns_, policy);
    batch_.set_policy(st);
    return ForwardPolicy(st);
}

NSNET_DECL void NatBatch::remove(NftRule& rule) { batch_.remove(rule.state_); }

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
