// nsnet/firewall/forward.hpp — the forward chain's policy (`iptables -P FORWARD DROP`) as an owned
// object, in nsnet's table `ip nsnet` (firewall/table.hpp).
//
//   auto p = ForwardPolicy::create(ns, Verdict::Drop);   // chain forward { ... policy drop; }
//   ... FilterRule::create(ns, {.iif = "docker0"}) ...    // what may pass
//   // p's destructor sets the policy back to accept (and removes the chain if it is empty)
//
// Why `create` for a policy: the policy is a kernel state nsnet sets and later undoes, as any
// other object it creates; the owner returned restores `policy accept` (the kernel's behaviour
// without a forward chain) when destroyed, unless persist()ed, exactly as Masquerade::create's owner
// removes its rule. One per namespace: the last one created wins. A later process reads it with
// ForwardPolicy::get(ns) and undoes a persisted one with ForwardPolicy::remove(ns).
#pragma once

#include <memory>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/netns.hpp"

namespace nsnet::detail {
// A policy state for `policy` (Accept or Drop; Continue is an InvalidArgument).
NSNET_LAZY NSNET_DECL std::shared_ptr<NftPolicyState> policy_state(const NetnsRef& ns, firewall::Verdict policy);

// The plain handle detail::Owner holds for a ForwardPolicy: remove() sets the policy back to accept
// and removes the forward chain (and the table) if nothing else is in them.
struct PolicyHandle {
    std::shared_ptr<NftPolicyState> state{};
    NSNET_LAZY void remove() const;
};
}  // namespace nsnet::detail

namespace nsnet::firewall {

class Batch;

// The forward chain's policy: `iptables -P FORWARD ACCEPT|DROP` (`policy accept|drop;` of chain
// forward in table ip nsnet), owned: set back to accept on destruction unless persisted.
class ForwardPolicy {
public:
    ForwardPolicy() = default;
    // nft add chain ip nsnet forward { type filter hook forward priority 0; policy drop; }
    NSNET_LAZY static ForwardPolicy create(const NetnsRef& ns, Verdict policy);
    // The forward policy nsnet's table has in `ns` now (Accept when it has no forward chain).
    NSNET_LAZY static Verdict get(const NetnsRef& ns);
    // Sets it back to accept from any process (e.g. one a previous process persisted); nothing
    // to do is success.
    NSNET_LAZY static void remove(const NetnsRef& ns);

    // True once the policy is set (after create(), or after its Batch committed).
    bool active() const noexcept { return owner_->state && owner_->state->active; }
    // The policy this object set.
    Verdict policy() const noexcept {
        return owner_->state && owner_->state->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
    }
    // Keep the policy after this object is gone.
    void persist() noexcept { owner_.persist(); }
    // Sets the policy back to accept now, and removes the forward chain (and table) if empty.
    NSNET_LAZY void remove() {
        // An owned one through the owner, which keeps it when removal fails (its destructor tries
        // again); a persisted one directly.
        if (owner_.owned()) owner_.remove();
        else owner_->remove();
    }

private:
    friend class Batch;
    NSNET_LAZY explicit ForwardPolicy(std::shared_ptr<nsnet::detail::NftPolicyState> st) : owner_(nsnet::detail::PolicyHandle{std::move(st)}) {}
    nsnet::detail::Owner<nsnet::detail::PolicyHandle> owner_{};
};

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/forward.ipp"
#endif
