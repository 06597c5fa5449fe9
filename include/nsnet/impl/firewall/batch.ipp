// nsnet/impl/firewall/batch.ipp — the function bodies of <nsnet/firewall/batch.hpp>.
//
// Included at the end of nsnet/firewall/batch.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::firewall {

NSNET_DECL Batch::Batch(const NetnsRef& ns) : batch_(ns) {}

NSNET_LAZY_DEFINITION NSNET_DECL Masquerade Batch::add(const MasqueradeOptions& o) { return Masquerade(queue(nsnet::detail::masquerade_state(netns(), o))); }
NSNET_LAZY_DEFINITION NSNET_DECL Snat Batch::add(const SnatOptions& o) { return Snat(queue(nsnet::detail::snat_state(netns(), o))); }
NSNET_LAZY_DEFINITION NSNET_DECL Dnat Batch::add(const DnatOptions& o) { return Dnat(queue(nsnet::detail::dnat_state(netns(), o))); }
NSNET_LAZY_DEFINITION NSNET_DECL FilterRule Batch::add(const FilterRuleOptions& o) { return FilterRule(queue(nsnet::detail::filter_state(netns(), o))); }
NSNET_LAZY_DEFINITION NSNET_DECL FilterRule Batch::add(const RawRuleOptions& o) { return FilterRule(queue(nsnet::detail::raw_state(netns(), o))); }

NSNET_LAZY_DEFINITION NSNET_DECL nft::Batch Batch::preview(bool table_exists) const { return batch_.preview(table_exists); }

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<nsnet::detail::NftRuleState> Batch::queue(std::shared_ptr<nsnet::detail::NftRuleState> st) {
    return batch_.queue(std::move(st));
}

NSNET_LAZY_DEFINITION NSNET_DECL ForwardPolicy Batch::set_forward_policy(Verdict policy) {
    auto st = nsnet::detail::policy_state(netns(), policy);
    batch_.set_policy(st);
    return ForwardPolicy(st);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Batch::remove(NftRule& rule) { batch_.remove(rule.state_ptr()); }

}  // namespace nsnet::firewall
