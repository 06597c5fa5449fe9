// nsnet/link_group.hpp — LinkGroup: links tagged with one interface group, removed by one request.
//
// Layer: typed objects.
//
//   auto group = nsnet::LinkGroup::create(host);        // an interface group unused in `host`
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
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/error.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/veth.hpp"

namespace nsnet {

// Links of one namespace tagged with one interface group (IFLA_GROUP), removed together by a
// single `ip link del group N`: one RCU grace period for all of them instead of one per link
// (1,000 veth pairs: ~0.4 s instead of ~16 s).
//
//   auto group = nsnet::LinkGroup::create(ns);
//   auto v = nsnet::VethPair::create({.name = "a", .netns = ns, .group = group.id()}, {.name = "b", .netns = other});
//   group.adopt(v);        // v no longer deletes itself: the group does
//   // or, for many: RequestBatch::create_veth({.name = ..., .group = group.id()}, ...)
//
// The destructor deletes every link of the namespace in that group, including any that something
// else tagged with it: create() picks an id no link of the namespace uses. Single objects keep
// deleting themselves unless adopted. A deleted veth takes its peer (in any namespace) with it.
class LinkGroup {
public:
    LinkGroup() = default;

    // A group id that no link of `netns` uses now (checked with one link dump), owned.
    static LinkGroup create(const NetnsRef& netns);
    // Takes charge of an existing group id (`ip link set X group N` elsewhere): its links are
    // deleted on destruction.
    static LinkGroup adopt(const NetnsRef& netns, std::uint32_t id);

    LinkGroup(LinkGroup&& o) noexcept : ns_(std::move(o.ns_)), id_(o.id_), owned_(std::exchange(o.owned_, false)) {}
    LinkGroup& operator=(LinkGroup&& o) noexcept;
    LinkGroup(const LinkGroup&) = delete;
    LinkGroup& operator=(const LinkGroup&) = delete;
    ~LinkGroup();

    std::uint32_t id() const noexcept { return id_; }           // the IFLA_GROUP value
    const NetnsRef& netns() const noexcept { return ns_; }      // where its links are
    bool owned() const noexcept { return owned_; }              // whether destruction deletes them
    // Keep the links after this object is gone.
    void persist() noexcept { owned_ = false; }

    // ip link set NAME group N: tags a link of the group's namespace (it is deleted with the group).
    void add(Link& link);
    // Takes over a link nsnet created and tagged with id() (or add()ed): it no longer deletes itself
    // one by one; the group deletes it.
    void adopt(OwnedLink& link);
    // The same for a pair: one of its ends must be in the group's namespace, tagged with id().
    void adopt(VethPair& pair);
    // ip link show group N
    std::vector<LinkInfo> links() const;

    // ip link del group N, now: one request. A group with no link left counts as deleted.
    void remove();

private:
    LinkGroup(NetnsRef ns, std::uint32_t id) : ns_(std::move(ns)), id_(id), owned_(true) {}
    void check_tagged(const Link& link, const char* operation) const;
    void destroy() noexcept;

    NetnsRef ns_{};
    std::uint32_t id_ = 0;
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
};

#if NSNET_DEFINITIONS

NSNET_DECL LinkGroup LinkGroup::create(const NetnsRef& netns) {
    if (!netns.valid()) invalid_argument("create link group", {}, "no namespace given (an empty NetnsRef)");
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

NSNET_DECL LinkGroup& LinkGroup::operator=(LinkGroup&& o) noexcept {
    if (this != &o) {
        destroy();
        ns_ = std::move(o.ns_);
        id_ = o.id_;
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL LinkGroup::~LinkGroup() { destroy(); }

NSNET_DECL void LinkGroup::add(Link& link) {
    if (!(link.netns() == ns_))
        invalid_argument("add link to group " + std::to_string(id_), link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in " + ns_.display_name());
    link.set_group(id_);
}

NSNET_DECL void LinkGroup::adopt(OwnedLink& link) {
    check_tagged(link, "adopt link");
    link.persist();
}

NSNET_DECL void LinkGroup::adopt(VethPair& pair) {
    const Link& end = pair.first().netns() == ns_ ? pair.first() : pair.second();
    check_tagged(end, "adopt veth");
    pair.persist();
}

NSNET_DECL std::vector<LinkInfo> LinkGroup::links() const {
    auto all = Link::list(ns_);
    std::erase_if(all, [&](const LinkInfo& l) { return l.group != id_; });
    return all;
}

NSNET_DECL void LinkGroup::remove() {
    if (!owned_) return;
    owned_ = false;
    const std::string shown = "group " + std::to_string(id_);
    try {
        auto m = rtnl::link_del_group(id_);
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, m, "delete links of", shown); });
    } catch (const Error& e) {
        if (e.errnum() == ENODEV || e.errnum() == ENOENT) return;  // none left (or the namespace is gone)
        if (e.errnum() != EOPNOTSUPP) throw;
        // A member the kernel cannot delete (a physical device) makes it refuse the whole group:
        // delete the others one by one, and say so.
        std::string kept;
        for (const LinkInfo& l : links()) {
            if (l.kind.empty()) {
                kept += (kept.empty() ? "" : ", ") + l.name;
                continue;
            }
            try {
                Link(ns_, l.index, l.name).remove();
            } catch (const Error& e2) {
                if (e2.errnum() != ENODEV) throw;
            }
        }
        if (!kept.empty()) throw Error(EOPNOTSUPP, "delete links of", shown, e.kernel_message(), "cannot delete " + kept);
    }
}

NSNET_DECL void LinkGroup::check_tagged(const Link& link, const char* operation) const {
    if (!(link.netns() == ns_))
        invalid_argument(operation, link.name(), "'" + link.name() + "' is not in the group's namespace " + ns_.display_name());
    if (link.info().group != id_)
        invalid_argument(operation, link.name(),
                         "'" + link.name() + "' is not in group " + std::to_string(id_) + " (create it with .group = id(), or add() it)");
}

NSNET_DECL void LinkGroup::destroy() noexcept {
    try {
        remove();
    } catch (...) {
        // Destructors never throw; callers who care call remove() themselves.
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
