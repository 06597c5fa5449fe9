// nsnet/impl/firewall/batch.ipp — the function bodies of <nsnet/firewall/batch.hpp>.
//
// Included at the end of nsnet/firewall/batch.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::firewall {

NSNET_DECL Batch::Batch(const NetnsRef& ns) : batch_(ns) {}

NSNET_DECL ForwardPolicy Batch::set_forward_policy(Verdict policy) {
    auto st = nsnet::detail::policy_state(netns(), policy);
    batch_.set_policy(st);
    return ForwardPolicy(st);
}

NSNET_DECL void Batch::remove(NftRule& rule) { batch_.remove(rule.state_ptr()); }

}  // namespace nsnet::firewall
