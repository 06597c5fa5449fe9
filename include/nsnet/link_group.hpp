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
    NSNET_LAZY void remove() const;
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
    NSNET_LAZY static LinkGroup create(const NetnsRef& netns, const LinkGroupOptions& options = {});
    // Takes ownership of an existing group (`ip link set X group N` elsewhere, or a group a process
    // persisted): its links are deleted on destruction.
    NSNET_LAZY static LinkGroup adopt(const NetnsRef& netns, std::uint32_t id);
    // The group id create({.owner = owner}) uses: a hash of the tag, never below 65536 (ids people
    // type by hand) and never 0.
    NSNET_LAZY static std::uint32_t id_for(std::string_view owner);
    // ip link del group N, from any process (nothing left is success).
    NSNET_LAZY static void remove(const NetnsRef& netns, std::uint32_t id);
    // remove(netns, id_for(owner)): the links of the group created with that owner tag.
    NSNET_LAZY static void remove_owned(const NetnsRef& netns, std::string_view owner);

    std::uint32_t id() const noexcept { return owner_->id; }          // the IFLA_GROUP value
    const NetnsRef& netns() const noexcept { return owner_->ns; }     // where its links are
    bool owned() const noexcept { return owner_.owned(); }            // whether destruction deletes them
    // Keep the links after this object is gone (adopt(ns, id) or remove(ns, id) finds them later).
    void persist() noexcept { owner_.persist(); }
    // Gives up ownership (as persist()) and returns the group id.
    std::uint32_t release() noexcept { return owner_.release().id; }

    // ip link set NAME group N: tags a link of the group's namespace (it is deleted with the group).
    NSNET_LAZY void add(const Link& link);
    // Takes a link nsnet created and tagged with id() (or add()ed) away from its owner: the owner
    // no longer deletes it (it is persisted); the group does.
    NSNET_LAZY void take(OwnedLink& link);
    // The same for a pair: one of its ends must be in the group's namespace, tagged with id().
    NSNET_LAZY void take(VethPair& pair);
    // ip link show group N
    NSNET_LAZY std::vector<LinkInfo> links() const;

    // ip link del group N, now: one request. A group with no link left counts as deleted.
    NSNET_LAZY void remove() { owner_.remove(); }

private:
    NSNET_LAZY LinkGroup(NetnsRef ns, std::uint32_t id) : owner_(detail::OwnedLinkGroup{std::move(ns), id}) {}
    NSNET_LAZY void check_tagged(const Link& link, const char* operation) const;

    detail::Owner<detail::OwnedLinkGroup> owner_{};
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/link_group.ipp"
#endif
