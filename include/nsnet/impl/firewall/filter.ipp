// nsnet/impl/firewall/filter.ipp — the function bodies of <nsnet/firewall/filter.hpp>.
//
// Included at the end of nsnet/firewall/filter.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const firewall::FilterRuleOptions& o) {
    using firewall::Hook;
    const char* op = "add filter rule";
    std::optional<Prefix> saddr, daddr;
    if (!o.saddr.empty()) saddr = v4_prefix(o.saddr, op, "FilterRuleOptions.saddr");
    if (!o.daddr.empty()) daddr = v4_prefix(o.daddr, op, "FilterRuleOptions.daddr");
    if (o.dport && !o.protocol)
        invalid_argument(op, "port " + std::to_string(o.dport),
                         "FilterRuleOptions.dport " + std::to_string(o.dport) + " needs a protocol (tcp or udp)");
    check_owner(o.owner, op, "FilterRuleOptions.owner");
    if (!o.iif.empty() && (o.hook == Hook::Output || o.hook == Hook::Postrouting))
        invalid_argument(op, o.iif.to_string(), "FilterRuleOptions.iif cannot match in the output/postrouting hooks");
    if (!o.oif.empty() && (o.hook == Hook::Input || o.hook == Hook::Prerouting))
        invalid_argument(op, o.oif.to_string(), "FilterRuleOptions.oif cannot match in the input/prerouting hooks");
    const std::string iif = option_ifname(ns, o.iif, op, "FilterRuleOptions.iif");
    const std::string oif = option_ifname(ns, o.oif, op, "FilterRuleOptions.oif");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->owner = o.owner;
    st->chain = filter_chain(o.hook);
    add_ifname(*st, true, iif, false);
    add_ifname(*st, false, oif, false);
    if (saddr) add_prefix(*st, true, *saddr);
    if (daddr) add_prefix(*st, false, *daddr);
    if (o.protocol) {
        if (o.dport) {
            add_dport(*st, *o.protocol, o.dport);
        } else {
            nft::detail::append(st->exprs, nft::match_l4proto(static_cast<std::uint8_t>(*o.protocol)));
            add_words(*st, std::string("meta l4proto ") + proto_name(*o.protocol));
        }
    }
    add_counter(*st, o.counter);
    if (o.verdict != firewall::Verdict::Continue) {
        st->exprs.push_back(
            nft::verdict(o.verdict == firewall::Verdict::Accept ? nft::Verdict::Accept : nft::Verdict::Drop));
        add_words(*st, o.verdict == firewall::Verdict::Accept ? "accept" : "drop");
    }
    if (st->description.empty()) st->description = "(matches every packet)";
    return st;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const firewall::RawRuleOptions& o) {
    if (o.exprs.empty()) invalid_argument("add raw rule", o.description, "RawRuleOptions.exprs is empty: a rule needs at least one expression");
    check_owner(o.owner, "add raw rule", "RawRuleOptions.owner");
    return std::make_shared<NftRuleState>(NftRuleState{
        .netns = ns,
        .chain = filter_chain(o.hook),
        .exprs = o.exprs,
        .description = o.description.empty() ? std::string("(raw rule)") : o.description,
        .has_counter = nft::find_counter(o.exprs).has_value(),
        .owner = o.owner,
    });
}

}  // namespace nsnet::detail

namespace nsnet::firewall {

NSNET_LAZY_DEFINITION NSNET_DECL bool FilterRule::is_kind(const nft::Rule& r) {
    for (Hook h : {Hook::Prerouting, Hook::Input, Hook::Forward, Hook::Output, Hook::Postrouting})
        if (r.chain == nsnet::detail::filter_chain(h).name) return true;
    return false;
}

NSNET_LAZY_DEFINITION NSNET_DECL FilterRule FilterRule::create(const NetnsRef& ns, const FilterRuleOptions& options) {
    nsnet::detail::TableBatch b(ns);
    FilterRule r(b.queue(nsnet::detail::filter_state(b.netns(), options)));
    b.commit();
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL FilterRule FilterRule::create(const NetnsRef& ns, const RawRuleOptions& options) {
    nsnet::detail::TableBatch b(ns);
    FilterRule r(b.queue(nsnet::detail::raw_state(b.netns(), options)));
    b.commit();
    return r;
}

}  // namespace nsnet::firewall
