// nsnet/firewall/forward.hpp — the forward chain's policy (`iptables -P FORWARD DROP`) as a RAII
// object, in nsnet's table `ip nsnet` (firewall/table.hpp).
#pragma once

#include <memory>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/netns.hpp"

namespace nsnet {

class NatBatch;

namespace detail {
// A policy state for `policy` (Accept or Drop; Continue is an InvalidArgument).
NSNET_DECL std::shared_ptr<NftPolicyState> policy_state(const NetnsRef& ns, Verdict policy);
}  // namespace detail

// The forward chain's policy: `iptables -P FORWARD ACCEPT|DROP` (`policy accept|drop;` of
// chain forward in table ip nsnet). On destruction the policy goes back to accept (the kernel's
// behaviour without any forward chain) unless persisted. One per namespace: the last one set wins.
class ForwardPolicy {
public:
    ForwardPolicy() = default;
    static ForwardPolicy set(const NetnsRef& netns, Verdict policy);

    ForwardPolicy(ForwardPolicy&&) noexcept = default;
    ForwardPolicy& operator=(ForwardPolicy&& o) noexcept;
    ForwardPolicy(const ForwardPolicy&) = delete;
    ForwardPolicy& operator=(const ForwardPolicy&) = delete;
    ~ForwardPolicy();

    bool active() const noexcept { return state_ && state_->active; }
    Verdict policy() const noexcept {
        return state_ && state_->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
    }
    void persist() noexcept {
        if (state_) state_->persisted = true;
    }
    // Sets the policy back to accept now, and removes the forward chain (and table) if empty.
    void reset();

private:
    friend class NatBatch;
    explicit ForwardPolicy(std::shared_ptr<detail::NftPolicyState> st) : state_(std::move(st)) {}
    void destroy() noexcept;
    std::shared_ptr<detail::NftPolicyState> state_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL std::shared_ptr<detail::NftPolicyState> detail::policy_state(const NetnsRef& ns, Verdict policy) {
    if (policy == Verdict::Continue)
        invalid_argument("set forward policy", "continue", "a chain policy is accept or drop");
    auto st = std::make_shared<detail::NftPolicyState>();
    st->netns = ns;
    st->policy = policy == Verdict::Drop ? nft::Policy::Drop : nft::Policy::Accept;
    return st;
}

NSNET_DECL ForwardPolicy& ForwardPolicy::operator=(ForwardPolicy&& o) noexcept {
    if (this != &o) {
        destroy();
        state_ = std::move(o.state_);
    }
    return *this;
}

NSNET_DECL ForwardPolicy::~ForwardPolicy() { destroy(); }

NSNET_DECL void ForwardPolicy::reset() {
    if (!state_ || !state_->active) return;
    auto& st = *state_;
    nl::Socket s = detail::nft_socket(st.netns);
    auto spec = detail::filter_chain(FilterHook::Forward);
    auto accepts = [&](nl::Socket& sock) {
        if (!detail::same_table(sock, st.table_handle)) return true;
        auto c = detail::find_chain(sock, spec.name);
        return !c || !c->policy || *c->policy == nft::Policy::Accept;
    };
    bool present = false;
    try {
        present = detail::same_table(s, st.table_handle) && detail::find_chain(s, spec.name);
    } catch (Error& e) {
        e.set_outcome_unknown(false);  // only look-ups so far: nothing changed
        throw;
    }
    if (present) {
        nft::Chain c{.family = detail::nsnet_family, .table = nft_table_name, .name = spec.name, .base = spec.base,
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
                nl::Socket fresh = detail::nft_socket(st.netns);
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
        detail::collect_garbage_retrying(st.netns, s, spec.name, st.table_handle);
    }
    st.active = false;
}

NSNET_DECL void ForwardPolicy::destroy() noexcept {
    if (!state_) return;
    if (state_->active && !state_->persisted && state_->made_here) {
        try {
            reset();
        } catch (...) {
        }
    }
    state_.reset();
}

NSNET_DECL ForwardPolicy ForwardPolicy::set(const NetnsRef& netns, Verdict policy) {
    detail::TableBatch b(netns);
    auto st = detail::policy_state(b.netns(), policy);
    b.set_policy(st);
    b.commit();
    return ForwardPolicy(st);
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
