// nsnet/ipvlan.hpp — Ipvlan: virtual interfaces sharing their parent's MAC address, told apart by IP.
//
// Layer: typed objects. Ipvlan::create is `ip link add NAME link PARENT type ipvlan mode l2|l3|l3s
// [bridge|private|vepa]`, sent in the parent's namespace; with `.netns` the new link is placed in
// another namespace by the same request. Many kernels (this project's development machines among
// them) are built without ipvlan: creation then fails with EOPNOTSUPP, and the error says so
// (is_unknown_link_kind() recognises it). The destructor deletes the link unless persisted.
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
#include "nsnet/rtnl/ipvlan.hpp"

namespace nsnet {

using IpvlanMode = rtnl::IpvlanMode;
using IpvlanFlag = rtnl::IpvlanFlag;
using IpvlanInfo = rtnl::IpvlanInfo;

// Options of `ip link add NAME link PARENT [netns NS] [mtu N] type ipvlan mode MODE [FLAG]`.
struct IpvlanOptions {
    std::string name{};
    Link parent{};                          // link PARENT (required); the request is sent in its namespace
    IpvlanMode mode = IpvlanMode::L2;       // mode l2|l3|l3s
    IpvlanFlag flag = IpvlanFlag::Bridge;   // bridge|private|vepa
    NetnsRef netns{};                       // netns NS: place it there at once; empty: the parent's
    std::optional<std::uint32_t> mtu{};     // at most the parent's
};

// The ipvlan settings of a link as the kernel reports them; nullopt when it is not an ipvlan.
inline std::optional<IpvlanInfo> ipvlan_info(const LinkInfo& link) { return rtnl::decode_ipvlan(link); }

class Ipvlan : public OwnedLink {
public:
    Ipvlan() = default;

    // ip [-n PARENT_NS] link add NAME link PARENT [netns NS] type ipvlan mode MODE FLAG
    static Ipvlan create(const IpvlanOptions& o);

    // Takes ownership of an existing ipvlan (checked), e.g. one a previous run persisted.
    static Ipvlan adopt(Link link);

    // The parent link as given at creation (empty after adopt()).
    const Link& parent() const noexcept { return parent_; }

    // The ipvlan's settings as the kernel holds them now.
    IpvlanInfo settings() const;

    // The settings in `ip -d link show`'s words: "ipvlan mode l2 bridge".
    std::string describe() const;

    // ip link set dev NAME type ipvlan mode MODE FLAG
    void set_mode(IpvlanMode mode, IpvlanFlag flag = IpvlanFlag::Bridge);

private:
    explicit Ipvlan(OwnedLink link) : OwnedLink(std::move(link)) {}

    static std::string explain(const Error& e, const Link& parent);

    Link parent_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL Ipvlan Ipvlan::create(const IpvlanOptions& o) {
    validate_interface_name(o.name, "create ipvlan");
    if (!o.parent.valid()) invalid_argument("create ipvlan", o.name, "no parent link given (.parent)");
    const NetnsRef& home = o.parent.netns();
    if (o.mtu) {
        LinkInfo p = o.parent.info();
        if (*o.mtu > p.mtu)
            invalid_argument("create ipvlan", o.name, "mtu " + std::to_string(*o.mtu) + " exceeds the mtu of parent '" +
                                                          p.name + "' (" + std::to_string(p.mtu) + ")");
    }
    rtnl::LinkCreate c{.name = o.name, .parent = o.parent.index(), .mtu = o.mtu};
    NetnsRef target = home;
    if (o.netns.valid() && !(o.netns == home)) {
        c.netns_fd = o.netns.fd();
        target = o.netns;
    }
    auto msg = rtnl::ipvlan_new(c, {.mode = o.mode, .flag = o.flag});
    Link made = detail::create_link(home, msg, "create ipvlan", o.name, target, [&](const Error& e) { return explain(e, o.parent); });
    Ipvlan v{OwnedLink(std::move(made))};
    v.parent_ = o.parent;
    return v;
}

NSNET_DECL Ipvlan Ipvlan::adopt(Link link) {
    if (!ipvlan_info(link.info())) invalid_argument("adopt ipvlan", link.name(), "link '" + link.name() + "' is not an ipvlan");
    return Ipvlan{OwnedLink(std::move(link))};
}

NSNET_DECL IpvlanInfo Ipvlan::settings() const {
    auto v = ipvlan_info(info());
    if (!v) throw Error(EINVAL, "read ipvlan settings", name_, {}, "the link is not an ipvlan");
    return *v;
}

NSNET_DECL std::string Ipvlan::describe() const {
    return "ipvlan " + settings().to_string();
}

NSNET_DECL void Ipvlan::set_mode(IpvlanMode mode, IpvlanFlag flag) {
    run("set ipvlan mode", rtnl::ipvlan_change(index_, {.mode = mode, .flag = flag}));
}

NSNET_DECL std::string Ipvlan::explain(const Error& e, const Link& parent) {
    if (is_unknown_link_kind(e)) return "this kernel has no ipvlan support (CONFIG_IPVLAN / module ipvlan)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EBUSY)
        return "parent '" + parent.name() + "' cannot carry ipvlans (it may already carry macvlans, or be a bridge port)";
    return {};
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
