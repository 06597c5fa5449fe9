// nsnet/impl/veth.ipp — the function bodies of <nsnet/veth.hpp>.
//
// Included at the end of nsnet/veth.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL VethPair VethPair::create(const NetnsRef& ns, const VethOptions& o) {
    const std::string shown = o.name + "/" + o.peer.name;
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "VethOptions.owner", "create veth", shown);
    detail::require_netns(ns, "create veth", shown);
    validate_interface_name(o.name, "create veth");
    validate_interface_name(o.peer.name, "create veth");
    // The same names and values as before, one request: an empty peer namespace is `ns`.
    VethEnd first{.name = o.name, .netns = ns, .mac = o.mac, .mtu = o.mtu, .group = o.group, .txqlen = o.txqlen};
    VethEnd second = o.peer;
    if (!second.netns.valid()) second.netns = ns;
    if (first.name == second.name && first.netns == second.netns)
        invalid_argument("create veth", shown, "both ends are named '" + first.name + "' in the same namespace");
    if (first.mac) validate_link_mac(*first.mac, "create veth", shown);
    if (second.mac) validate_link_mac(*second.mac, "create veth", shown);

    // Sent from the first end's namespace: the first end is born there, the peer is placed by fd.
    rtnl::LinkCreate c{.name = first.name, .mac = first.mac, .mtu = first.mtu, .group = first.group, .txqlen = first.txqlen};
    rtnl::VethPeer p{.name = second.name, .mac = second.mac, .mtu = second.mtu, .group = second.group, .txqlen = second.txqlen};
    if (!(second.netns == first.netns)) p.netns_fd = second.netns.fd();
    auto msg = rtnl::veth_new(c, p);
    // NLM_F_ECHO (honoured for a new link since Linux 6.3): the kernel sends the new first end back,
    // ifindex and peer's ifindex (IFLA_LINK) included, so neither end needs a look-up afterwards
    // (two round trips, and the peer namespace's socket, saved). Older kernels ignore the flag.
    msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_ECHO));
    int first_index = 0, second_index = 0;
    try {
        first.netns.with_rtnl([&](nl::Socket& s) {
            nl::request(s, msg, "create veth", shown, [&](const nl::MessageView& m) {
                if (m.type() != RTM_NEWLINK || first_index) return;
                if (auto l = rtnl::decode_link(m); l && l->name == first.name && l->index > 0) {
                    first_index = l->index;
                    second_index = l->parent;
                }
            });
        });
    } catch (const Error& e) {
        if (!e.outcome_unknown()) throw;
        // The kernel may have created the pair before its answer was lost: do not leak it.
        throw detail::clean_up_unknown_create(e, first.netns, first.name, "veth");
    }

    VethPair pair;
    try {
        pair.first_ = OwnedLink(first_index ? Link(first.netns, first_index, first.name) : Link::get(first.netns, first.name));
        pair.second_ = second_index > 0 ? Link(second.netns, second_index, second.name) : Link::get(second.netns, second.name);
    } catch (...) {
        // The pair exists but cannot be looked up: remove it rather than leak it.
        if (!pair.first_.valid()) {
            if (auto l = Link::find(first.netns, first.name)) try { l->remove(); } catch (...) {}
        }
        throw;
    }
    detail::tag_new_link(pair.first(), o.owner, "create veth");  // on failure `pair` goes, but the pair is removed already
    return pair;
}

NSNET_LAZY_DEFINITION NSNET_DECL VethPair VethPair::adopt(const NetnsRef& ns, std::string_view name) {
    detail::require_netns(ns, "adopt veth", name);
    Link first = Link::get(ns, name);
    LinkInfo info = first.info();
    if (info.kind != "veth")
        invalid_argument("adopt veth", first.name(),
                         "link '" + first.name() + "' is not a veth (kind '" + info.kind + "')");
    Link second = detail::parent_of(first, info);  // before owning: a throw leaves the link alone
    VethPair pair;
    pair.first_ = OwnedLink(std::move(first));
    pair.second_ = std::move(second);
    return pair;
}

NSNET_LAZY_DEFINITION NSNET_DECL void VethPair::set_netns(const Link& end, const NetnsRef& target) {
    if (end == first_.link()) return first_.set_netns(target);
    if (end == second_) return second_.set_netns(target);
    invalid_argument("move veth end to namespace " + target.display_name(), end.name(),
                     "'" + end.name() + "' is not an end of the pair " + first_.name() + "/" + second_.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL void VethPair::rename(const Link& end, const std::string& new_name) {
    if (end == first_.link()) return first_.rename(new_name);
    if (end == second_) return second_.rename(new_name);
    invalid_argument("rename veth end", end.name(),
                     "'" + end.name() + "' is not an end of the pair " + first_.name() + "/" + second_.name());
}

}  // namespace nsnet
