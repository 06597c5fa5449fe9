// nsnet/vlan.hpp — Vlan: an 802.1Q / 802.1ad tagged interface on a parent link.
//
// Layer: typed objects. Vlan::create is `ip link add NAME link PARENT type vlan [protocol P] id ID`,
// sent in the parent's namespace; with `.netns` the new link is placed in another namespace by the
// same request. An id outside 1..4094 is rejected with an InvalidArgument naming it before
// anything is sent. Kernels without 8021q (this project's development machines) answer EOPNOTSUPP;
// the error says so (is_unknown_link_kind() recognises it). The destructor deletes the link
// unless persisted.
#pragma once

#include <cerrno>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/rtnl/vlan.hpp"

namespace nsnet {

using VlanProtocol = rtnl::VlanProtocol;
using VlanInfo = rtnl::VlanInfo;

// Options of `ip link add NAME link PARENT [netns NS] [address MAC] [mtu N] type vlan [protocol P] id ID`.
struct VlanOptions {
    std::string name{};                       // e.g. "veth-ns1.100"
    Link parent{};                            // link PARENT (required); the request is sent in its namespace
    int id = 0;                               // id 1..4094 (required)
    std::optional<VlanProtocol> protocol{};   // unset: not sent (the kernel's default, 802.1Q)
    NetnsRef netns{};                         // netns NS: place it there at once; empty: the parent's
    std::optional<MacAddress> mac{};          // unset: the parent's
    std::optional<std::uint32_t> mtu{};       // at most the parent's
};

// The vlan settings of a link as the kernel reports them; nullopt when it is not a vlan.
inline std::optional<VlanInfo> vlan_info(const LinkInfo& link) { return rtnl::decode_vlan(link); }

class Vlan : public OwnedLink {
public:
    Vlan() = default;

    // ip [-n PARENT_NS] link add NAME link PARENT [netns NS] type vlan [protocol P] id ID
    static Vlan create(const VlanOptions& o);

    // Takes ownership of an existing vlan (checked), e.g. one a previous run persisted.
    static Vlan adopt(Link link);

    // The parent link as given at creation (empty after adopt()).
    const Link& parent() const noexcept { return parent_; }

    // The vlan's settings as the kernel holds them now (the vlan part of ip -d link show).
    VlanInfo settings() const;

    // The settings in `ip -d link show`'s words: "vlan protocol 802.1Q id 100 <REORDER_HDR>".
    std::string describe() const;

private:
    explicit Vlan(OwnedLink link) : OwnedLink(std::move(link)) {}

    static std::string explain(const Error& e, const Link& parent, const rtnl::VlanConfig& c);

    Link parent_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL Vlan Vlan::create(const VlanOptions& o) {
    validate_interface_name(o.name, "create vlan");
    rtnl::VlanConfig cfg{.id = o.id, .protocol = o.protocol};
    rtnl::validate_vlan(cfg, "create vlan", o.name);
    if (!o.parent.valid()) invalid_argument("create vlan", o.name, "no parent link given (.parent)");
    const NetnsRef& home = o.parent.netns();
    if (o.mtu) {
        LinkInfo p = o.parent.info();
        if (*o.mtu > p.mtu)
            invalid_argument("create vlan", o.name, "mtu " + std::to_string(*o.mtu) + " exceeds the mtu of parent '" +
                                                        p.name + "' (" + std::to_string(p.mtu) + ")");
    }
    rtnl::LinkCreate c{.name = o.name, .parent = o.parent.index(), .mac = o.mac, .mtu = o.mtu};
    NetnsRef target = home;
    if (o.netns.valid() && !(o.netns == home)) {
        c.netns_fd = o.netns.fd();
        target = o.netns;
    }
    auto msg = rtnl::vlan_new(c, cfg);
    Link made = detail::create_link(home, msg, "create vlan", o.name, target, [&](const Error& e) {
        return explain(e, o.parent, cfg);
    });
    Vlan v{OwnedLink(std::move(made))};
    v.parent_ = o.parent;
    return v;
}

NSNET_DECL Vlan Vlan::adopt(Link link) {
    if (!vlan_info(link.info())) invalid_argument("adopt vlan", link.name(), "link '" + link.name() + "' is not a vlan");
    return Vlan{OwnedLink(std::move(link))};
}

NSNET_DECL VlanInfo Vlan::settings() const {
    auto v = vlan_info(info());
    if (!v) throw Error(EINVAL, "read vlan settings", name_, {}, "the link is not a vlan");
    return *v;
}

NSNET_DECL std::string Vlan::describe() const {
    return "vlan " + settings().to_string();
}

NSNET_DECL std::string Vlan::explain(const Error& e, const Link& parent, const rtnl::VlanConfig& c) {
    if (is_unknown_link_kind(e)) return "this kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q / module 8021q)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EEXIST)
        return "parent '" + parent.name() + "' already has a vlan with id " + std::to_string(c.id) + " (or the name is taken)";
    return {};
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
