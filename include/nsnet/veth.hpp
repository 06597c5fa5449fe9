// nsnet/veth.hpp — VethPair: two connected virtual Ethernet ends, each placed in its namespace.
//
// Layer: typed objects. Both ends are named and placed in one RTM_NEWLINK (the tutorial's
// `ip link add eth0 type veth peer name eth0 netns ns2`), so there is never a moment where a
// half-configured pair exists in the wrong namespace, and a refused request leaves nothing.
// Deleting either end deletes both; the destructor deletes the pair unless persisted, and
// tolerates it being gone already (a veth dies with its namespace).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/link.hpp"

namespace nsnet {

// One end of a veth pair. An empty netns means the caller's current namespace.
struct VethEnd {
    std::string name{};
    NetnsRef netns{};
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    std::optional<std::uint32_t> group{};  // IFLA_GROUP, for bulk deletion by group
    std::optional<std::uint32_t> txqlen{}; // txqueuelen N (IFLA_TXQLEN; veth defaults to 1000)
};

class VethPair {
public:
    VethPair() = default;

    // ip [-n A] link add FIRST [netns A] type veth peer name SECOND [netns B]
    static VethPair create(VethEnd first, VethEnd second);

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
    bool owned() const noexcept { return first_.owned(); }
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

NSNET_DECL VethPair VethPair::create(VethEnd first, VethEnd second) {
    validate_interface_name(first.name, "create veth");
    validate_interface_name(second.name, "create veth");
    if (!first.netns.valid()) first.netns = NetnsRef::current();
    if (!second.netns.valid()) second.netns = first.netns;
    const std::string shown = first.name + "/" + second.name;
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
