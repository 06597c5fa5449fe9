// nsnet/link.hpp — network interfaces: Link (a handle to any interface) and OwnedLink (one nsnet created).
//
// Layer: typed objects. A Link names an interface by namespace + ifindex (so it survives renames)
// and does what `ip link set`, `ip link del` and `ip addr` do to it. It is a plain, copyable
// handle: it never deletes anything by itself. OwnedLink is the move-only base of every link kind
// nsnet creates (VethPair, Bridge, Macvlan, ...): it deletes its interface on destruction unless
// persist()ed, and tolerates the interface being gone already (it dies with its namespace).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <net/if.h> and <netinet/in.h> must precede uapi headers
#include <linux/if.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
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
    void set_owner(std::string_view owner);
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
    void up();
    void down();
    void set_up(bool on) { on ? up() : down(); }
    // ip link set NAME name NEW (kernels before 6.2 refuse while the link is up: EBUSY)
    void rename(const std::string& new_name);
    // ip link set NAME mtu N
    void set_mtu(std::uint32_t mtu);
    // ip link set NAME address MAC
    void set_mac(const MacAddress& mac);
    void set_mac(std::string_view mac) { set_mac(MacAddress::parse(mac)); }
    // ip link set NAME group N
    void set_group(std::uint32_t group);
    // ip link set NAME alias TEXT
    void set_alias(const std::string& alias);
    // ip link set NAME master BRIDGE (both must be in the same namespace)
    void set_master(const Link& master);
    // ip link set NAME nomaster
    void set_nomaster();
    // ip link set NAME netns TARGET. The handle follows the link into its new namespace.
    void set_netns(const NetnsRef& target);
    // ip link set NAME netns NSNAME (an `ip netns` name; unknown names are reported as ENOENT).
    void set_netns(const std::string& netns_name) { set_netns(NetnsRef::open(netns_name)); }
    // ip link del NAME
    void remove();

    // ip addr add CIDR dev NAME [brd +] [peer P] [scope S] [label L]
    void add_address(const Prefix& prefix, const AddressOptions& o = {});
    void add_address(std::string_view cidr, const AddressOptions& o = {}) { add_address(Prefix::parse(cidr), o); }
    // ip addr del CIDR dev NAME
    void del_address(const Prefix& prefix);
    void del_address(std::string_view cidr) { del_address(Prefix::parse(cidr)); }
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
    void set_txqlen(std::uint32_t txqlen);
    // ip link set NAME promisc on|off (LinkInfo::flags & IFF_PROMISC reads it back)
    void set_promisc(bool on);

    friend bool operator==(const Link& a, const Link& b) { return a.index_ == b.index_ && a.netns_ == b.netns_; }

protected:
    // Runs one request in this link's namespace; errors name the link.
    void run(const std::string& operation, nl::MessageBuilder msg) const;
    void change(rtnl::LinkChange c, const std::string& operation);
    rtnl::AddressSpec address_spec(const Prefix& prefix, const AddressOptions& o) const;
    static LinkInfo query(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown);

    NetnsRef netns_{};
    int index_ = 0;
    std::string name_{};
};

// Base of every link nsnet creates: deletes it on destruction unless persisted. Move-only.
class OwnedLink : public Link {
public:
    OwnedLink() = default;
    explicit OwnedLink(Link link) : Link(std::move(link)), owned_(true) {}
    OwnedLink(OwnedLink&& o) noexcept : Link(std::move(o)), owned_(std::exchange(o.owned_, false)) {}
    OwnedLink& operator=(OwnedLink&& o) noexcept;
    OwnedLink(const OwnedLink&) = delete;
    OwnedLink& operator=(const OwnedLink&) = delete;
    ~OwnedLink();

    // Keep the interface after this object is gone.
    void persist() noexcept { owned_ = false; }
    bool owned() const noexcept { return owned_; }
    // Gives up ownership and returns the plain handle.
    Link release() noexcept;
    // Deletes the interface now; one already gone (ENODEV) counts as deleted.
    void remove();

protected:
    void destroy() noexcept;
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
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

NSNET_DECL void Link::set_owner(std::string_view owner) {
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
    for (Link& l : list_owned(netns, owner)) {
        try {
            l.remove();
            ++removed;
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;
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

NSNET_DECL void Link::up() {
    change({.up = true}, "set link up");
}

NSNET_DECL void Link::down() {
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

NSNET_DECL void Link::set_mtu(std::uint32_t mtu) {
    change({.mtu = mtu}, "set link mtu " + std::to_string(mtu));
}

NSNET_DECL void Link::set_mac(const MacAddress& mac) {
    validate_link_mac(mac, "set link address", name_);
    change({.mac = mac}, "set link address " + mac.to_string());
}

NSNET_DECL void Link::set_group(std::uint32_t group) {
    change({.group = group}, "set link group");
}

NSNET_DECL void Link::set_alias(const std::string& alias) {
    validate_link_alias(alias, "set link alias", name_);
    change({.alias = alias}, "set link alias");
}

NSNET_DECL void Link::set_master(const Link& master) {
    if (!(master.netns_ == netns_))
        invalid_argument("set link master", name_,
                         "master '" + master.name_ + "' is in another network namespace");
    change({.master = master.index_}, "set link master");
}

NSNET_DECL void Link::set_nomaster() {
    change({.master = 0}, "set link nomaster");
}

NSNET_DECL void Link::set_netns(const NetnsRef& target) {
    int fd = target.fd();
    change({.netns_fd = fd}, "move link to namespace " + target.display_name());
    netns_ = target;
    // The ifindex is kept when free in the target, but not guaranteed: look it up again.
    index_ = get(netns_, name_).index_;
}

NSNET_DECL void Link::remove() {
    run("delete link", rtnl::link_del(index_));
    index_ = 0;
}

NSNET_DECL void Link::add_address(const Prefix& prefix, const AddressOptions& o) {
    run(o.replace ? "replace address " + prefix.to_string() : "add address " + prefix.to_string(),
        rtnl::address_new(address_spec(prefix, o), o.replace));
}

NSNET_DECL void Link::del_address(const Prefix& prefix) {
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

NSNET_DECL void Link::set_txqlen(std::uint32_t txqlen) {
    change({.txqlen = txqlen}, "set txqueuelen " + std::to_string(txqlen));
}

NSNET_DECL void Link::set_promisc(bool on) {
    change({.promisc = on}, on ? "set promisc on" : "set promisc off");
}

NSNET_DECL void Link::run(const std::string& operation, nl::MessageBuilder msg) const {
    if (!valid()) throw Error(ENODEV, operation, name_, {}, "link handle is empty or was removed");
    netns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, name_); });
}

NSNET_DECL void Link::change(rtnl::LinkChange c, const std::string& operation) {
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

NSNET_DECL OwnedLink& OwnedLink::operator=(OwnedLink&& o) noexcept {
    if (this != &o) {
        destroy();
        Link::operator=(std::move(o));
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL OwnedLink::~OwnedLink() {
    destroy();
}

NSNET_DECL Link OwnedLink::release() noexcept {
    owned_ = false;
    return Link(*this);
}

NSNET_DECL void OwnedLink::remove() {
    if (!valid()) return;
    try {
        Link::remove();
    } catch (const Error& e) {
        if (e.errnum() != ENODEV && e.errnum() != ENOENT) throw;
        index_ = 0;
    }
    owned_ = false;
}

NSNET_DECL void OwnedLink::destroy() noexcept {
    if (!owned_) return;
    try {
        remove();
    } catch (...) {
        // Destructors never throw. A link we cannot delete is reported nowhere; callers that
        // care call remove() themselves.
    }
    owned_ = false;
}

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
