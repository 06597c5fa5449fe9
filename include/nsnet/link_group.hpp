// nsnet/link_group.hpp — LinkGroup: links tagged with one interface group, removed by one request.
//
// Layer: typed objects.
//
//   auto group = nsnet::LinkGroup::create(host, {.owner = id});  // the group of tag `id` in `host`
//   b.create_veth({.name = "vh1", .group = group.id()}, {.name = "eth0", .netns = c1});
//   ...                                                 // ~LinkGroup: `ip link del group N`
//
// Why: deleting a network device waits for an RCU grace period (~10-20 ms), once per RTM_DELLINK;
// a group pays it once for all its links.
#pragma once

#include <net/if.h>
#include <linux/if.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/error.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/veth.hpp"

namespace nsnet {

namespace detail {

// What a LinkGroup owns: the links of `ns` in interface group `id`. remove() is `ip link del group
// N` (a group with no link left, or a namespace gone, is success).
struct OwnedLinkGroup {
    NetnsRef ns{};
    std::uint32_t id = 0;
    void remove() const;
};

}  // namespace detail

// What LinkGroup::create takes.
struct LinkGroupOptions {
    // A tag such as a container id: the group id is derived from it (LinkGroup::id_for), the same
    // in every process, so that a later one finds the group (LinkGroup::adopt(ns, id_for(owner)))
    // and removes it (LinkGroup::remove_owned(ns, owner)). Empty: an id no link of the namespace
    // uses now, known only through id().
    std::string owner{};
};

// Links of one namespace tagged with one interface group (IFLA_GROUP), removed together by a
// single `ip link del group N`: one RCU grace period for all of them instead of one per link
// (1,000 veth pairs: ~0.4 s instead of ~16 s).
//
//   auto group = nsnet::LinkGroup::create(ns, {.owner = container_id});
//   auto v = nsnet::VethPair::create(ns, {.name = "a", .group = group.id(), .peer = {.name = "b", .netns = other}});
//   group.take(v);         // v no longer deletes itself: the group does
//   // or, for many: RequestBatch::create_veth({.name = ..., .group = group.id()}, ...)
//   // a later process: nsnet::LinkGroup::remove_owned(ns, container_id);
//
// The destructor deletes every link of the namespace in that group, including any that something
// else tagged with it. Single objects keep deleting themselves unless taken. A deleted veth takes
// its peer (in any namespace) with it.
class LinkGroup {
public:
    // No group (owned() is false).
    LinkGroup() = default;

    // A group of `netns`, owned: with options.owner, the id derived from it (links already in that
    // group are taken to be the owner's, e.g. from an earlier run); without, an id that no link of
    // `netns` uses now (checked with one link dump).
    static LinkGroup create(const NetnsRef& netns, const LinkGroupOptions& options = {});
    // Takes ownership of an existing group (`ip link set X group N` elsewhere, or a group a process
    // persisted): its links are deleted on destruction.
    static LinkGroup adopt(const NetnsRef& netns, std::uint32_t id);
    // The group id create({.owner = owner}) uses: a hash of the tag, never below 65536 (ids people
    // type by hand) and never 0.
    static std::uint32_t id_for(std::string_view owner);
    // ip link del group N, from any process (nothing left is success).
    static void remove(const NetnsRef& netns, std::uint32_t id);
    // remove(netns, id_for(owner)): the links of the group created with that owner tag.
    static void remove_owned(const NetnsRef& netns, std::string_view owner);

    std::uint32_t id() const noexcept { return owner_->id; }          // the IFLA_GROUP value
    const NetnsRef& netns() const noexcept { return owner_->ns; }     // where its links are
    bool owned() const noexcept { return owner_.owned(); }            // whether destruction deletes them
    // Keep the links after this object is gone (adopt(ns, id) or remove(ns, id) finds them later).
    void persist() noexcept { owner_.persist(); }
    // Gives up ownership (as persist()) and returns the group id.
    std::uint32_t release() noexcept { return owner_.release().id; }

    // ip link set NAME group N: tags a link of the group's namespace (it is deleted with the group).
    void add(const Link& link);
    // Takes a link nsnet created and tagged with id() (or add()ed) away from its owner: the owner
    // no longer deletes it (it is persisted); the group does.
    void take(OwnedLink& link);
    // The same for a pair: one of its ends must be in the group's namespace, tagged with id().
    void take(VethPair& pair);
    // ip link show group N
    std::vector<LinkInfo> links() const;

    // ip link del group N, now: one request. A group with no link left counts as deleted.
    void remove() { owner_.remove(); }

private:
    LinkGroup(NetnsRef ns, std::uint32_t id) : owner_(detail::OwnedLinkGroup{std::move(ns), id}) {}
    void check_tagged(const Link& link, const char* operation) const;

    detail::Owner<detail::OwnedLinkGroup> owner_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL LinkGroup LinkGroup::create(const NetnsRef& netns, const LinkGroupOptions& options) {
    if (!netns.valid()) invalid_argument("create link group", options.owner, "no namespace given (an empty NetnsRef)");
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

NSNET_DECL LinkGroup LinkGroup::adopt(const NetnsRef& netns, std::uint32_t id) {
    if (!netns.valid()) invalid_argument("adopt link group", std::to_string(id), "no namespace given (an empty NetnsRef)");
    if (id == 0) invalid_argument("adopt link group", "0", "group 0 is every link's default group ('default')");
    return LinkGroup(netns, id);
}

NSNET_DECL std::uint32_t LinkGroup::id_for(std::string_view owner) {
    if (owner.empty()) invalid_argument("derive link group id", "", "an empty owner tag names no group");
    std::uint32_t h = 2166136261u;  // FNV-1a: stable across processes, builds and machines
    for (unsigned char c : owner) h = (h ^ c) * 16777619u;
    return 0x10000u + h % 0x7ffe0000u;
}

NSNET_DECL void LinkGroup::remove(const NetnsRef& netns, std::uint32_t id) {
    if (!netns.valid()) invalid_argument("delete links of", "group " + std::to_string(id), "no namespace given (an empty NetnsRef)");
    if (id == 0) invalid_argument("delete links of", "group 0", "group 0 is every link's default group ('default')");
    detail::OwnedLinkGroup{netns, id}.remove();
}

NSNET_DECL void LinkGroup::remove_owned(const NetnsRef& netns, std::string_view owner) { remove(netns, id_for(owner)); }

NSNET_DECL void LinkGroup::add(const Link& link) {
    if (!(link.netns() == netns()))
        invalid_argument("add link to group " + std::to_string(id()), link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in " + netns().display_name());
    link.set_group(id());
}

NSNET_DECL void LinkGroup::take(OwnedLink& link) {
    check_tagged(link, "take link into group");
    link.persist();
}

NSNET_DECL void LinkGroup::take(VethPair& pair) {
    const Link& end = pair.first().netns() == netns() ? pair.first() : pair.second();
    check_tagged(end, "take veth into group");
    pair.persist();
}

NSNET_DECL std::vector<LinkInfo> LinkGroup::links() const {
    auto all = Link::list(netns());
    std::erase_if(all, [&](const LinkInfo& l) { return l.group != id(); });
    return all;
}

NSNET_DECL void detail::OwnedLinkGroup::remove() const {
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

NSNET_DECL void LinkGroup::check_tagged(const Link& link, const char* operation) const {
    if (!(link.netns() == netns()))
        invalid_argument(operation, link.name(), "'" + link.name() + "' is not in the group's namespace " + netns().display_name());
    if (link.info().group != id())
        invalid_argument(operation, link.name(),
                         "'" + link.name() + "' is not in group " + std::to_string(id()) + " (create it with .group = id(), or add() it)");
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
