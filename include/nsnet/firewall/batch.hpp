// nsnet/firewall/batch.hpp — firewall::Batch: several NAT and filter rules, rule removals and the
// forward policy applied in one nf_tables batch, atomically: all of them or none.
//
//   firewall::Batch b(docker);
//   auto masq = b.add(MasqueradeOptions{.saddr = "172.17.0.0/16", .oif = "docker0", .oif_negate = true});
//   auto web  = b.add(DnatOptions{.dport = 8080, .to = "172.17.10.10", .to_port = 80});
//   b.commit();   // throws Error naming the rule the kernel refused, with its explanation
//
// Which batches of nsnet are atomic: this one and nft::Batch (one nf_tables transaction: the
// kernel applies all of it or none). The rtnetlink ones are not: nl::Batch (nl/transact.hpp) and
// RequestBatch (bulk.hpp) pipeline independent requests, each applied or refused on its own, and a
// Transaction (transaction.hpp) undoes the steps that succeeded when a later one fails.
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

namespace nsnet::firewall {

// Rule additions and removals (and the forward policy) in one namespace's `ip nsnet` table,
// applied by commit() in one nf_tables batch: all of them or none. Objects returned by add()
// become active when commit() succeeds; if it fails they stay inactive (their destructors do
// nothing) and the kernel is unchanged.
class Batch {
public:
    // A batch for `ns` (NetnsRef::current() for the caller's namespace). An empty NetnsRef makes a
    // batch that can only preview(): commit() refuses it (InvalidArgument) before anything is sent.
    explicit Batch(const NetnsRef& ns);

    // Queue a rule, as X::create(ns, options) would make it; the returned owner is active after commit().
    NSNET_LAZY Masquerade add(const MasqueradeOptions& o);
    NSNET_LAZY Snat add(const SnatOptions& o);
    NSNET_LAZY Dnat add(const DnatOptions& o);
    NSNET_LAZY FilterRule add(const FilterRuleOptions& o);
    NSNET_LAZY FilterRule add(const RawRuleOptions& o);
    // ForwardPolicy::create(ns, policy), in this batch.
    NSNET_LAZY ForwardPolicy set_forward_policy(Verdict policy);
    // Deletes an active rule of this namespace in this batch.
    NSNET_LAZY void remove(NftRule& rule);

    // The namespace the batch changes.
    const NetnsRef& netns() const noexcept { return batch_.netns(); }
    // How many additions, removals and policy changes are queued.
    std::size_t size() const noexcept { return batch_.size(); }

    // Sends everything in one batch. Throws the kernel's refusal (Error naming the failing rule,
    // with "nothing was applied" in its detail); nothing changes then.
    NSNET_LAZY void commit() { batch_.commit(); }

    // The nf_tables batch commit() would send if the kernel held no rules of this batch yet and
    // `table ip nsnet` did (table_exists) or did not exist: `nft --check --debug=netlink` for
    // nsnet. Its messages are exactly commit()'s; nft::Batch::run adds sequence numbers and NLM_F_ACK.
    NSNET_LAZY nft::Batch preview(bool table_exists = true) const;

private:
    NSNET_LAZY std::shared_ptr<nsnet::detail::NftRuleState> queue(std::shared_ptr<nsnet::detail::NftRuleState> st);

    nsnet::detail::TableBatch batch_;
};

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/batch.ipp"
#endif
