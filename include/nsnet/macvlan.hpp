// nsnet/macvlan.hpp — Macvlan: virtual interfaces with their own MAC addresses on one parent link.
//
// Layer: typed objects. Macvlan::create(ns, options) is `ip link add NAME link PARENT netns NS
// type macvlan mode MODE` (or macvtap): the new link lives in `ns`; the parent is a Link in its own
// namespace. The request goes to the parent's namespace, and when `ns` is another one the same
// request places the new link there (IFLA_NET_NS_FD), so it never appears in the parent's. The
// kernel's settings are read back with settings() / macvlan_info(). A refusal because of passthru
// (the parent already has a passthru macvlan, or passthru asked for a parent that has macvlans) is
// explained in the error. The owner deletes the link unless persisted (and tolerates it being gone
// with its namespace or its parent). Look-ups and adoption follow link_kind.hpp: Macvlan::get/find
// return a plain Link checked to be a macvlan or macvtap; after adopt, parent() is read from the
// kernel.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/rtnl/macvlan.hpp"

namespace nsnet {

using MacvlanMode = rtnl::MacvlanMode;
using MacvlanInfo = rtnl::MacvlanInfo;

// Options of `ip link add NAME link PARENT [address MAC] [mtu N] type macvlan mode MODE`.
struct MacvlanOptions {
    std::string name{};
    Link parent{};                          // link PARENT (required), a handle in its own namespace
    std::optional<MacvlanMode> mode{};      // mode MODE; unset: the kernel's default, vepa
    std::optional<MacAddress> mac{};        // address MAC; unset: random (passthru: the parent's)
    std::optional<std::uint32_t> mtu{};     // at most the parent's
    bool nopromisc = false;                 // passthru only: do not put the parent in promiscuous mode
    std::vector<MacAddress> source_macs{};  // mode source only: `macaddr set MAC...`
    bool tap = false;                       // a macvtap (with a /dev/tapN character device) instead
    std::string owner{};                    // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned
};

// The macvlan settings of a link as the kernel reports them; nullopt when it is not a macvlan/macvtap.
NSNET_LAZY inline std::optional<MacvlanInfo> macvlan_info(const LinkInfo& link) { return rtnl::decode_macvlan(link); }

namespace detail {
inline constexpr LinkKind macvlan_kind{"macvlan", [](const LinkInfo& l) { return l.kind == "macvlan" || l.kind == "macvtap"; }};
}  // namespace detail

class Macvlan : public detail::LinkOwnerBase {
public:
    Macvlan() = default;

    // ip -n PARENT_NS link add NAME link PARENT netns NS type macvlan|macvtap [mode MODE] ...: the
    // new link lives in `ns` (which may be the parent's namespace or another).
    NSNET_LAZY static Macvlan create(const NetnsRef& ns, const MacvlanOptions& o);

    // A plain handle, checked to be a macvlan or macvtap (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing macvlan/macvtap (checked: InvalidArgument naming the link's real
    // kind otherwise), e.g. one a previous run persisted; parent() is read from the kernel.
    NSNET_LAZY static Macvlan adopt(const NetnsRef& ns, std::string_view name);
    NSNET_LAZY static Macvlan adopt(const Link& link);

    // The parent link, a handle in the parent's namespace: as given at creation, or after adopt()
    // as the kernel reports it (empty only when the parent's namespace is neither the caller's nor
    // a named one).
    const Link& parent() const noexcept { return parent_; }

    // The macvlan's settings as the kernel holds them now (the macvlan part of ip -d link show).
    NSNET_LAZY MacvlanInfo settings() const;
    NSNET_LAZY MacvlanMode mode() const { return settings().mode; }

    // The settings in `ip -d link show`'s words: "macvlan mode bridge" (macvtap: "macvtap mode ...").
    NSNET_LAZY std::string describe() const;

    // ip link set dev NAME type macvlan mode MODE. The kernel refuses to switch into or out of
    // passthru (EINVAL).
    NSNET_LAZY void set_mode(MacvlanMode mode);

private:
    NSNET_LAZY explicit Macvlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    // Why the kernel refused: passthru exclusivity is the usual reason for EINVAL; EBUSY means the
    // parent's receive hook belongs to another upper device.
    NSNET_LAZY static std::string explain(const Error& e, const Link& parent, MacvlanMode mode);

    Link parent_{};
    bool tap_ = false;
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/macvlan.ipp"
#endif
