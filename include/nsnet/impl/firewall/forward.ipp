// nsnet/impl/firewall/forward.ipp — the function bodies of <nsnet/firewall/forward.hpp>.
//
// Included at the end of nsnet/firewall/forward.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftPolicyState> policy_state(const NetnsRef& ns, firewall::Verdict policy) {
    if (policy == firewall::Verdict::Continue)
        invalid_argument("set forward policy", "continue", "the policy is Verdict::Accept or Verdict::Drop, not Continue");
    auto st = std::make_shared<NftPolicyState>();
    st->netns = ns;
    st->policy = policy == firewall::Verdict::Drop ? nft::Policy::Drop : nft::Policy::Accept;
    return st;
}

NSNET_LAZY_DEFINITION NSNET_DECL void PolicyHandle::remove() const {
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

NSNET_LAZY_DEFINITION NSNET_DECL ForwardPolicy ForwardPolicy::create(const NetnsRef& ns, Verdict policy) {
    nsnet::detail::TableBatch b(ns);
    auto st = nsnet::detail::policy_state(b.netns(), policy);
    b.set_policy(st);
    b.commit();
    return ForwardPolicy(st);
}

NSNET_LAZY_DEFINITION NSNET_DECL Verdict ForwardPolicy::get(const NetnsRef& ns) {
    nl::Socket s = nsnet::detail::nft_socket(ns);
    auto t = nsnet::detail::find_nsnet_table(s);
    if (!t || !nsnet::detail::is_nsnet_table(*t)) return Verdict::Accept;
    auto c = nsnet::detail::find_chain(s, nsnet::detail::filter_chain(Hook::Forward).name);
    return c && c->policy && *c->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
}

NSNET_LAZY_DEFINITION NSNET_DECL void ForwardPolicy::remove(const NetnsRef& ns) {
    nl::Socket s = nsnet::detail::nft_socket(ns);
    auto t = nsnet::detail::find_nsnet_table(s);
    if (!t || !t->handle || !nsnet::detail::is_nsnet_table(*t)) return;
    auto st = std::make_shared<nsnet::detail::NftPolicyState>();
    st->netns = ns;
    st->table_handle = *t->handle;
    st->active = true;
    nsnet::detail::PolicyHandle{st}.remove();
}

}  // namespace nsnet::firewall
