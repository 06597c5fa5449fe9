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
    std::string owner{};                    // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned
};

// The ipvlan settings of a link as the kernel reports them; nullopt when it is not an ipvlan.
NSNET_LAZY inline std::optional<IpvlanInfo> ipvlan_info(const LinkInfo& link) { return rtnl::decode_ipvlan(link); }

namespace detail {
inline constexpr LinkKind ipvlan_kind{"ipvlan", [](const LinkInfo& l) { return l.kind == "ipvlan"; }};
}  // namespace detail

class Ipvlan : public detail::LinkOwnerBase {
public:
    Ipvlan() = default;

    // ip -n PARENT_NS link add NAME link PARENT netns NS type ipvlan mode MODE FLAG: the new link
    // lives in `ns` (which may be the parent's namespace or another).
    NSNET_LAZY static Ipvlan create(const NetnsRef& ns, const IpvlanOptions& o);

    // A plain handle, checked to be an ipvlan (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing ipvlan (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted; parent() is read from the kernel.
    NSNET_LAZY static Ipvlan adopt(const NetnsRef& ns, std::string_view name);
    NSNET_LAZY static Ipvlan adopt(const Link& link);

    // The parent link, a handle in the parent's namespace: as given at creation, or after adopt()
    // as the kernel reports it (empty only when the parent's namespace is neither the caller's nor
    // a named one).
    const Link& parent() const noexcept { return parent_; }

    // The ipvlan's settings as the kernel holds them now.
    NSNET_LAZY IpvlanInfo settings() const;

    // The settings in `ip -d link show`'s words: "ipvlan mode l2 bridge".
    NSNET_LAZY std::string describe() const;

    // ip link set dev NAME type ipvlan mode MODE FLAG
    NSNET_LAZY void set_mode(IpvlanMode mode, IpvlanFlag flag = IpvlanFlag::Bridge);

private:
    NSNET_LAZY explicit Ipvlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    NSNET_LAZY static std::string explain(const Error& e, const Link& parent);

    Link parent_{};
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/ipvlan.ipp"
#endif
