// nsnet/vlan.hpp — Vlan: an 802.1Q / 802.1ad tagged interface on a parent link.
//
// Layer: typed objects. Vlan::create(ns, options) is `ip link add NAME link PARENT netns NS type
// vlan [protocol P] id ID`: the new link lives in `ns`; the parent is a Link in its own namespace,
// where the request is sent (IFLA_NET_NS_FD places the new link in `ns` by the same request). An id
// outside 1..4094 is rejected with an InvalidArgument naming the field before anything is sent.
// Kernels without 8021q (this project's development machines) answer EOPNOTSUPP; the error says so
// (is_unknown_link_kind() recognises it). The owner deletes the link unless persisted. Look-ups and
// adoption follow link_kind.hpp: Vlan::get/find return a plain Link checked to be a vlan; after
// adopt, parent() is read from the kernel.
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
#include "nsnet/rtnl/vlan.hpp"

namespace nsnet {

using VlanProtocol = rtnl::VlanProtocol;
using VlanInfo = rtnl::VlanInfo;

// Options of `ip link add NAME link PARENT [address MAC] [mtu N] type vlan [protocol P] id ID`.
struct VlanOptions {
    std::string name{};                       // e.g. "veth-ns1.100"
    Link parent{};                            // link PARENT (required), a handle in its own namespace
    int id = 0;                               // id 1..4094 (required)
    std::optional<VlanProtocol> protocol{};   // unset: not sent (the kernel's default, 802.1Q)
    std::optional<MacAddress> mac{};          // unset: the parent's
    std::optional<std::uint32_t> mtu{};       // at most the parent's
    std::string owner{};                      // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned
};

// The vlan settings of a link as the kernel reports them; nullopt when it is not a vlan.
NSNET_LAZY inline std::optional<VlanInfo> vlan_info(const LinkInfo& link) { return rtnl::decode_vlan(link); }

namespace detail {
inline constexpr LinkKind vlan_kind{"vlan", [](const LinkInfo& l) { return l.kind == "vlan"; }};
}  // namespace detail

class Vlan : public detail::LinkOwnerBase {
public:
    Vlan() = default;

    // ip -n PARENT_NS link add NAME link PARENT netns NS type vlan [protocol P] id ID: the new link
    // lives in `ns` (which may be the parent's namespace or another).
    NSNET_LAZY static Vlan create(const NetnsRef& ns, const VlanOptions& o);

    // A plain handle, checked to be a vlan (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing vlan (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted; parent() is read from the kernel.
    NSNET_LAZY static Vlan adopt(const NetnsRef& ns, std::string_view name);
    NSNET_LAZY static Vlan adopt(const Link& link);

    // The parent link, a handle in the parent's namespace: as given at creation, or after adopt()
    // as the kernel reports it (empty only when the parent's namespace is neither the caller's nor
    // a named one).
    const Link& parent() const noexcept { return parent_; }

    // The vlan's settings as the kernel holds them now (the vlan part of ip -d link show).
    NSNET_LAZY VlanInfo settings() const;

    // The settings in `ip -d link show`'s words: "vlan protocol 802.1Q id 100 <REORDER_HDR>".
    NSNET_LAZY std::string describe() const;

private:
    NSNET_LAZY explicit Vlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    NSNET_LAZY static std::string explain(const Error& e, const Link& parent, const rtnl::VlanConfig& c);

    Link parent_{};
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/vlan.ipp"
#endif
