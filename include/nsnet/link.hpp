// nsnet/link.hpp — network interfaces: Link (a handle to any interface) and OwnedLink (one nsnet created).
//
// Layer: typed objects. A Link names an interface by namespace + ifindex (so it survives renames)
// and does what `ip link set`, `ip link del` and `ip addr` do to it. It is a plain, copyable
// handle, like a file descriptor: it never deletes anything by itself, and the operations that
// change the interface without re-pointing the handle are const. OwnedLink (built on
// detail::Owner<Link>) owns one interface: it deletes it on destruction unless persist()ed, and
// tolerates it being gone already (it dies with its namespace). Every link kind nsnet creates
// (Bridge, Macvlan, ...) is built on the same owner (detail::LinkOwnerBase). An owner offers the
// link operations (bridge.up(), bridge.add_address(...)) and converts to `const Link&`
// (`port.set_master(bridge)`), never to a mutable `Link&`: `Link& l = bridge; l = other;` does
// not compile, so an owner can never be made to delete another interface.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <net/if.h> and <netinet/in.h> must precede uapi headers
#include <linux/if.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"

namespace nsnet {

using LinkInfo = rtnl::LinkInfo;
using AddressInfo = rtnl::AddressInfo;
using Scope = rtnl::Scope;

// Options of `ip addr add`.
struct AddressOptions {
    // `brd +`: set the IPv4 broadcast address (prefixes /30 and shorter, as ip and RFC 3021 do).
    // Off by default, as `ip addr add`; CNI's plugins (vishvananda/netlink AddrAdd) always set it
    // that way for IPv4, so pass {.broadcast = true} to configure an interface as they do.
    bool broadcast = false;
    std::optional<IpAddress> peer{};       // `peer ADDR` (point-to-point)
    std::optional<Scope> scope{};
    std::string label{};
    bool replace = false;                // `ip addr replace`
    bool nodad = false;                  // `nodad` (IFA_F_NODAD): IPv6 only, usable at once, no DAD
};

// A link's own hardware address must be unicast and not all zeros (the kernel's
// is_valid_ether_addr); anything else is an InvalidArgument naming it, before the kernel's bare
// "Cannot assign requested address".
NSNET_DECL void validate_link_mac(const MacAddress& mac, const std::string& operation, const std::string& object);

namespace detail {
class LinkOwnerBase;
}  // namespace detail

class Link {
public:
    Link() = default;
    Link(NetnsRef netns, int index, std::string name)
        : netns_(std::move(netns)), index_(index), name_(std::move(name)) {}

    // ip link show NAME. Throws Error(ENODEV) naming the link and namespace if there is none.
    static Link get(const NetnsRef& netns, std::string_view name);
    static Link get(const NetnsRef& netns, int index);
    // Like get(), but an absent link is nullopt rather than an error.
    static std::optional<Link> find(const NetnsRef& netns, std::string_view name);
    // ip link show: every link of the namespace, as the kernel reports them.
    static std::vector<LinkInfo> list(const NetnsRef& netns);

    // Owner tags (API 1.0): a link records its owner (e.g. a container id) in its alias,
    // IFLA_IFALIAS "nsnet:owner=<id>" (`ip link show` prints "alias nsnet:owner=<id>"), so that a
    // later process finds and removes exactly the links of that owner:
    //   veth.first().set_owner(container_id);          // CNI ADD
    //   Link::remove_owned(host, container_id);        // CNI DEL, in another process
    // An owner is 1..200 bytes of printable ASCII without spaces; set_owner replaces any alias.
    void set_owner(std::string_view owner) const;
    // The owner recorded in a link's alias; nullopt when the alias is not an owner tag.
    static std::optional<std::string> owner_of(const LinkInfo& info);
    // ip link show | grep "alias nsnet:owner=OWNER": the links tagged with this owner.
    static std::vector<Link> list_owned(const NetnsRef& netns, std::string_view owner);
    // Deletes every link tagged with this owner and returns how many this call deleted; a link
    // gone meanwhile (a veth's peer goes with it) is not an error.
    static std::size_t remove_owned(const NetnsRef& netns, std::string_view owner);
    // The namespace's loopback interface (ip link set lo up: Link::loopback(ns).up()). No look-up:
    // lo is ifindex 1 (LOOPBACK_IFINDEX) in every network namespace.
    static Link loopback(const NetnsRef& netns) {
        if (!netns.valid()) return get(netns, "lo");  // throws, naming the empty reference
        return Link(netns, 1, "lo");
    }

    bool valid() const noexcept { return index_ > 0; }
    const NetnsRef& netns() const noexcept { return netns_; }
    int index() const noexcept { return index_; }
    const std::string& name() const noexcept { return name_; }

    // A fresh read of the link's state (ip -d link show NAME).
    LinkInfo info() const;

    // ip link set NAME up / down
    void up() const;
    void down() const;
    void set_up(bool on) const { on ? up() : down(); }
    // ip link set NAME name NEW (kernels before 6.2 refuse while the link is up: EBUSY)
    void rename(const std::string& new_name);
    // ip link set NAME mtu N
    void set_mtu(std::uint32_t mtu) const;
    // ip link set NAME address MAC
    void set_mac(const MacAddress& mac) const;
    void set_mac(std::string_view mac) const { set_mac(MacAddress::parse(mac)); }
    // ip link set NAME group N
    void set_group(std::uint32_t group) const;
    // ip link set NAME alias TEXT
    void set_alias(const std::string& alias) const;
    // ip link set NAME master BRIDGE (both must be in the same namespace; any owner, e.g. a Bridge,
    // converts to the `const Link&` this takes)
    void set_master(const Link& master) const;
    // ip link set NAME nomaster
    void set_nomaster() const;
    // ip link set NAME netns TARGET. The handle follows the link into its new namespace.
    void set_netns(const NetnsRef& target);
    // ip link set NAME netns NSNAME (an `ip netns` name; unknown names are reported as ENOENT).
    void set_netns(const std::string& netns_name) { set_netns(NetnsRef::open(netns_name)); }
    // ip link del NAME. Idempotent: a link already gone (ENODEV), and an empty handle, count as
    // removed. The handle keeps its ifindex (it is a value, like an fd number); later operations
    // on it fail with ENODEV naming the link.
    void remove() const;
    // ip link del NAME in `netns`: one call, no handle needed (e.g. a later process cleaning up a
    // persisted link). Returns whether a link was deleted: an absent link is success (false).
    static bool remove(const NetnsRef& netns, std::string_view name);

    // ip addr add CIDR dev NAME [brd +] [peer P] [scope S] [label L]
    void add_address(const Prefix& prefix, const AddressOptions& o = {}) const;
    void add_address(std::string_view cidr, const AddressOptions& o = {}) const { add_address(Prefix::parse(cidr), o); }
    // ip addr del CIDR dev NAME
    void remove_address(const Prefix& prefix) const;
    void remove_address(std::string_view cidr) const { remove_address(Prefix::parse(cidr)); }
    // ip addr show dev NAME
    std::vector<AddressInfo> addresses() const;
    // Waits until no IPv6 address of this link is tentative (duplicate address detection done), as
    // CNI's ip.SettleAddresses does after configuring an interface; like it, link-local (fe80::/10)
    // addresses are not waited for (the kernel's own). Driven by RTNLGRP_IPV6_IFADDR
    // events (subscribed before the addresses are read, so no change is missed), not by polling.
    // Throws Error(EADDRNOTAVAIL) naming the address when DAD failed (IFA_F_DADFAILED: another
    // host uses it) and Error(ETIMEDOUT) naming the address still tentative after `timeout` (DAD
    // runs only while the link is up and has carrier: the message says so when it is down).
    // Addresses added with {.nodad = true} are never tentative. A link that is gone is Error(ENODEV).
    //   veth.first().add_address("2001:db8::1/64"); veth.first().up(); veth.first().wait_dad();
    void wait_dad(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // ip link set NAME txqueuelen N
    void set_txqlen(std::uint32_t txqlen) const;
    // ip link set NAME promisc on|off (LinkInfo::flags & IFF_PROMISC reads it back)
    void set_promisc(bool on) const;

    friend bool operator==(const Link& a, const Link& b) { return a.index_ == b.index_ && a.netns_ == b.netns_; }

private:
    friend class detail::LinkOwnerBase;  // runs kind-specific requests (bridge/vxlan changes) through run()

    // Runs one request in this link's namespace; errors name the link.
    void run(const std::string& operation, nl::MessageBuilder msg) const;
    void change(rtnl::LinkChange c, const std::string& operation) const;
    rtnl::AddressSpec address_spec(const Prefix& prefix, const AddressOptions& o) const;
    static LinkInfo query(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown);

    NetnsRef netns_{};
    int index_ = 0;
    std::string name_{};
};

namespace detail {

// The owner part shared by OwnedLink and every link kind (Bridge, Macvlan, Vlan, Vxlan, Ipvlan,
// Tun): one detail::Owner<Link>, and the link operations forwarded once, here. It cannot be
// copied, and it cannot be moved or destroyed through a reference to this base (those are
// protected), so an owner cannot be sliced: a `LinkOwnerBase&` to a Bridge cannot be assigned
// another link to delete.
class LinkOwnerBase : private Owner<Link> {
public:
    // The owned link, read-only (an owner converts to it: `set_master(bridge)`, `DeviceArg`).
    const Link& link() const noexcept { return handle(); }
    operator const Link&() const noexcept { return handle(); }  // NOLINT: implicit on purpose
    using Owner::operator->;
    using Owner::operator*;

    // Keep the interface after this owner is gone.
    using Owner::persist;
    // Whether this owner deletes its interface (false after persist/release/remove, when empty,
    // and in a fork child of the process that made it).
    using Owner::owned;
    // Gives up ownership and returns the plain handle.
    using Owner::release;
    // ip link del NAME, now, if this owner still owns it; one already gone counts as deleted.
    // Afterwards valid() is false.
    void remove();

    // The Link operations (link.hpp's Link says what each does).
    bool valid() const noexcept { return link().valid(); }
    const NetnsRef& netns() const noexcept { return link().netns(); }
    int index() const noexcept { return link().index(); }
    const std::string& name() const noexcept { return link().name(); }
    LinkInfo info() const { return link().info(); }
    void up() const { link().up(); }
    void down() const { link().down(); }
    void set_up(bool on) const { link().set_up(on); }
    void set_mtu(std::uint32_t mtu) const { link().set_mtu(mtu); }
    void set_mac(const MacAddress& mac) const { link().set_mac(mac); }
    void set_mac(std::string_view mac) const { link().set_mac(mac); }
    void set_group(std::uint32_t group) const { link().set_group(group); }
    void set_alias(const std::string& alias) const { link().set_alias(alias); }
    void set_owner(std::string_view owner) const { link().set_owner(owner); }
    void set_master(const Link& master) const { link().set_master(master); }
    void set_nomaster() const { link().set_nomaster(); }
    void set_txqlen(std::uint32_t txqlen) const { link().set_txqlen(txqlen); }
    void set_promisc(bool on) const { link().set_promisc(on); }
    void add_address(const Prefix& prefix, const AddressOptions& o = {}) const { link().add_address(prefix, o); }
    void add_address(std::string_view cidr, const AddressOptions& o = {}) const { link().add_address(cidr, o); }
    void remove_address(const Prefix& prefix) const { link().remove_address(prefix); }
    void remove_address(std::string_view cidr) const { link().remove_address(cidr); }
    std::vector<AddressInfo> addresses() const { return link().addresses(); }
    void wait_dad(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const { link().wait_dad(timeout); }
    // These re-point the handle; the owner still owns the same interface and follows it.
    void rename(const std::string& new_name) { mutable_handle().rename(new_name); }
    void set_netns(const NetnsRef& target) { mutable_handle().set_netns(target); }
    void set_netns(const std::string& netns_name) { mutable_handle().set_netns(netns_name); }

protected:
    LinkOwnerBase() = default;
    explicit LinkOwnerBase(Link link) noexcept : Owner(std::move(link)) {}
    LinkOwnerBase(LinkOwnerBase&&) noexcept = default;
    LinkOwnerBase& operator=(LinkOwnerBase&&) noexcept = default;
    ~LinkOwnerBase() = default;

    // For a kind's own requests (`ip link set NAME type bridge ...`): run in the link's namespace,
    // errors naming the link.
    void run(const std::string& operation, nl::MessageBuilder msg) const { link().run(operation, std::move(msg)); }
    // remove(), errors swallowed: for a kind's destructor that must delete the interface before
    // its own members go (a tun's fds).
    void remove_quietly() noexcept {
        try {
            remove();
        } catch (...) {
        }
    }
    // The interface went away by itself (a tun whose fds were closed): own nothing, valid() false.
    void forget();
};

}  // namespace detail

// An owned interface of any kind: deletes it on destruction unless persist()ed. Move-only.
//   OwnedLink br = OwnedLink(Link::get(ns, "br0"));   // adopt: br0 is deleted with `br`
class OwnedLink final : public detail::LinkOwnerBase {
public:
    OwnedLink() = default;
    // Takes ownership of the interface `link` names.
    explicit OwnedLink(Link link) noexcept : LinkOwnerBase(std::move(link)) {}
    OwnedLink(OwnedLink&&) noexcept = default;
    OwnedLink& operator=(OwnedLink&&) noexcept = default;
    ~OwnedLink() = default;
};

// A device argument: a Link or any owner of one (`.dev = link`, `.dev = bridge`, `.dev = pair.first()`),
// an ifindex (`.dev = 3`) or a name (`.dev = "eth0"`), resolved in the namespace of the request that
// takes it (a route's, a rule's ...) when it is built. Empty: no device.
class DeviceArg {
public:
    DeviceArg() = default;
    DeviceArg(const Link& link) : link_(link), set_(true) {}                    // NOLINT: implicit on purpose
    // Any owner (OwnedLink, Bridge, Macvlan, ...): its link (two conversions are not implicit).
    DeviceArg(const detail::LinkOwnerBase& owner) : DeviceArg(owner.link()) {}  // NOLINT
    DeviceArg(int ifindex) : index_(ifindex), set_(true) {}                     // NOLINT
    DeviceArg(const char* name) : name_(name ? name : ""), set_(name && *name) {}  // NOLINT
    DeviceArg(std::string name) : name_(std::move(name)), set_(!name_.empty()) {}  // NOLINT

    bool empty() const noexcept { return !set_; }

    // {ifindex, name} in `ns`. A missing device is Error(ENODEV) of `operation`, naming it; a Link
    // from another namespace is an InvalidArgument.
    std::pair<int, std::string> resolve(const NetnsRef& ns, const std::string& operation, const std::string& object) const;

private:
    std::optional<Link> link_{};
    std::string name_{};
    int index_ = 0;
    bool set_ = false;
};

namespace detail {

// The IFLA_INFO_KIND of an RTM_NEWLINK request ("veth", "bridge", ...); "" when it has none.
NSNET_DECL std::string requested_kind(const nl::MessageBuilder& msg);

// A create request failed after the kernel received it (e.outcome_unknown(): its answer was lost
// or unreadable), so the link may exist. A link `name` of the requested kind found in `ns` now is
// taken to be the request's (had that name been taken before, the kernel would have refused it)
// and deleted, so that a failed create leaves nothing behind. Returns the Error to throw, saying
// what was done; other errors are returned unchanged.
NSNET_DECL Error clean_up_unknown_create(const Error& e, const NetnsRef& ns, const std::string& name, const std::string& kind);

}  // namespace detail

#if NSNET_DEFINITIONS

NSNET_DECL void validate_link_mac(const MacAddress& mac, const std::string& operation, const std::string& object) {
    if (mac.is_zero())
        invalid_argument(operation, object, "MAC address " + mac.to_string() + " is all zeros, not an interface address");
    if (mac.is_multicast())
        invalid_argument(operation, object,
                         "MAC address " + mac.to_string() + " is a multicast address (odd first byte), not an interface address");
}

NSNET_DECL Link Link::get(const NetnsRef& netns, std::string_view name) {
    validate_interface_name(name, "find link");
    auto info = query(netns, rtnl::link_get(name), std::string(name));
    return Link(netns, info.index, info.name);
}

NSNET_DECL Link Link::get(const NetnsRef& netns, int index) {
    auto info = query(netns, rtnl::link_get(index), "#" + std::to_string(index));
    return Link(netns, info.index, info.name);
}

NSNET_DECL std::optional<Link> Link::find(const NetnsRef& netns, std::string_view name) {
    try {
        return get(netns, name);
    } catch (const Error& e) {
        if (e.errnum() == ENODEV) return std::nullopt;
        throw;
    }
}

namespace detail {
inline constexpr std::string_view link_owner_prefix = "nsnet:owner=";
inline std::string link_owner_alias(std::string_view owner, const char* operation) {
    if (owner.empty() || owner.size() > 200)
        invalid_argument(operation, std::string(owner), "owner '" + std::string(owner) + "' must be 1..200 bytes");
    for (char c : owner)
        if (c <= ' ' || c > '~')
            invalid_argument(operation, std::string(owner),
                             "owner '" + std::string(owner) + "' holds a space or a non-printable byte");
    return std::string(link_owner_prefix) + std::string(owner);
}
}  // namespace detail

NSNET_DECL void Link::set_owner(std::string_view owner) const {
    std::string alias = detail::link_owner_alias(owner, "set link owner");
    change({.alias = alias}, "set link owner " + std::string(owner));
}

NSNET_DECL std::optional<std::string> Link::owner_of(const LinkInfo& info) {
    if (info.alias.rfind(detail::link_owner_prefix, 0) != 0) return std::nullopt;
    return info.alias.substr(detail::link_owner_prefix.size());
}

NSNET_DECL std::vector<Link> Link::list_owned(const NetnsRef& netns, std::string_view owner) {
    (void)detail::link_owner_alias(owner, "list links of owner");
    std::vector<Link> out{};
    for (const LinkInfo& l : list(netns))
        if (auto o = owner_of(l); o && *o == owner) out.emplace_back(netns, l.index, l.name);
    return out;
}

NSNET_DECL std::size_t Link::remove_owned(const NetnsRef& netns, std::string_view owner) {
    std::size_t removed = 0;
    for (const Link& l : list_owned(netns, owner)) {
        try {
            l.run("delete link", rtnl::link_del(l.index_));
            ++removed;
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;  // gone meanwhile (a veth's peer goes with it)
        }
    }
    return removed;
}

NSNET_DECL std::vector<LinkInfo> Link::list(const NetnsRef& netns) {
    return netns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::link_dump();
        return nl::dump_collect(s, m, "list links", rtnl::decode_link);
    });
}

NSNET_DECL LinkInfo Link::info() const {
    return query(netns_, rtnl::link_get(index_), name_);
}

NSNET_DECL void Link::up() const {
    change({.up = true}, "set link up");
}

NSNET_DECL void Link::down() const {
    change({.up = false}, "set link down");
}

NSNET_DECL void Link::rename(const std::string& new_name) {
    validate_interface_name(new_name, "rename link");
    try {
        change({.name = new_name}, "rename link");
    } catch (const Error& e) {
        if (e.errnum() != EEXIST) throw;
        Error named(EEXIST, "rename link", name_, e.kernel_message(),
                    "an interface named '" + new_name + "' already exists in namespace " + netns_.display_name());
        named.set_bad_attribute_offset(e.bad_attribute_offset());
        throw named;
    }
    name_ = new_name;
}

NSNET_DECL void Link::set_mtu(std::uint32_t mtu) const {
    change({.mtu = mtu}, "set link mtu " + std::to_string(mtu));
}

NSNET_DECL void Link::set_mac(const MacAddress& mac) const {
    validate_link_mac(mac, "set link address", name_);
    change({.mac = mac}, "set link address " + mac.to_string());
}

NSNET_DECL void Link::set_group(std::uint32_t group) const {
    change({.group = group}, "set link group");
}

NSNET_DECL void Link::set_alias(const std::string& alias) const {
    validate_link_alias(alias, "set link alias", name_);
    change({.alias = alias}, "set link alias");
}

NSNET_DECL void Link::set_master(const Link& master) const {
    if (!(master.netns_ == netns_))
        invalid_argument("set link master", name_,
                         "master '" + master.name_ + "' is in another network namespace");
    change({.master = master.index_}, "set link master");
}

NSNET_DECL void Link::set_nomaster() const {
    change({.master = 0}, "set link nomaster");
}

NSNET_DECL void Link::set_netns(const NetnsRef& target) {
    int fd = target.fd();
    change({.netns_fd = fd}, "move link to namespace " + target.display_name());
    netns_ = target;
    // The ifindex is kept when free in the target, but not guaranteed: look it up again.
    index_ = get(netns_, name_).index_;
}

NSNET_DECL void Link::remove() const {
    if (!valid()) return;
    try {
        run("delete link", rtnl::link_del(index_));
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;  // already gone: removed
    }
}

NSNET_DECL bool Link::remove(const NetnsRef& netns, std::string_view name) {
    validate_interface_name(name, "delete link");
    for (;;) {
        auto l = find(netns, name);
        if (!l) return false;
        try {
            l->run("delete link", rtnl::link_del(l->index_));
            return true;
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;
            // Gone between the look-up and the delete (or renamed and the name reused): look again.
        }
    }
}

NSNET_DECL void Link::add_address(const Prefix& prefix, const AddressOptions& o) const {
    run(o.replace ? "replace address " + prefix.to_string() : "add address " + prefix.to_string(),
        rtnl::address_new(address_spec(prefix, o), o.replace));
}

NSNET_DECL void Link::remove_address(const Prefix& prefix) const {
    run("delete address " + prefix.to_string(), rtnl::address_del(address_spec(prefix, {})));
}

NSNET_DECL std::vector<AddressInfo> Link::addresses() const {
    auto all = netns_.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::address_dump();
        return nl::dump_collect(s, m, "list addresses", rtnl::decode_address);
    });
    std::erase_if(all, [&](const AddressInfo& a) { return a.index != index_; });
    return all;
}

NSNET_DECL void Link::wait_dad(std::chrono::milliseconds timeout) const {
    const std::string op = "wait for IPv6 duplicate address detection";
    if (!valid()) throw Error(ENODEV, op, name_, {}, "link handle is empty or was removed");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    nl::Socket events = netns_.netlink_socket(NETLINK_ROUTE);
    events.subscribe(RTNLGRP_IPV6_IFADDR);
    std::vector<std::pair<IpAddress, std::uint32_t>> state;  // this link's IPv6 addresses, their flags
    auto note = [&](const AddressInfo& a, bool gone) {
        if (a.index != index_ || a.prefix.address().is_v4()) return;
        if (a.prefix.address().data()[0] == 0xfe && (a.prefix.address().data()[1] & 0xc0) == 0x80) return;  // fe80::/10
        std::erase_if(state, [&](const auto& p) { return p.first == a.prefix.address(); });
        if (!gone) state.emplace_back(a.prefix.address(), a.flags);
    };
    auto snapshot = [&] {
        state.clear();
        for (const auto& a : addresses()) note(a, false);
    };
    (void)info();  // Error(ENODEV) naming the link if it is gone: no addresses is not "DAD done"
    snapshot();  // after subscribing: every later change is queued as an event
    for (;;) {
        // Apply every queued event before judging, so an old event cannot end the wait early.
        try {
            for (nl::Bytes b = events.receive(true); !b.empty(); b = events.receive(true))
                for (nl::MessageView m : nl::MessageRange(b))
                    if (auto a = rtnl::decode_address(m)) note(*a, m.type() == RTM_DELADDR);
        } catch (const Error& e) {
            if (e.errnum() != ENOBUFS) throw;
            snapshot();  // events were dropped: read the state afresh
        }
        const IpAddress* pending = nullptr;
        for (const auto& [addr, flags] : state) {
            if (flags & IFA_F_DADFAILED)
                throw Error(EADDRNOTAVAIL, op, name_, {},
                            "address " + addr.to_string() + " failed duplicate address detection (IFA_F_DADFAILED): another host on the link uses it");
            if (flags & IFA_F_TENTATIVE) pending = &addr;
        }
        if (!pending) return;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            std::string why = "address " + pending->to_string() + " is still tentative after " + std::to_string(timeout.count()) + " ms";
            if (!info().is_up()) why += " (the link is down: DAD starts when it is up)";
            throw Error(ETIMEDOUT, op, name_, {}, why);
        }
        pollfd p{events.fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000))) < 0 && errno != EINTR)
            throw_errno(op, name_);
    }
}

NSNET_DECL void Link::set_txqlen(std::uint32_t txqlen) const {
    change({.txqlen = txqlen}, "set txqueuelen " + std::to_string(txqlen));
}

NSNET_DECL void Link::set_promisc(bool on) const {
    change({.promisc = on}, on ? "set promisc on" : "set promisc off");
}

NSNET_DECL void Link::run(const std::string& operation, nl::MessageBuilder msg) const {
    if (!valid()) throw Error(ENODEV, operation, name_, {}, "link handle is empty or was removed");
    netns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, name_); });
}

NSNET_DECL void Link::change(rtnl::LinkChange c, const std::string& operation) const {
    c.index = index_;
    run(operation, rtnl::link_set(c));
}

NSNET_DECL rtnl::AddressSpec Link::address_spec(const Prefix& prefix, const AddressOptions& o) const {
    rtnl::AddressSpec s{.index = index_, .prefix = prefix, .peer = o.peer, .broadcast = {}, .scope = o.scope, .label = o.label};
    if (o.broadcast && prefix.address().is_v4() && prefix.length() <= 30) s.broadcast = prefix.broadcast();
    if (o.nodad && !prefix.address().is_v4()) s.flags |= IFA_F_NODAD;
    return s;
}

NSNET_DECL LinkInfo Link::query(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown) {
    return netns.with_rtnl([&](nl::Socket& s) {
        std::optional<LinkInfo> found{};
        try {
            nl::request(s, msg, "find link", shown, [&](const nl::MessageView& m) {
                if (auto l = rtnl::decode_link(m)) found = std::move(l);
            });
        } catch (const Error& e) {
            if (e.errnum() == ENODEV)
                throw Error(ENODEV, "find link", shown, e.kernel_message(),
                            "no such interface in namespace " + netns.display_name());
            throw;
        }
        if (!found) throw Error(ENODEV, "find link", shown, {}, "the kernel sent no link");
        return *found;
    });
}

NSNET_DECL std::pair<int, std::string> DeviceArg::resolve(const NetnsRef& ns, const std::string& operation,
                                                          const std::string& object) const {
    if (!set_) return {0, {}};
    if (link_) {
        if (!link_->valid())
            invalid_argument(operation, object, "device '" + link_->name() + "' is an empty or removed link handle");
        if (!(link_->netns() == ns))
            invalid_argument(operation, object,
                             "device '" + link_->name() + "' is in namespace " + link_->netns().display_name() +
                                 ", not in " + ns.display_name());
        return {link_->index(), link_->name()};
    }
    if (!name_.empty()) validate_interface_name(name_, operation);
    if (index_ < 0 || (name_.empty() && index_ == 0))
        invalid_argument(operation, object, "device index " + std::to_string(index_) + " is not an ifindex");
    try {
        Link l = name_.empty() ? Link::get(ns, index_) : Link::get(ns, name_);
        return {l.index(), l.name()};
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;
        std::string shown = name_.empty() ? "#" + std::to_string(index_) : name_;
        throw Error(ENODEV, operation, object, e.kernel_message(),
                    "device " + shown + " does not exist in namespace " + ns.display_name());
    }
}

namespace detail {

NSNET_DECL void LinkOwnerBase::remove() {
    if (!owned()) return;
    Owner::remove();
    forget();
}

NSNET_DECL void LinkOwnerBase::forget() {
    persist();
    mutable_handle() = Link(link().netns(), 0, link().name());  // gone: valid() is false, the name stays for messages
}

}  // namespace detail

namespace detail {

NSNET_DECL std::string requested_kind(const nl::MessageBuilder& msg) {
    try {
        nl::MessageView m(msg.bytes());
        if (auto info = m.attrs<ifinfomsg>().find(IFLA_LINKINFO))
            if (auto kind = info->nested().find(IFLA_INFO_KIND)) return std::string(kind->str());
    } catch (const Error&) {
    }
    return {};
}

NSNET_DECL Error clean_up_unknown_create(const Error& e, const NetnsRef& ns, const std::string& name, const std::string& kind) {
    if (!e.outcome_unknown()) return e;
    std::string note;
    try {
        auto l = Link::find(ns, name);
        if (!l) {
            note = "the kernel's answer was lost; no link '" + name + "' exists afterwards";
        } else if (!kind.empty() && l->info().kind != kind) {
            note = "the kernel's answer was lost; a link '" + name + "' exists but is not a " + kind + ", so it was left alone";
        } else {
            l->remove();
            note = "the kernel's answer was lost; the link '" + name + "' it had created was deleted";
        }
    } catch (const Error& cleanup) {
        note = "the kernel's answer was lost, and looking for link '" + name + "' failed too (" + cleanup.what() +
               "): it may exist";
    }
    Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(), e.detail().empty() ? note : e.detail() + "; " + note);
    if (e.bad_attribute_offset() >= 0) out.set_bad_attribute_offset(e.bad_attribute_offset());
    out.set_outcome_unknown();
    return out;
}

}  // namespace detail

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
