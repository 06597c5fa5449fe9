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

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/detail/std_chrono.hpp"
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
    AddressArg peer{};                   // `peer ADDR` (point-to-point): text or an IpAddress
    std::optional<Scope> scope{};
    std::string label{};
    bool replace = false;                // `ip addr replace`
    bool nodad = false;                  // `nodad` (IFA_F_NODAD): IPv6 only, usable at once, no DAD
};

// A link's own hardware address must be unicast and not all zeros (the kernel's
// is_valid_ether_addr); anything else is an InvalidArgument naming it, before the kernel's bare
// "Cannot assign requested address".
NSNET_LAZY NSNET_DECL void validate_link_mac(const MacAddress& mac, const std::string& operation, const std::string& object);

namespace detail {
class LinkOwnerBase;
}  // namespace detail

class Link {
public:
    Link() = default;
    Link(NetnsRef netns, int index, std::string name)
        : netns_(std::move(netns)), index_(index), name_(std::move(name)) {}

    // ip link show NAME. Throws Error(ENODEV) naming the link and namespace if there is none.
    NSNET_LAZY static Link get(const NetnsRef& netns, std::string_view name);
    NSNET_LAZY static Link get(const NetnsRef& netns, int index);
    // Like get(), but an absent link is nullopt rather than an error.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& netns, std::string_view name);
    // ip link show: every link of the namespace, as the kernel reports them.
    NSNET_LAZY static std::vector<LinkInfo> list(const NetnsRef& netns);

    // Owner tags (API 1.0): a link records its owner (e.g. a container id) in its alias,
    // IFLA_IFALIAS "nsnet:owner=<id>" (`ip link show` prints "alias nsnet:owner=<id>"), so that a
    // later process finds and removes exactly the links of that owner:
    //   veth.first().set_owner(container_id);          // CNI ADD
    //   Link::remove_owned(host, container_id);        // CNI DEL, in another process
    // An owner is 1..200 bytes of printable ASCII without spaces; set_owner replaces any alias.
    NSNET_LAZY void set_owner(std::string_view owner) const;
    // The owner recorded in a link's alias; nullopt when the alias is not an owner tag.
    NSNET_LAZY static std::optional<std::string> owner_of(const LinkInfo& info);
    // ip link show | grep "alias nsnet:owner=OWNER": the links tagged with this owner.
    NSNET_LAZY static std::vector<Link> list_owned(const NetnsRef& netns, std::string_view owner);
    // Deletes every link tagged with this owner and returns how many this call deleted; a link
    // gone meanwhile (a veth's peer goes with it) is not an error.
    NSNET_LAZY static std::size_t remove_owned(const NetnsRef& netns, std::string_view owner);
    // The namespace's loopback interface (ip link set lo up: Link::loopback(ns).up()). No look-up:
    // lo is ifindex 1 (LOOPBACK_IFINDEX) in every network namespace.
    NSNET_LAZY static Link loopback(const NetnsRef& netns) {
        if (!netns.valid()) return get(netns, "lo");  // throws, naming the empty reference
        return Link(netns, 1, "lo");
    }

    bool valid() const noexcept { return index_ > 0; }
    const NetnsRef& netns() const noexcept { return netns_; }
    int index() const noexcept { return index_; }
    const std::string& name() const noexcept { return name_; }

    // A fresh read of the link's state (ip -d link show NAME).
    NSNET_LAZY LinkInfo info() const;

    // ip link set NAME up / down
    NSNET_LAZY void up() const;
    NSNET_LAZY void down() const;
    NSNET_LAZY void set_up(bool on) const { on ? up() : down(); }
    // ip link set NAME name NEW (kernels before 6.2 refuse while the link is up: EBUSY)
    NSNET_LAZY void rename(const std::string& new_name);
    // ip link set NAME mtu N
    NSNET_LAZY void set_mtu(std::uint32_t mtu) const;
    // ip link set NAME address MAC
    NSNET_LAZY void set_mac(const MacAddress& mac) const;
    NSNET_LAZY void set_mac(std::string_view mac) const { set_mac(MacAddress::parse(mac)); }
    // ip link set NAME group N
    NSNET_LAZY void set_group(std::uint32_t group) const;
    // ip link set NAME alias TEXT
    NSNET_LAZY void set_alias(const std::string& alias) const;
    // ip link set NAME master BRIDGE (both must be in the same namespace; any owner, e.g. a Bridge,
    // converts to the `const Link&` this takes)
    NSNET_LAZY void set_master(const Link& master) const;
    // ip link set NAME nomaster
    NSNET_LAZY void set_nomaster() const;
    // ip link set NAME netns TARGET. The handle follows the link into its new namespace.
    NSNET_LAZY void set_netns(const NetnsRef& target);
    // ip link set NAME netns NSNAME (an `ip netns` name; unknown names are reported as ENOENT).
    NSNET_LAZY void set_netns(const std::string& netns_name) { set_netns(NetnsRef::open(netns_name)); }
    // ip link del NAME. Idempotent: a link already gone (ENODEV), and an empty handle, count as
    // removed. The handle keeps its ifindex (it is a value, like an fd number); later operations
    // on it fail with ENODEV naming the link.
    NSNET_LAZY void remove() const;
    // ip link del NAME in `netns`: one call, no handle needed (e.g. a later process cleaning up a
    // persisted link). Returns whether a link was deleted: an absent link is success (false).
    NSNET_LAZY static bool remove(const NetnsRef& netns, std::string_view name);

    // ip addr add CIDR dev NAME [brd +] [peer P] [scope S] [label L]; CIDR as text ("10.0.0.1/24")
    // or a Prefix. Bad text is an InvalidArgument naming the field and the value, before anything
    // is sent ("add address 'v0': ... [address '10.0.0.1/33' is not a prefix (...)]").
    NSNET_LAZY void add_address(const PrefixArg& prefix, const AddressOptions& o = {}) const;
    // ip addr del CIDR dev NAME (text or a Prefix, as add_address)
    NSNET_LAZY void remove_address(const PrefixArg& prefix) const;
    // ip addr show dev NAME
    NSNET_LAZY std::vector<AddressInfo> addresses() const;
    // Waits until no IPv6 address of this link is tentative (duplicate address detection done), as
    // CNI's ip.SettleAddresses does after configuring an interface; like it, link-local (fe80::/10)
    // addresses are not waited for (the kernel's own). Driven by RTNLGRP_IPV6_IFADDR
    // events (subscribed before the addresses are read, so no change is missed), not by polling.
    // Throws Error(EADDRNOTAVAIL) naming the address when DAD failed (IFA_F_DADFAILED: another
    // host uses it) and Error(ETIMEDOUT) naming the address still tentative after `timeout` (DAD
    // runs only while the link is up and has carrier: the message says so when it is down).
    // Addresses added with {.nodad = true} are never tentative. A link that is gone is Error(ENODEV).
    //   veth.first().add_address("2001:db8::1/64"); veth.first().up(); veth.first().wait_dad();
    NSNET_LAZY void wait_dad(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // ip link set NAME txqueuelen N
    NSNET_LAZY void set_txqlen(std::uint32_t txqlen) const;
    // ip link set NAME promisc on|off (LinkInfo::flags & IFF_PROMISC reads it back)
    NSNET_LAZY void set_promisc(bool on) const;

    friend bool operator==(const Link& a, const Link& b) { return a.index_ == b.index_ && a.netns_ == b.netns_; }

private:
    friend class detail::LinkOwnerBase;  // runs kind-specific requests (bridge/vxlan changes) through run()

    // Runs one request in this link's namespace; errors name the link.
    NSNET_LAZY void run(const std::string& operation, nl::MessageBuilder msg) const;
    NSNET_LAZY void change(rtnl::LinkChange c, const std::string& operation) const;
    NSNET_LAZY rtnl::AddressSpec address_spec(const Prefix& prefix, const AddressOptions& o) const;
    NSNET_LAZY static LinkInfo query(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown);
    // As query(), but no such link (ENODEV) is nullopt (the kernel's text, if any, in
    // *kernel_message), without an exception thrown on the way.
    NSNET_LAZY static std::optional<LinkInfo> query_optional(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown,
                                                  std::string* kernel_message = nullptr);

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
    NSNET_LAZY void remove();

    // The Link operations (link.hpp's Link says what each does).
    bool valid() const noexcept { return link().valid(); }
    const NetnsRef& netns() const noexcept { return link().netns(); }
    int index() const noexcept { return link().index(); }
    const std::string& name() const noexcept { return link().name(); }
    NSNET_LAZY LinkInfo info() const { return link().info(); }
    NSNET_LAZY void up() const { link().up(); }
    NSNET_LAZY void down() const { link().down(); }
    void set_up(bool on) const { link().set_up(on); }
    NSNET_LAZY void set_mtu(std::uint32_t mtu) const { link().set_mtu(mtu); }
    NSNET_LAZY void set_mac(const MacAddress& mac) const { link().set_mac(mac); }
    NSNET_LAZY void set_mac(std::string_view mac) const { link().set_mac(mac); }
    NSNET_LAZY void set_group(std::uint32_t group) const { link().set_group(group); }
    NSNET_LAZY void set_alias(const std::string& alias) const { link().set_alias(alias); }
    NSNET_LAZY void set_owner(std::string_view owner) const { link().set_owner(owner); }
    NSNET_LAZY void set_master(const Link& master) const { link().set_master(master); }
    NSNET_LAZY void set_nomaster() const { link().set_nomaster(); }
    NSNET_LAZY void set_txqlen(std::uint32_t txqlen) const { link().set_txqlen(txqlen); }
    NSNET_LAZY void set_promisc(bool on) const { link().set_promisc(on); }
    NSNET_LAZY void add_address(const PrefixArg& prefix, const AddressOptions& o = {}) const { link().add_address(prefix, o); }
    NSNET_LAZY void remove_address(const PrefixArg& prefix) const { link().remove_address(prefix); }
    NSNET_LAZY std::vector<AddressInfo> addresses() const { return link().addresses(); }
    NSNET_LAZY void wait_dad(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const { link().wait_dad(timeout); }
    // These re-point the handle; the owner still owns the same interface and follows it.
    NSNET_LAZY void rename(const std::string& new_name) { mutable_handle().rename(new_name); }
    NSNET_LAZY void set_netns(const NetnsRef& target) { mutable_handle().set_netns(target); }
    NSNET_LAZY void set_netns(const std::string& netns_name) { mutable_handle().set_netns(netns_name); }

protected:
    LinkOwnerBase() = default;
    NSNET_LAZY explicit LinkOwnerBase(Link link) noexcept : Owner(std::move(link)) {}
    LinkOwnerBase(LinkOwnerBase&&) noexcept = default;
    LinkOwnerBase& operator=(LinkOwnerBase&&) noexcept = default;
    ~LinkOwnerBase() = default;

    // For a kind's own requests (`ip link set NAME type bridge ...`): run in the link's namespace,
    // errors naming the link.
    NSNET_LAZY void run(const std::string& operation, nl::MessageBuilder msg) const { link().run(operation, std::move(msg)); }
    // remove(), errors swallowed: for a kind's destructor that must delete the interface before
    // its own members go (a tun's fds).
    NSNET_LAZY void remove_quietly() noexcept {
        try {
            remove();
        } catch (...) {
        }
    }
    // The interface went away by itself (a tun whose fds were closed): own nothing, valid() false.
    NSNET_LAZY void forget();
};

}  // namespace detail

// An owned interface of any kind: deletes it on destruction unless persist()ed. Move-only.
//   OwnedLink br = OwnedLink(Link::get(ns, "br0"));   // adopt: br0 is deleted with `br`
class OwnedLink final : public detail::LinkOwnerBase {
public:
    OwnedLink() = default;
    // Takes ownership of the interface `link` names.
    NSNET_LAZY explicit OwnedLink(Link link) noexcept : LinkOwnerBase(std::move(link)) {}
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
    NSNET_LAZY std::pair<int, std::string> resolve(const NetnsRef& ns, const std::string& operation, const std::string& object) const;
    // The interface name for a match by name (a rule's `iif NAME`, nft's `iifname "NAME"`), in
    // `ns`: a name is taken as given (checked to be a valid interface name; the device need not
    // exist yet); a Link, an owner or an ifindex is looked up in `ns` for its current name. Errors
    // name `field` and the value ("RuleOptions.iif: device #7 does not exist in namespace n1").
    // Empty: "".
    NSNET_LAZY std::string name_in(const NetnsRef& ns, std::string_view field, const std::string& operation,
                        const std::string& object) const;
    // The value as given, for messages: the name, the link's name, or "#INDEX"; "" when empty.
    NSNET_LAZY std::string to_string() const;

private:
    std::optional<Link> link_{};
    std::string name_{};
    int index_ = 0;
    bool set_ = false;
};

namespace detail {

// An owner tag as Link::set_owner takes it: 1..200 bytes of printable ASCII without spaces; else an
// InvalidArgument of `operation` on `object` naming `field` ("VethOptions.owner") and the value.
NSNET_LAZY NSNET_DECL void check_link_owner(std::string_view owner, const std::string& field, const std::string& operation,
                                 const std::string& object);
// The alias that records `owner` ("nsnet:owner=<owner>"), the owner checked as above.
NSNET_LAZY NSNET_DECL std::string link_owner_alias(std::string_view owner, const char* operation);
// Writes the owner tag of a link just created from options with `.owner` (nothing when `owner`
// is empty). If that fails, the link is removed again (nothing is left behind) and the Error of
// `operation` says so, keeping the errno and the kernel's text.
NSNET_LAZY NSNET_DECL void tag_new_link(const Link& link, std::string_view owner, const std::string& operation);

// The IFLA_INFO_KIND of an RTM_NEWLINK request ("veth", "bridge", ...); "" when it has none.
NSNET_LAZY NSNET_DECL std::string requested_kind(const nl::MessageBuilder& msg);

// A create request failed after the kernel received it (e.outcome_unknown(): its answer was lost
// or unreadable), so the link may exist. A link `name` of the requested kind found in `ns` now is
// taken to be the request's (had that name been taken before, the kernel would have refused it)
// and deleted, so that a failed create leaves nothing behind. Returns the Error to throw, saying
// what was done; other errors are returned unchanged.
NSNET_LAZY NSNET_DECL Error clean_up_unknown_create(const Error& e, const NetnsRef& ns, const std::string& name, const std::string& kind);

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/link.ipp"
#endif
