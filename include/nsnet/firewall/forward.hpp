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
NSNET_DECL std::shared_ptr<NftPolicyState> policy_state(const NetnsRef& ns, firewall::Verdict policy);

// The plain handle detail::Owner holds for a ForwardPolicy: remove() sets the policy back to accept
// and removes the forward chain (and the table) if nothing else is in them.
struct PolicyHandle {
    std::shared_ptr<NftPolicyState> state{};
    void remove() const;
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
    static ForwardPolicy create(const NetnsRef& ns, Verdict policy);
    // The forward policy nsnet's table has in `ns` now (Accept when it has no forward chain).
    static Verdict get(const NetnsRef& ns);
    // Sets it back to accept from any process (e.g. one a previous process persisted); nothing
    // to do is success.
    static void remove(const NetnsRef& ns);

    // True once the policy is set (after create(), or after its Batch committed).
    bool active() const noexcept { return owner_->state && owner_->state->active; }
    // The policy this object set.
    Verdict policy() const noexcept {
        return owner_->state && owner_->state->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
    }
    // Keep the policy after this object is gone.
    void persist() noexcept { owner_.persist(); }
    // Sets the policy back to accept now, and removes the forward chain (and table) if empty.
    void remove() { owner_.release().remove(); }

private:
    friend class Batch;
    explicit ForwardPolicy(std::shared_ptr<nsnet::detail::NftPolicyState> st) : owner_(nsnet::detail::PolicyHandle{std::move(st)}) {}
    nsnet::detail::Owner<nsnet::detail::PolicyHandle> owner_{};
};

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS

namespace nsnet::detail {

NSNET_DECL std::shared_ptr<NftPolicyState> policy_state(const NetnsRef& ns, firewall::Verdict policy) {
    if (policy == firewall::Verdict::Continue)
        invalid_argument("set forward policy", "continue", "the policy is Verdict::Accept or Verdict::Drop, not Continue");
    auto st = std::make_shared<NftPolicyState>();
    st->netns = ns;
    st->policy = policy == firewall::Verdict::Drop ? nft::Policy::Drop : nft::Policy::Accept;
    return st;
}

NSNET_DECL void PolicyHandle::remove() const {
    if (!state || !state->active) return;
    auto& st = *state;
    nl::Socket s = nft_socket(st.netns);
    auto spec = filter_chain(firewall::Hook::Forward);
    auto accepts = [&](nl::Socket& sock) {
        if (!same_table(sock, st.table_handle)) return true;
        auto c = find_chain(sock, spec.name);
        return !c || !c->policy || *c->policy == nft::Policy::Accept;
    };
    bool present = false;
    try {
        present = same_table(s, st.table_handle) && find_chain(s, spec.name);
    } catch (Error& e) {
        e.set_outcome_unknown(false);  // only look-ups so far: nothing changed
        throw;
    }
    if (present) {
        nft::Chain c{.family = nsnet_family, .table = nft_table_name, .name = spec.name, .base = spec.base,
                     .policy = nft::Policy::Accept};
        nft::Batch b;
        b.add(nft::chain_new(c), "set chain policy", "ip nsnet forward: policy accept");
        std::optional<Error> unknown;
        try {
            auto r = b.run(s);
            if (!r.applied) {
                const bool refused = r.batch_error || !r.failed().empty();
                if (!refused) unknown = r.error();
                else if (!(r.failed().size() == 1 && r.messages[r.failed()[0]].ack.error == ENOENT)) throw r.error();
            }
        } catch (const Error& e) {
            if (!unknown) unknown = e;
        }
        if (unknown) {
            // The answer was lost: look again whether the chain accepts now.
            bool done = false;
            try {
                nl::Socket fresh = nft_socket(st.netns);
                done = accepts(fresh);
            } catch (const Error&) {
                Error out = *unknown;
                out.set_outcome_unknown();
                throw out;
            }
            if (!done) {
                Error out = *unknown;
                out.set_outcome_unknown(false);
                throw out;
            }
        }
        st.active = false;
        collect_garbage_retrying(st.netns, s, spec.name, st.table_handle);
    }
    st.active = false;
}


}  // namespace nsnet::detail

namespace nsnet::firewall {

NSNET_DECL ForwardPolicy ForwardPolicy::create(const NetnsRef& ns, Verdict policy) {
    nsnet::detail::TableBatch b(ns);
    auto st = nsnet::detail::policy_state(b.netns(), policy);
    b.set_policy(st);
    b.commit();
    return ForwardPolicy(st);
}

NSNET_DECL Verdict ForwardPolicy::get(const NetnsRef& ns) {
    nl::Socket s = nsnet::detail::nft_socket(ns.valid() ? ns : NetnsRef::current());
    auto t = nsnet::detail::find_nsnet_table(s);
    if (!t || !nsnet::detail::is_nsnet_table(*t)) return Verdict::Accept;
    auto c = nsnet::detail::find_chain(s, nsnet::detail::filter_chain(Hook::Forward).name);
    return c && c->policy && *c->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
}

NSNET_DECL void ForwardPolicy::remove(const NetnsRef& ns) {
    NetnsRef n = ns.valid() ? ns : NetnsRef::current();
    nl::Socket s = nsnet::detail::nft_socket(n);
    auto t = nsnet::detail::find_nsnet_table(s);
    if (!t || !t->handle || !nsnet::detail::is_nsnet_table(*t)) return;
    auto st = std::make_shared<nsnet::detail::NftPolicyState>();
    st->netns = n;
    st->table_handle = *t->handle;
    st->active = true;
    nsnet::detail::PolicyHandle{st}.remove();
}

}  // namespace nsnet::firewall

#endif  // NSNET_DEFINITIONS
