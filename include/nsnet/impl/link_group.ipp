// nsnet/impl/link_group.ipp — the function bodies of <nsnet/link_group.hpp>.
//
// Included at the end of nsnet/link_group.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL LinkGroup LinkGroup::create(const NetnsRef& netns, const LinkGroupOptions& options) {
    detail::require_netns(netns, "create link group", options.owner);
    if (!options.owner.empty()) return LinkGroup(netns, id_for(options.owner));
    std::vector<std::uint32_t> used;
    for (const LinkInfo& l : Link::list(netns)) used.push_back(l.group);
    // A spread of ids away from the small numbers people type by hand (`ip link set X group 1`).
    static std::atomic<std::uint32_t> counter{0};
    std::uint32_t seed = static_cast<std::uint32_t>(::getpid()) * 2654435761u ^ (++counter * 40503u);
    for (std::uint32_t i = 0;; ++i) {
        std::uint32_t id = 0x10000u + ((seed + i * 7919u) % 0x7ffe0000u);
        if (std::find(used.begin(), used.end(), id) == used.end()) return LinkGroup(netns, id);
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL LinkGroup LinkGroup::adopt(const NetnsRef& netns, std::uint32_t id) {
    detail::require_netns(netns, "adopt link group", std::to_string(id));
    if (id == 0) invalid_argument("adopt link group", "0", "group 0 is every link's default group ('default')");
    return LinkGroup(netns, id);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t LinkGroup::id_for(std::string_view owner) {
    if (owner.empty()) invalid_argument("derive link group id", "", "an empty owner tag names no group");
    std::uint32_t h = 2166136261u;  // FNV-1a: stable across processes, builds and machines
    for (char c : owner) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return 0x10000u + h % 0x7ffe0000u;
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::remove(const NetnsRef& netns, std::uint32_t id) {
    detail::require_netns(netns, "delete links of", "group " + std::to_string(id));
    if (id == 0) invalid_argument("delete links of", "group 0", "group 0 is every link's default group ('default')");
    detail::OwnedLinkGroup{netns, id}.remove();
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::remove_owned(const NetnsRef& netns, std::string_view owner) { remove(netns, id_for(owner)); }

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::add(const Link& link) {
    if (!(link.netns() == netns()))
        invalid_argument("add link to group " + std::to_string(id()), link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in " + netns().display_name());
    link.set_group(id());
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::take(OwnedLink& link) {
    check_tagged(link, "take link into group");
    link.persist();
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::take(VethPair& pair) {
    const Link& end = pair.first().netns() == netns() ? pair.first() : pair.second();
    check_tagged(end, "take veth into group");
    pair.persist();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<LinkInfo> LinkGroup::links() const {
    auto all = Link::list(netns());
    std::erase_if(all, [&](const LinkInfo& l) { return l.group != id(); });
    return all;
}

NSNET_LAZY_DEFINITION NSNET_DECL void detail::OwnedLinkGroup::remove() const {
    const std::string shown = "group " + std::to_string(id);
    try {
        auto m = rtnl::link_del_group(id);
        ns.with_rtnl([&](nl::Socket& s) { nl::request(s, m, "delete links of", shown); });
    } catch (const Error& e) {
        if (e.errnum() == ENODEV || e.errnum() == ENOENT) return;  // none left (or the namespace is gone)
        if (e.errnum() != EOPNOTSUPP) throw;
        // A member the kernel cannot delete (a physical device) makes it refuse the whole group:
        // delete the others one by one, and say so.
        std::string kept;
        for (const LinkInfo& l : Link::list(ns)) {
            if (l.group != id) continue;
            if (l.kind.empty()) {
                kept += (kept.empty() ? "" : ", ") + l.name;
                continue;
            }
            try {
                Link(ns, l.index, l.name).remove();
            } catch (const Error& e2) {
                if (e2.errnum() != ENODEV) throw;
            }
        }
        if (!kept.empty()) throw Error(EOPNOTSUPP, "delete links of", shown, e.kernel_message(), "cannot delete " + kept);
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkGroup::check_tagged(const Link& link, const char* operation) const {
    if (!(link.netns() == netns()))
        invalid_argument(operation, link.name(), "'" + link.name() + "' is not in the group's namespace " + netns().display_name());
    if (link.info().group != id())
        invalid_argument(operation, link.name(),
                         "'" + link.name() + "' is not in group " + std::to_string(id()) + " (create it with .group = id(), or add() it)");
}

}  // namespace nsnet
