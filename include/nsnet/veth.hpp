// nsnet/veth.hpp — VethPair: two connected virtual Ethernet ends, each placed in its namespace.
//
// Layer: typed objects. Both ends are named and placed in one RTM_NEWLINK (the tutorial's
// `ip -n ns1 link add eth0 type veth peer name eth0 netns ns2`), so there is never a moment where a
// half-configured pair exists in the wrong namespace, and a refused request leaves nothing:
//
//   auto pair = nsnet::VethPair::create(ns1, {.name = "eth0", .peer = {.name = "eth0", .netns = ns2}});
//   pair.first().up();                          // read-only handles of the two ends
//   pair.second().add_address("10.0.0.2/24");
//
// Deleting either end deletes both; the destructor deletes the pair unless persisted, and
// tolerates it being gone already (a veth dies with its namespace).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"

namespace nsnet {

// One end of a veth pair: VethOptions::peer, and both ends of RequestBatch::create_veth.
struct VethEnd {
    std::string name{};
    // As VethOptions::peer: the peer's namespace; empty = the same namespace as the first end
    // (create's `ns`). In RequestBatch::create_veth: empty = the batch's namespace.
    NetnsRef netns{};
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    std::optional<std::uint32_t> group{};  // IFLA_GROUP, for bulk deletion by group
    std::optional<std::uint32_t> txqlen{}; // txqueuelen N (IFLA_TXQLEN; veth defaults to 1000)
};

// What `ip link add NAME type veth peer name PEER [netns B]` takes: the first end's name and
// settings, and the peer (its own name, namespace and settings).
struct VethOptions {
    std::string name{};                       // the first end (required), created in create's `ns`
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    std::optional<std::uint32_t> group{};     // IFLA_GROUP, for bulk deletion by group
    std::optional<std::uint32_t> txqlen{};    // txqueuelen N (IFLA_TXQLEN; veth defaults to 1000)
    VethEnd peer{};                           // .name required; .netns empty = the same namespace as `ns`
    // Owner tag (e.g. a container id), written on the first end as its alias "nsnet:owner=<id>" right
    // after the kernel creates the pair (if that fails the pair is removed and the error says so):
    // Link::list_owned(ns, id) finds it, Link::remove_owned(ns, id) removes the pair.
    std::string owner{};
};

// A veth pair nsnet owns: deletes both ends on destruction unless persist()ed. Move-only.
class VethPair {
public:
    VethPair() = default;

    // ip -n NS link add NAME type veth peer name PEER [netns PEER_NS]: the first end in `ns`, the
    // peer in o.peer.netns (empty: `ns` too). An empty `ns` is an InvalidArgument: the caller's own
    // namespace is NetnsRef::current().
    NSNET_LAZY static VethPair create(const NetnsRef& ns, const VethOptions& o);
    // Takes ownership of an existing veth `name` in `ns` (checked to be a veth), e.g. one a previous
    // run persisted: the returned pair deletes it. first() is always `name`. second() is the peer,
    // found through IFLA_LINK: in `ns`, or (IFLA_LINK_NETNSID) in the caller's namespace or a named
    // one (/run/netns); a peer in an unnamed namespace cannot be found from here, and second() is
    // then an empty handle (!second().valid()).
    NSNET_LAZY static VethPair adopt(const NetnsRef& ns, std::string_view name);
    // ip -n NS link del NAME: deletes the pair one of whose ends is `name` (either end deletes
    // both), e.g. from a later process. Returns whether one was deleted; none there is success.
    NSNET_LAZY static bool remove(const NetnsRef& ns, std::string_view name) { return Link::remove(ns, name); }

    // Move-only. Moving onto a pair deletes the pair it owned; the destructor deletes the pair
    // (through its first end, an OwnedLink; a pair already gone is fine) unless persisted.
    VethPair(VethPair&&) noexcept = default;
    VethPair& operator=(VethPair&&) noexcept = default;
    VethPair(const VethPair&) = delete;
    VethPair& operator=(const VethPair&) = delete;
    ~VethPair() = default;

    // The two ends, read-only handles: every operation that changes an end without re-pointing
    // it works on them (`pair.first().up()`, `.add_address(...)`, `.set_master(bridge)`); they
    // never become mutable, so a pair cannot be made to delete another interface.
    const Link& first() const noexcept { return first_.link(); }
    const Link& second() const noexcept { return second_; }

    // ip link set END netns TARGET / ip link set END name NEW, for one of this pair's ends
    // (`pair.set_netns(pair.second(), ns2)`): the pair's handle of that end follows it. Another
    // link is an InvalidArgument.
    NSNET_LAZY void set_netns(const Link& end, const NetnsRef& target);
    NSNET_LAZY void set_netns(const Link& end, const std::string& netns_name) { set_netns(end, NetnsRef::open(netns_name)); }
    NSNET_LAZY void rename(const Link& end, const std::string& new_name);

    // Keep the pair after this object is gone.
    void persist() noexcept { first_.persist(); }
    bool owned() const noexcept { return first_.owned(); }  // false after persist/release/remove
    // Gives up ownership and returns the plain handles {first, second}.
    std::pair<Link, Link> release() noexcept { return {first_.release(), second_}; }
    // Deletes the pair now (if still owned). If the first end is gone (its namespace was deleted),
    // the second end is already gone too: the kernel removes both ends together.
    NSNET_LAZY void remove() { first_.remove(); }

private:
    OwnedLink first_;
    Link second_;
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/veth.ipp"
#endif
