// nsnet/ipvlan.hpp — Ipvlan: virtual interfaces sharing their parent's MAC address, told apart by IP.
//
// Layer: typed objects. Ipvlan::create(ns, options) is `ip link add NAME link PARENT netns NS type
// ipvlan mode l2|l3|l3s [bridge|private|vepa]`: the new link lives in `ns`; the parent is a Link in
// its own namespace, where the request is sent (IFLA_NET_NS_FD places the new link in `ns` by the
// same request). Many kernels (this project's development machines among them) are built without
// ipvlan: creation then fails with EOPNOTSUPP, and the error says so (is_unknown_link_kind()
// recognises it). The owner deletes the link unless persisted. Look-ups and adoption follow
// link_kind.hpp: Ipvlan::get/find return a plain Link checked to be an ipvlan; after adopt,
// parent() is read from the kernel.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

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

// Options of `ip link add NAME link PARENT [mtu N] type ipvlan mode MODE [FLAG]`.
struct IpvlanOptions {
    std::string name{};
    Link parent{};                          // link PARENT (required), a handle in its own namespace
    IpvlanMode mode = IpvlanMode::L2;       // mode l2|l3|l3s
    IpvlanFlag flag = IpvlanFlag::Bridge;   // bridge|private|vepa
    std::optional<std::uint32_t> mtu{};     // at most the parent's
};

// The ipvlan settings of a link as the kernel reports them; nullopt when it is not an ipvlan.
inline std::optional<IpvlanInfo> ipvlan_info(const LinkInfo& link) { return rtnl::decode_ipvlan(link); }

namespace detail {
inline constexpr LinkKind ipvlan_kind{"ipvlan", [](const LinkInfo& l) { return l.kind == "ipvlan"; }};
}  // namespace detail

class Ipvlan : public detail::LinkOwnerBase {
public:
    Ipvlan() = default;

    // ip -n PARENT_NS link add NAME link PARENT netns NS type ipvlan mode MODE FLAG: the new link
    // lives in `ns` (which may be the parent's namespace or another).
    static Ipvlan create(const NetnsRef& ns, const IpvlanOptions& o);

    // A plain handle, checked to be an ipvlan (link_kind.hpp).
    static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing ipvlan (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted; parent() is read from the kernel.
    static Ipvlan adopt(const NetnsRef& ns, std::string_view name);
    static Ipvlan adopt(const Link& link);

    // The parent link, a handle in the parent's namespace: as given at creation, or after adopt()
    // as the kernel reports it (empty only when the parent's namespace is neither the caller's nor
    // a named one).
    const Link& parent() const noexcept { return parent_; }

    // The ipvlan's settings as the kernel holds them now.
    IpvlanInfo settings() const;

    // The settings in `ip -d link show`'s words: "ipvlan mode l2 bridge".
    std::string describe() const;

    // ip link set dev NAME type ipvlan mode MODE FLAG
    void set_mode(IpvlanMode mode, IpvlanFlag flag = IpvlanFlag::Bridge);

private:
    explicit Ipvlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    static std::string explain(const Error& e, const Link& parent);

    Link parent_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL Ipvlan Ipvlan::create(const NetnsRef& ns, const IpvlanOptions& o) {
    validate_interface_name(o.name, "create ipvlan");
    detail::StackedCreate sc = detail::stacked_create(ns, o.parent, {.name = o.name, .mtu = o.mtu}, "IpvlanOptions",
                                                      "create ipvlan");
    auto msg = rtnl::ipvlan_new(sc.link, {.mode = o.mode, .flag = o.flag});
    Link made = detail::create_link(sc.home, msg, "create ipvlan", o.name, ns, [&](const Error& e) { return explain(e, o.parent); });
    Ipvlan v{OwnedLink(std::move(made))};
    v.parent_ = o.parent;
    return v;
}

NSNET_DECL Link Ipvlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::ipvlan_kind);
}

NSNET_DECL std::optional<Link> Ipvlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::ipvlan_kind);
}

NSNET_DECL Ipvlan Ipvlan::adopt(const NetnsRef& ns, std::string_view name) {
    return adopt(get(ns, name));
}

NSNET_DECL Ipvlan Ipvlan::adopt(const Link& link) {
    LinkInfo info = detail::require_kind(link, detail::ipvlan_kind, "adopt ipvlan");
    Ipvlan v{OwnedLink(link)};
    v.parent_ = detail::parent_of(link, info);
    return v;
}

NSNET_DECL IpvlanInfo Ipvlan::settings() const {
    auto v = ipvlan_info(info());
    if (!v) throw Error(EINVAL, "read ipvlan settings", name(), {}, "the link is not an ipvlan");
    return *v;
}

NSNET_DECL std::string Ipvlan::describe() const {
    return "ipvlan " + settings().to_string();
}

NSNET_DECL void Ipvlan::set_mode(IpvlanMode mode, IpvlanFlag flag) {
    run("set ipvlan mode", rtnl::ipvlan_change(index(), {.mode = mode, .flag = flag}));
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
