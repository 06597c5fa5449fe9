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
};

// The macvlan settings of a link as the kernel reports them; nullopt when it is not a macvlan/macvtap.
inline std::optional<MacvlanInfo> macvlan_info(const LinkInfo& link) { return rtnl::decode_macvlan(link); }

namespace detail {
inline constexpr LinkKind macvlan_kind{"macvlan", [](const LinkInfo& l) { return l.kind == "macvlan" || l.kind == "macvtap"; }};
}  // namespace detail

class Macvlan : public detail::LinkOwnerBase {
public:
    Macvlan() = default;

    // ip -n PARENT_NS link add NAME link PARENT netns NS type macvlan|macvtap [mode MODE] ...: the
    // new link lives in `ns` (which may be the parent's namespace or another).
    static Macvlan create(const NetnsRef& ns, const MacvlanOptions& o);

    // A plain handle, checked to be a macvlan or macvtap (link_kind.hpp).
    static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing macvlan/macvtap (checked: InvalidArgument naming the link's real
    // kind otherwise), e.g. one a previous run persisted; parent() is read from the kernel.
    static Macvlan adopt(const NetnsRef& ns, std::string_view name);
    static Macvlan adopt(const Link& link);

    // The parent link, a handle in the parent's namespace: as given at creation, or after adopt()
    // as the kernel reports it (empty only when the parent's namespace is neither the caller's nor
    // a named one).
    const Link& parent() const noexcept { return parent_; }

    // The macvlan's settings as the kernel holds them now (the macvlan part of ip -d link show).
    MacvlanInfo settings() const;
    MacvlanMode mode() const { return settings().mode; }

    // The settings in `ip -d link show`'s words: "macvlan mode bridge" (macvtap: "macvtap mode ...").
    std::string describe() const;

    // ip link set dev NAME type macvlan mode MODE. The kernel refuses to switch into or out of
    // passthru (EINVAL).
    void set_mode(MacvlanMode mode);

private:
    explicit Macvlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    // Why the kernel refused: passthru exclusivity is the usual reason for EINVAL; EBUSY means the
    // parent's receive hook belongs to another upper device.
    static std::string explain(const Error& e, const Link& parent, MacvlanMode mode);

    Link parent_{};
    bool tap_ = false;
};

#if NSNET_DEFINITIONS

NSNET_DECL Macvlan Macvlan::create(const NetnsRef& ns, const MacvlanOptions& o) {
    const char* op = o.tap ? "create macvtap" : "create macvlan";
    validate_interface_name(o.name, op);
    bool source = o.mode && *o.mode == MacvlanMode::Source;
    if (!o.source_macs.empty() && !source)
        invalid_argument(op, o.name, "MacvlanOptions.source_macs: only used in mode source");
    if (o.nopromisc && !(o.mode && *o.mode == MacvlanMode::Passthru))
        invalid_argument(op, o.name, "MacvlanOptions.nopromisc: only used in mode passthru");
    if (o.mac) validate_link_mac(*o.mac, op, o.name);
    detail::StackedCreate sc = detail::stacked_create(ns, o.parent, {.name = o.name, .mac = o.mac, .mtu = o.mtu},
                                                      "MacvlanOptions", op);
    rtnl::MacvlanConfig cfg{.mode = o.mode, .nopromisc = o.nopromisc, .source_macs = o.source_macs};
    auto msg = rtnl::macvlan_new(sc.link, cfg, o.tap);
    Link made = detail::create_link(sc.home, msg, op, o.name, ns, [&](const Error& e) {
        return explain(e, o.parent, o.mode.value_or(MacvlanMode::Vepa));
    });
    Macvlan m{OwnedLink(std::move(made))};
    m.parent_ = o.parent;
    m.tap_ = o.tap;
    return m;
}

NSNET_DECL Link Macvlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::macvlan_kind);
}

NSNET_DECL std::optional<Link> Macvlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::macvlan_kind);
}

NSNET_DECL Macvlan Macvlan::adopt(const NetnsRef& ns, std::string_view name) {
    return adopt(get(ns, name));
}

NSNET_DECL Macvlan Macvlan::adopt(const Link& link) {
    LinkInfo info = detail::require_kind(link, detail::macvlan_kind, "adopt macvlan");
    Macvlan v{OwnedLink(link)};
    v.parent_ = detail::parent_of(link, info);
    v.tap_ = info.kind == "macvtap";
    return v;
}

NSNET_DECL MacvlanInfo Macvlan::settings() const {
    auto m = macvlan_info(info());
    if (!m) throw Error(EINVAL, "read macvlan settings", name(), {}, "the link is not a macvlan");
    return *m;
}

NSNET_DECL std::string Macvlan::describe() const {
    return std::string(tap_ ? "macvtap " : "macvlan ") + settings().to_string();
}

NSNET_DECL void Macvlan::set_mode(MacvlanMode mode) {
    try {
        run("set macvlan mode", rtnl::macvlan_change(index(), {.mode = mode}, tap_));
    } catch (const Error& e) {
        if (e.errnum() == EINVAL && (mode == MacvlanMode::Passthru || settings().mode == MacvlanMode::Passthru))
            throw detail::with_detail(e, "a macvlan cannot be switched into or out of passthru mode; delete and create it");
        throw;
    }
}

NSNET_DECL std::string Macvlan::explain(const Error& e, const Link& parent, MacvlanMode mode) {
    if (is_unknown_link_kind(e)) return "this kernel has no macvlan support (CONFIG_MACVLAN / module macvlan)";
    if (auto gone = detail::parent_gone(e, parent); !gone.empty()) return gone;
    if (e.errnum() == EBUSY)
        return "parent '" + parent.name() +
               "' is already claimed by another upper device (a bridge or bond port, or a parent of ipvlans)";
    if (e.errnum() != EINVAL) return {};
    std::vector<std::pair<std::string, MacvlanMode>> siblings{};
    try {
        for (const LinkInfo& l : Link::list(parent.netns()))
            if (l.parent == parent.index() && !l.link_netnsid)
                if (auto m = macvlan_info(l)) siblings.emplace_back(l.name, m->mode);
    } catch (...) {
    }
    const std::string p = "'" + parent.name() + "'";
    for (const auto& [name, m] : siblings)
        if (m == MacvlanMode::Passthru)
            return "parent " + p + " already has a passthru macvlan ('" + name +
                   "'): passthru takes the parent for itself, no other macvlan can share it";
    if (mode == MacvlanMode::Passthru && !siblings.empty())
        return "passthru needs parent " + p + " for itself, but it already has macvlan '" + siblings.front().first + "'";
    if (mode == MacvlanMode::Passthru)
        return "passthru needs parent " + p +
               " for itself: it must carry no other macvlan (one moved to another namespace still counts)";
    return "likely cause: parent " + p +
           " already has a passthru macvlan, perhaps moved to another namespace (passthru takes the parent for itself)";
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
