// nsnet/impl/link.ipp — the function bodies of <nsnet/link.hpp>.
//
// Included at the end of nsnet/link.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL void validate_link_mac(const MacAddress& mac, const std::string& operation, const std::string& object) {
    if (mac.is_zero())
        invalid_argument(operation, object, "MAC address " + mac.to_string() + " is all zeros, not an interface address");
    if (mac.is_multicast())
        invalid_argument(operation, object,
                         "MAC address " + mac.to_string() + " is a multicast address (odd first byte), not an interface address");
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Link::get(const NetnsRef& netns, std::string_view name) {
    validate_interface_name(name, "find link");
    auto info = query(netns, rtnl::link_get(name), std::string(name));
    return Link(netns, info.index, info.name);
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Link::get(const NetnsRef& netns, int index) {
    auto info = query(netns, rtnl::link_get(index), "#" + std::to_string(index));
    return Link(netns, info.index, info.name);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Link::find(const NetnsRef& netns, std::string_view name) {
    validate_interface_name(name, "find link");
    auto info = query_optional(netns, rtnl::link_get(name), std::string(name));
    if (!info) return std::nullopt;
    return Link(netns, info->index, info->name);
}

namespace detail {
inline constexpr std::string_view link_owner_prefix = "nsnet:owner=";
NSNET_LAZY_DEFINITION NSNET_DECL void check_link_owner(std::string_view owner, const std::string& field, const std::string& operation,
                                 const std::string& object) {
    if (owner.empty() || owner.size() > 200)
        invalid_argument(operation, object, field + " '" + std::string(owner) + "' must be 1..200 bytes");
    for (char c : owner)
        if (c <= ' ' || c > '~')
            invalid_argument(operation, object, field + " '" + std::string(owner) + "' holds a space or a non-printable byte");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string link_owner_alias(std::string_view owner, const char* operation) {
    check_link_owner(owner, "owner", operation, std::string(owner));
    return std::string(link_owner_prefix) + std::string(owner);
}

NSNET_LAZY_DEFINITION NSNET_DECL void tag_new_link(const Link& link, std::string_view owner, const std::string& operation) {
    if (owner.empty()) return;
    try {
        link.set_owner(owner);
    } catch (const Error& e) {
        // Nothing left behind: the link is removed again, and the error says what happened.
        std::string what = "the link was created, but writing its owner tag '" + std::string(owner) + "' failed (" +
                           std::string(e.what()) + ")";
        try {
            link.remove();
            what += "; the link was removed again";
        } catch (const Error& r) {
            what += "; removing the link failed too (" + std::string(r.what()) + ")";
        }
        throw Error(e.errnum(), operation, link.name(), e.kernel_message(), what);
    }
}
}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_owner(std::string_view owner) const {
    std::string alias = detail::link_owner_alias(owner, "set link owner");
    run("set link owner " + std::string(owner), rtnl::link_set_alias(index_, alias));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::string> Link::owner_of(const LinkInfo& info) {
    if (info.alias.rfind(detail::link_owner_prefix, 0) != 0) return std::nullopt;
    return info.alias.substr(detail::link_owner_prefix.size());
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<Link> Link::list_owned(const NetnsRef& netns, std::string_view owner) {
    (void)detail::link_owner_alias(owner, "list links of owner");
    std::vector<Link> out{};
    for (const LinkInfo& l : list(netns))
        if (auto o = owner_of(l); o && *o == owner) out.emplace_back(netns, l.index, l.name);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Link::remove_owned(const NetnsRef& netns, std::string_view owner) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<LinkInfo> Link::list(const NetnsRef& netns) {
    return netns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::link_dump();
        return nl::dump_collect(s, m, "list links", rtnl::decode_link);
    });
}

NSNET_LAZY_DEFINITION NSNET_DECL LinkInfo Link::info() const {
    return query(netns_, rtnl::link_get(index_), name_);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::up() const {
    change({.up = true}, "set link up");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::down() const {
    change({.up = false}, "set link down");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::rename(const std::string& new_name) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_mtu(std::uint32_t mtu) const {
    change({.mtu = mtu}, "set link mtu " + std::to_string(mtu));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_mac(const MacAddress& mac) const {
    validate_link_mac(mac, "set link address", name_);
    change({.mac = mac}, "set link address " + mac.to_string());
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_group(std::uint32_t group) const {
    change({.group = group}, "set link group");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_alias(const std::string& alias) const {
    validate_link_alias(alias, "set link alias", name_);
    change({.alias = alias}, "set link alias");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_master(const Link& master) const {
    if (!(master.netns_ == netns_))
        invalid_argument("set link master", name_,
                         "master '" + master.name_ + "' is in another network namespace");
    change({.master = master.index_}, "set link master");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_nomaster() const {
    change({.master = 0}, "set link nomaster");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_netns(const NetnsRef& target) {
    int fd = target.fd();
    change({.netns_fd = fd}, "move link to namespace " + target.display_name());
    netns_ = target;
    // The ifindex is kept when free in the target, but not guaranteed: look it up again.
    index_ = get(netns_, name_).index_;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::remove() const {
    if (!valid()) return;
    try {
        run("delete link", rtnl::link_del(index_));
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;  // already gone: removed
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Link::remove(const NetnsRef& netns, std::string_view name) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void Link::add_address(const PrefixArg& arg, const AddressOptions& o) const {
    const Prefix prefix = arg.resolve("address", o.replace ? "replace address" : "add address", name_);
    run(o.replace ? "replace address " + prefix.to_string() : "add address " + prefix.to_string(),
        rtnl::address_new(address_spec(prefix, o), o.replace));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::remove_address(const PrefixArg& arg) const {
    const Prefix prefix = arg.resolve("address", "delete address", name_);
    run("delete address " + prefix.to_string(), rtnl::address_del(address_spec(prefix, {})));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<AddressInfo> Link::addresses() const {
    auto all = netns_.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::address_dump();
        return nl::dump_collect(s, m, "list addresses", rtnl::decode_address);
    });
    std::erase_if(all, [&](const AddressInfo& a) { return a.index != index_; });
    return all;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::wait_dad(std::chrono::milliseconds timeout) const {
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

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_txqlen(std::uint32_t txqlen) const {
    change({.txqlen = txqlen}, "set txqueuelen " + std::to_string(txqlen));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::set_promisc(bool on) const {
    change({.promisc = on}, on ? "set promisc on" : "set promisc off");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::run(const std::string& operation, nl::MessageBuilder msg) const {
    if (!valid()) throw Error(ENODEV, operation, name_, {}, "link handle is empty or was removed");
    netns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, name_); });
}

NSNET_LAZY_DEFINITION NSNET_DECL void Link::change(rtnl::LinkChange c, const std::string& operation) const {
    c.index = index_;
    run(operation, rtnl::link_set(c));
}

NSNET_LAZY_DEFINITION NSNET_DECL rtnl::AddressSpec Link::address_spec(const Prefix& prefix, const AddressOptions& o) const {
    rtnl::AddressSpec s{.index = index_, .prefix = prefix, .peer = {}, .broadcast = {}, .scope = o.scope, .label = o.label};
    if (!o.peer.empty()) s.peer = o.peer.resolve("AddressOptions.peer", "add address " + prefix.to_string(), name_);
    if (o.broadcast && prefix.address().is_v4() && prefix.length() <= 30) s.broadcast = prefix.broadcast();
    if (o.nodad && !prefix.address().is_v4()) s.flags |= IFA_F_NODAD;
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<LinkInfo> Link::query_optional(const NetnsRef& netns, nl::MessageBuilder msg,
                                                        const std::string& shown, std::string* kernel_message) {
    return netns.with_rtnl([&](nl::Socket& s) -> std::optional<LinkInfo> {
        std::optional<LinkInfo> found{};
        nl::AckInfo ack = nl::request_ack(s, msg, [&](const nl::MessageView& m) {
            if (auto l = rtnl::decode_link(m)) found = std::move(l);
        });
        if (ack.error == ENODEV) {
            if (kernel_message) *kernel_message = std::move(ack.kernel_message);
            return std::nullopt;
        }
        if (ack.error) throw ack.to_error("find link", shown);
        return found;  // an ack without a link (never seen) counts as none
    });
}

NSNET_LAZY_DEFINITION NSNET_DECL LinkInfo Link::query(const NetnsRef& netns, nl::MessageBuilder msg, const std::string& shown) {
    std::string kernel_message;
    auto found = query_optional(netns, std::move(msg), shown, &kernel_message);
    if (!found) throw Error(ENODEV, "find link", shown, kernel_message, "no such interface in namespace " + netns.display_name());
    return *found;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::pair<int, std::string> DeviceArg::resolve(const NetnsRef& ns, const std::string& operation,
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string DeviceArg::name_in(const NetnsRef& ns, std::string_view field, const std::string& operation,
                                         const std::string& object) const {
    if (!set_) return {};
    const std::string f(field);
    if (!link_ && !name_.empty()) {
        try {
            validate_interface_name(name_, operation);
        } catch (const Error& e) {
            invalid_argument(operation, object, f + ": " + e.detail());
        }
        return name_;  // by name: it need not exist yet
    }
    if (link_) {
        if (!link_->valid())
            invalid_argument(operation, object, f + " '" + link_->name() + "' is an empty or removed link handle");
        if (!(link_->netns() == ns))
            invalid_argument(operation, object,
                             f + " '" + link_->name() + "' is in namespace " + link_->netns().display_name() + ", not in " +
                                 ns.display_name());
    } else if (index_ <= 0) {
        invalid_argument(operation, object, f + ": device index " + std::to_string(index_) + " is not an ifindex");
    }
    const int index = link_ ? link_->index() : index_;
    try {
        return Link::get(ns, index).name();  // its name now (a handle may predate a rename)
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;
        throw Error(ENODEV, operation, object, e.kernel_message(),
                    f + ": device " + to_string() + " does not exist in namespace " + ns.display_name());
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string DeviceArg::to_string() const {
    if (!set_) return {};
    if (link_) return link_->name().empty() ? "#" + std::to_string(link_->index()) : link_->name() + " (#" + std::to_string(link_->index()) + ")";
    if (!name_.empty()) return name_;
    return "#" + std::to_string(index_);
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL void LinkOwnerBase::remove() {
    if (!owned()) return;
    Owner::remove();
    forget();
}

NSNET_LAZY_DEFINITION NSNET_DECL void LinkOwnerBase::forget() {
    persist();
    mutable_handle() = Link(link().netns(), 0, link().name());  // gone: valid() is false, the name stays for messages
}

}  // namespace detail

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::string requested_kind(const nl::MessageBuilder& msg) {
    try {
        nl::MessageView m(msg.bytes());
        if (auto info = m.attrs<ifinfomsg>().find(IFLA_LINKINFO))
            if (auto kind = info->nested().find(IFLA_INFO_KIND)) return std::string(kind->str());
    } catch (const Error&) {
    }
    return {};
}

NSNET_LAZY_DEFINITION NSNET_DECL Error clean_up_unknown_create(const Error& e, const NetnsRef& ns, const std::string& name, const std::string& kind) {
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
    Error out = with_detail(e, note);
    out.set_outcome_unknown();
    return out;
}

}  // namespace detail

}  // namespace nsnet
