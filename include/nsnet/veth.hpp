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
};

// A veth pair nsnet owns: deletes both ends on destruction unless persist()ed. Move-only.
class VethPair {
public:
    VethPair() = default;

    // ip -n NS link add NAME type veth peer name PEER [netns PEER_NS]: the first end in `ns`, the
    // peer in o.peer.netns (empty: `ns` too). An empty `ns` is an InvalidArgument: the caller's own
    // namespace is NetnsRef::current().
    static VethPair create(const NetnsRef& ns, const VethOptions& o);
    // Takes ownership of an existing veth `name` in `ns` (checked to be a veth), e.g. one a previous
    // run persisted: the returned pair deletes it. first() is always `name`. second() is the peer,
    // found through IFLA_LINK: in `ns`, or (IFLA_LINK_NETNSID) in the caller's namespace or a named
    // one (/run/netns); a peer in an unnamed namespace cannot be found from here, and second() is
    // then an empty handle (!second().valid()).
    static VethPair adopt(const NetnsRef& ns, std::string_view name);
    // ip -n NS link del NAME: deletes the pair one of whose ends is `name` (either end deletes
    // both), e.g. from a later process. Returns whether one was deleted; none there is success.
    static bool remove(const NetnsRef& ns, std::string_view name) { return Link::remove(ns, name); }

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
    void set_netns(const Link& end, const NetnsRef& target);
    void set_netns(const Link& end, const std::string& netns_name) { set_netns(end, NetnsRef::open(netns_name)); }
    void rename(const Link& end, const std::string& new_name);

    // Keep the pair after this object is gone.
    void persist() noexcept { first_.persist(); }
    bool owned() const noexcept { return first_.owned(); }  // false after persist/release/remove
    // Gives up ownership and returns the plain handles {first, second}.
    std::pair<Link, Link> release() noexcept { return {first_.release(), second_}; }
    // Deletes the pair now (if still owned). If the first end is gone (its namespace was deleted),
    // the second end is already gone too: the kernel removes both ends together.
    void remove() { first_.remove(); }

private:
    OwnedLink first_;
    Link second_;
};

#if NSNET_DEFINITIONS

NSNET_DECL VethPair VethPair::create(const NetnsRef& ns, const VethOptions& o) {
    const std::string shown = o.name + "/" + o.peer.name;
    if (!ns.valid())
        invalid_argument("create veth", shown, "the namespace is an empty NetnsRef (the caller's own is NetnsRef::current())");
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
    return pair;
}

NSNET_DECL VethPair VethPair::adopt(const NetnsRef& ns, std::string_view name) {
    if (!ns.valid())
        invalid_argument("adopt veth", std::string(name), "the namespace is an empty NetnsRef (the caller's own is NetnsRef::current())");
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

NSNET_DECL void VethPair::set_netns(const Link& end, const NetnsRef& target) {
    if (end == first_.link()) return first_.set_netns(target);
    if (end == second_) return second_.set_netns(target);
    invalid_argument("move veth end to namespace " + target.display_name(), end.name(),
                     "'" + end.name() + "' is not an end of the pair " + first_.name() + "/" + second_.name());
}

NSNET_DECL void VethPair::rename(const Link& end, const std::string& new_name) {
    if (end == first_.link()) return first_.rename(new_name);
    if (end == second_) return second_.rename(new_name);
    invalid_argument("rename veth end", end.name(),
                     "'" + end.name() + "' is not an end of the pair " + first_.name() + "/" + second_.name());
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
