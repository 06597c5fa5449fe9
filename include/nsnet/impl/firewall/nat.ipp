// nsnet/impl/firewall/nat.ipp — the function bodies of <nsnet/firewall/nat.hpp>.
//
// Included at the end of nsnet/firewall/nat.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> masquerade_state(const NetnsRef& ns, const firewall::MasqueradeOptions& o) {
    const char* op = "add masquerade rule";
    const Prefix saddr = require_saddr(o.saddr, o.match_all, op, "MasqueradeOptions");
    if (o.oif_negate && o.oif.empty()) invalid_argument(op, "oif_negate", "MasqueradeOptions.oif_negate without an oif");
    check_owner(o.owner, op, "MasqueradeOptions.owner");
    const std::string oif = option_ifname(ns, o.oif, op, "MasqueradeOptions.oif");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->owner = o.owner;
    st->chain = nat_chain(nft::Hook::Postrouting);
    add_prefix(*st, true, saddr);
    add_ifname(*st, false, oif, o.oif_negate);
    add_counter(*st, o.counter);
    nft::detail::append(st->exprs, nft::masquerade());
    add_words(*st, "masquerade");
    return st;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> snat_state(const NetnsRef& ns, const firewall::SnatOptions& o) {
    const char* op = "add snat rule";
    const Prefix saddr = require_saddr(o.saddr, o.match_all, op, "SnatOptions");
    const IpAddress to = v4_address(o.to, op, "SnatOptions.to");
    if (to.is_unspecified()) invalid_argument(op, to.to_string(), "SnatOptions.to 0.0.0.0 is not an address");
    if (o.oif_negate && o.oif.empty()) invalid_argument(op, "oif_negate", "SnatOptions.oif_negate without an oif");
    check_owner(o.owner, op, "SnatOptions.owner");
    const std::string oif = option_ifname(ns, o.oif, op, "SnatOptions.oif");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->owner = o.owner;
    st->chain = nat_chain(nft::Hook::Postrouting);
    add_prefix(*st, true, saddr);
    add_ifname(*st, false, oif, o.oif_negate);
    add_counter(*st, o.counter);
    nft::detail::append(st->exprs, nft::snat_to(to));
    add_words(*st, "snat to " + to.to_string());
    return st;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> dnat_state(const NetnsRef& ns, const firewall::DnatOptions& o) {
    const char* op = "add dnat rule";
    require_port(o.dport, op, "DnatOptions.dport");
    const IpAddress to = v4_address(o.to, op, "DnatOptions.to");
    if (to.is_unspecified()) invalid_argument(op, to.to_string(), "DnatOptions.to 0.0.0.0 is not an address");
    std::optional<Prefix> daddr;
    if (!o.daddr.empty()) daddr = v4_prefix(o.daddr, op, "DnatOptions.daddr");
    check_owner(o.owner, op, "DnatOptions.owner");
    if (o.hook != firewall::Hook::Prerouting && o.hook != firewall::Hook::Output)
        invalid_argument(op, "hook", "DnatOptions.hook: a DNAT runs in firewall::Hook::Prerouting or firewall::Hook::Output");
    if (o.hook == firewall::Hook::Output && !o.iif.empty())
        invalid_argument(op, o.iif.to_string(),
                         "DnatOptions.iif '" + o.iif.to_string() + "' cannot match in the output hook: locally originated "
                         "packets have no input interface");
    const std::string iif = option_ifname(ns, o.iif, op, "DnatOptions.iif");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->owner = o.owner;
    st->chain = nat_chain(o.hook == firewall::Hook::Output ? nft::Hook::Output : nft::Hook::Prerouting);
    add_ifname(*st, true, iif, false);
    if (daddr) add_prefix(*st, false, *daddr);
    add_dport(*st, o.protocol, o.dport);
    add_counter(*st, o.counter);
    std::optional<std::uint16_t> to_port{};
    if (o.to_port) to_port = o.to_port;
    nft::detail::append(st->exprs, nft::dnat_to(to, to_port));
    add_words(*st, "dnat to " + to.to_string() + (o.to_port ? ":" + std::to_string(o.to_port) : std::string()));
    return st;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool has_nat(const nft::Rule& r, nft::NatType type) {
    for (const auto& e : r.exprs)
        if (const auto* n = std::get_if<nft::Nat>(&e); n && n->type == type) return true;
    return false;
}

}  // namespace nsnet::detail

namespace nsnet::firewall {

NSNET_LAZY_DEFINITION NSNET_DECL bool Masquerade::is_kind(const nft::Rule& r) {
    for (const auto& e : r.exprs)
        if (std::holds_alternative<nft::Masq>(e)) return true;
    return false;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Snat::is_kind(const nft::Rule& r) { return nsnet::detail::has_nat(r, nft::NatType::Snat); }

NSNET_LAZY_DEFINITION NSNET_DECL bool Dnat::is_kind(const nft::Rule& r) { return nsnet::detail::has_nat(r, nft::NatType::Dnat); }

NSNET_LAZY_DEFINITION NSNET_DECL Masquerade Masquerade::create(const NetnsRef& ns, const MasqueradeOptions& options) {
    nsnet::detail::TableBatch b(ns);
    Masquerade m(b.queue(nsnet::detail::masquerade_state(b.netns(), options)));
    b.commit();
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL Snat Snat::create(const NetnsRef& ns, const SnatOptions& options) {
    nsnet::detail::TableBatch b(ns);
    Snat r(b.queue(nsnet::detail::snat_state(b.netns(), options)));
    b.commit();
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL Dnat Dnat::create(const NetnsRef& ns, const DnatOptions& options) {
    nsnet::detail::TableBatch b(ns);
    Dnat r(b.queue(nsnet::detail::dnat_state(b.netns(), options)));
    b.commit();
    return r;
}

}  // namespace nsnet::firewall
