// nsnet/vxlan.hpp — Vxlan: an Ethernet segment tunnelled over UDP/IP (`ip link add ... type vxlan`).
//
// Layer: typed objects. A Vxlan is the owner of a link created with one RTM_NEWLINK from
// designated initialisers; addresses are text or typed (AddressArg), the underlay device a name,
// ifindex or link of the same namespace (DeviceArg), durations std::chrono:
//
//   auto vx0 = nsnet::Vxlan::create(ns1, {.name = "vx0", .vni = 100, .local = "172.16.0.10",
//                                          .remote = "172.16.0.20", .device = "eth0",
//                                          .destination_port = 4789, .ageing = std::chrono::minutes(5)});
//
// Every value is checked before the kernel sees anything, and an error names the field and the
// value ("VxlanOptions.vni: 16777216 exceeds 2^24-1"). settings() reads back what the kernel holds
// (not what was asked); change() is `ip link set vx0 type vxlan ...`. Its forwarding database
// (remote VTEPs per MAC, learned entries, the all-zeros head-end replication entry) is
// nsnet/fdb.hpp: `vx0.fdb()`. Look-ups and adoption follow link_kind.hpp: Vxlan::get/find return a
// plain Link checked to be a vxlan, Vxlan::adopt takes ownership of one.
// It does not do flow-based (`external`) vxlans or VNI filtering.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"
#include "nsnet/route.hpp"  // DeviceArg
#include "nsnet/rtnl/vxlan.hpp"

namespace nsnet {

using VxlanPortRange = rtnl::VxlanPortRange;
using VxlanInfo = rtnl::VxlanInfo;

// ip link add NAME type vxlan id VNI [local A] [remote B | group G] [dev D] [dstport P]
//     [srcport FIRST LAST] [ttl N] [nolearning] [ageing S]
struct VxlanOptions {
    std::string name{};
    std::optional<std::uint32_t> vni{};          // id: 0..16777215, required
    AddressArg local{};                          // local: source address of the tunnel packets
    AddressArg remote{};                         // remote: the one peer VTEP (unicast)
    AddressArg group{};                          // group: multicast group of the segment (needs device)
    DeviceArg device{};                          // dev: the underlay link, in the vxlan's namespace
    std::uint16_t destination_port = rtnl::vxlan_iana_port;  // dstport (0: Linux's default 8472)
    std::optional<VxlanPortRange> source_ports{};  // srcport FIRST LAST
    std::optional<int> ttl{};                    // ttl 1..255 (0: `ttl auto`, the kernel picks)
    bool learning = true;                        // [no]learning: learn remote MACs from received packets
    std::optional<std::chrono::seconds> ageing{};  // ageing of learned entries (kernel: 300 s)
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    bool up = false;                             // create it up (ip link set NAME up)
};

// ip link set NAME type vxlan ...: what may change on an existing vxlan (unset: unchanged).
// The kernel refuses to change the VNI and the ports.
struct VxlanChange {
    AddressArg remote{};                 // new default remote (0.0.0.0: none)
    AddressArg group{};
    AddressArg local{};
    std::optional<int> ttl{};
    std::optional<bool> learning{};
    std::optional<std::chrono::seconds> ageing{};
};

// The vxlan settings of any link read back from the kernel (nullopt: not a vxlan).
inline std::optional<VxlanInfo> vxlan_info(const LinkInfo& link) { return rtnl::decode_vxlan(link); }

namespace detail {
inline constexpr LinkKind vxlan_kind{"vxlan", [](const LinkInfo& l) { return l.kind == "vxlan"; }};

// The checks of rtnl::validate_vxlan, with the errors naming the option ("VxlanOptions.ttl: 256 is
// outside 0..255"); `type` is "VxlanOptions" or "VxlanChange".
NSNET_DECL void validate_vxlan_fields(const rtnl::VxlanConfig& c, bool has_device, const std::string& type,
                                      const std::string& operation, const std::string& object, bool creating);
}  // namespace detail

class Vxlan : public detail::LinkOwnerBase {
public:
    Vxlan() = default;

    // ip -n NS link add NAME type vxlan ... (created in `ns`; the underlay device must be there).
    static Vxlan create(const NetnsRef& ns, const VxlanOptions& o);
    // A plain handle, checked to be a vxlan (link_kind.hpp).
    static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing vxlan (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted.
    static Vxlan adopt(const NetnsRef& ns, std::string_view name);
    static Vxlan adopt(const Link& link);

    // ip -d link show NAME: the kernel's current vxlan settings.
    VxlanInfo settings() const;
    // The settings in `ip -d link show`'s words, with the underlay device named.
    std::string describe() const;

    // ip link set NAME type vxlan [remote B] [local A] [ttl N] [[no]learning] [ageing S]
    void change(const VxlanChange& c);

    // This vxlan's forwarding database (bridge fdb ... dev NAME).
    Fdb fdb() const { return Fdb(*this); }

private:
    explicit Vxlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    static rtnl::VxlanConfig config(const VxlanOptions& o, const std::string& operation);
};

#if NSNET_DEFINITIONS

NSNET_DECL Vxlan Vxlan::create(const NetnsRef& netns, const VxlanOptions& o) {
    const std::string op = "create vxlan";
    validate_interface_name(o.name, op);
    rtnl::VxlanConfig c = config(o, op);
    if (o.mac) validate_link_mac(*o.mac, op, o.name);
    detail::require_netns(netns, op, o.name);
    if (!o.device.empty()) {
        try {
            c.device = o.device.resolve(netns, op, o.name).first;
        } catch (const InvalidArgument& e) {
            invalid_argument(op, o.name, "VxlanOptions.device: " + e.detail());
        } catch (const Error& e) {
            if (e.errnum() != ENODEV) throw;
            throw Error(ENODEV, op, o.name, e.kernel_message(), "VxlanOptions.device: " + e.detail());
        }
    }
    rtnl::LinkCreate lc{.name = o.name, .mac = o.mac, .mtu = o.mtu, .up = o.up};
    auto msg = rtnl::vxlan_new(lc, c);
    return Vxlan(OwnedLink(detail::create_link(netns, msg, op, o.name, netns)));
}

NSNET_DECL Link Vxlan::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::vxlan_kind);
}

NSNET_DECL std::optional<Link> Vxlan::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::vxlan_kind);
}

NSNET_DECL Vxlan Vxlan::adopt(const NetnsRef& ns, std::string_view name) {
    return Vxlan(OwnedLink(get(ns, name)));
}

NSNET_DECL Vxlan Vxlan::adopt(const Link& link) {
    (void)detail::require_kind(link, detail::vxlan_kind, "adopt vxlan");
    return Vxlan(OwnedLink(link));
}

NSNET_DECL VxlanInfo Vxlan::settings() const {
    auto v = vxlan_info(info());
    if (!v) throw Error(EINVAL, "read vxlan settings", name(), {}, "the link is no longer a vxlan");
    return *v;
}

NSNET_DECL std::string Vxlan::describe() const {
    VxlanInfo v = settings();
    std::string dev{};
    if (v.device) try { dev = Link::get(netns(), v.device).name(); } catch (const Error&) {}
    return "vxlan " + v.to_string(dev);
}

NSNET_DECL void Vxlan::change(const VxlanChange& c) {
    const std::string op = "change vxlan";
    auto address = [&](const AddressArg& a, const char* field) -> std::optional<IpAddress> {
        if (a.empty()) return std::nullopt;
        return a.resolve(std::string("VxlanChange.") + field, op, name());
    };
    rtnl::VxlanConfig cfg{.local = address(c.local, "local"), .remote = address(c.remote, "remote"),
                          .group = address(c.group, "group"), .ttl = c.ttl, .ageing = c.ageing, .learning = c.learning};
    detail::validate_vxlan_fields(cfg, false, "VxlanChange", op, name(), false);
    run(op, rtnl::vxlan_change(index(), cfg));
}

NSNET_DECL rtnl::VxlanConfig Vxlan::config(const VxlanOptions& o, const std::string& operation) {
    auto address = [&](const AddressArg& a, const char* field) -> std::optional<IpAddress> {
        if (a.empty()) return std::nullopt;
        return a.resolve(std::string("VxlanOptions.") + field, operation, o.name);
    };
    rtnl::VxlanConfig c{.vni = o.vni, .device = 0, .local = address(o.local, "local"), .remote = address(o.remote, "remote"),
                        .group = address(o.group, "group"), .ttl = o.ttl, .source_ports = o.source_ports,
                        .ageing = o.ageing, .learning = o.learning, .port = o.destination_port};
    detail::validate_vxlan_fields(c, !o.device.empty(), "VxlanOptions", operation, o.name, true);
    return c;
}

namespace detail {

NSNET_DECL void validate_vxlan_fields(const rtnl::VxlanConfig& c, bool has_device, const std::string& type,
                                      const std::string& operation, const std::string& object, bool creating) {
    auto fail = [&](const std::string& field, const std::string& why) {
        invalid_argument(operation, object, type + "." + field + ": " + why);
    };
    const std::string vni_max = std::to_string(rtnl::vxlan_vni_max);
    if (creating && !c.vni) fail("vni", "not given (required, 0.." + vni_max + ")");
    if (c.vni && *c.vni > rtnl::vxlan_vni_max) fail("vni", std::to_string(*c.vni) + " exceeds 2^24-1 (" + vni_max + ")");
    auto multicast = [](const IpAddress& a) { return a.is_v4() ? (a.data()[0] & 0xf0) == 0xe0 : a.data()[0] == 0xff; };
    if (c.remote && c.group)
        fail("remote", c.remote->to_string() + " given together with ." + "group " + c.group->to_string() +
                           ": a vxlan has one or the other");
    if (c.remote && multicast(*c.remote)) fail("remote", c.remote->to_string() + " is a multicast address (use .group)");
    if (c.group && !multicast(*c.group)) fail("group", c.group->to_string() + " is not a multicast address (use .remote)");
    if (c.group && creating && !has_device)
        fail("group", c.group->to_string() + " needs an underlay device (.device) to join the multicast group on");
    if (c.local && multicast(*c.local)) fail("local", c.local->to_string() + " is a multicast address");
    const std::optional<IpAddress>& peer = c.remote ? c.remote : c.group;
    if (c.local && peer && c.local->family() != peer->family())
        fail("local", c.local->to_string() + " and ." + (c.remote ? "remote " : "group ") + peer->to_string() +
                          " are of different address families");
    if (c.ttl && (*c.ttl < 0 || *c.ttl > 255)) fail("ttl", std::to_string(*c.ttl) + " is outside 0..255");
    if (c.ageing && (c.ageing->count() < 0 || c.ageing->count() > 0xffffffffLL))
        fail("ageing", std::to_string(c.ageing->count()) + " s is outside 0..4294967295 s");
    if (c.source_ports && c.source_ports->last < c.source_ports->first)
        fail("source_ports", std::to_string(c.source_ports->first) + "-" + std::to_string(c.source_ports->last) +
                                 " ends before it starts");
}

}  // namespace detail

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
