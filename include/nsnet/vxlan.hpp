// nsnet/vxlan.hpp — Vxlan: an Ethernet segment tunnelled over UDP/IP (`ip link add ... type vxlan`).
//
// Layer: typed objects. A Vxlan is an OwnedLink created with one RTM_NEWLINK from designated
// initialisers:
//
//   auto vx0 = nsnet::Vxlan::create(ns1, {.name = "vx0", .vni = 100,
//                                          .local = nsnet::IpAddress::parse("172.16.0.10"),
//                                          .remote = nsnet::IpAddress::parse("172.16.0.20"),
//                                          .device = "eth0", .destination_port = 4789});
//
// Every value is checked before the kernel sees anything (a VNI of 2^24 is refused naming the
// value). settings() reads back what the kernel holds (not what was asked); change() is
// `ip link set vx0 type vxlan ...`. Its forwarding database (remote VTEPs per MAC, learned
// entries, the all-zeros head-end replication entry) is nsnet/fdb.hpp: `vx0.fdb()`.
// It does not do flow-based (`external`) vxlans or VNI filtering.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/link.hpp"
#include "nsnet/rtnl/vxlan.hpp"

namespace nsnet {

using VxlanPortRange = rtnl::VxlanPortRange;
using VxlanInfo = rtnl::VxlanInfo;

// ip link add NAME type vxlan id VNI [local A] [remote B | group G] [dev D] [dstport P]
//     [srcport LOW HIGH] [ttl N] [nolearning] [ageing S]
struct VxlanOptions {
    std::string name{};
    std::optional<std::uint32_t> vni{};          // id: 0..16777215, required
    std::optional<IpAddress> local{};            // local: source address of the tunnel packets
    std::optional<IpAddress> remote{};           // remote: the one peer VTEP (unicast)
    std::optional<IpAddress> group{};            // group: multicast group of the segment (needs device)
    std::string device{};                        // dev: the underlay link, by name in the same namespace
    std::uint16_t destination_port = rtnl::vxlan_iana_port;  // dstport (0: Linux's default 8472)
    std::optional<VxlanPortRange> source_ports{};  // srcport LOW HIGH
    std::optional<int> ttl{};                    // ttl 1..255 (0: `ttl auto`, the kernel picks)
    bool learning = true;                        // [no]learning: learn remote MACs from received packets
    std::optional<std::uint32_t> ageing{};       // ageing SECONDS of learned entries (kernel: 300)
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    bool up = false;                             // create it up (ip link set NAME up)
};

// ip link set NAME type vxlan ...: what may change on an existing vxlan (unset: unchanged).
// The kernel refuses to change the VNI and the ports.
struct VxlanChange {
    std::optional<IpAddress> remote{};   // new default remote (0.0.0.0: none)
    std::optional<IpAddress> group{};
    std::optional<IpAddress> local{};
    std::optional<int> ttl{};
    std::optional<bool> learning{};
    std::optional<std::uint32_t> ageing{};
};

// The vxlan settings of any link read back from the kernel (nullopt: not a vxlan).
inline std::optional<VxlanInfo> vxlan_info(const LinkInfo& link) { return rtnl::decode_vxlan(link); }

class Vxlan : public OwnedLink {
public:
    Vxlan() = default;

    // ip -n NS link add NAME type vxlan ... (created in `netns`, the underlay device must be there).
    static Vxlan create(const NetnsRef& netns, const VxlanOptions& o);
    // Takes ownership of an existing vxlan link (checked), e.g. one a previous run persisted.
    static Vxlan adopt(Link link);

    // ip -d link show NAME: the kernel's current vxlan settings.
    VxlanInfo settings() const;
    // The settings in `ip -d link show`'s words, with the underlay device named.
    std::string describe() const;

    // ip link set NAME type vxlan [remote B] [local A] [ttl N] [[no]learning] [ageing S]
    void change(const VxlanChange& c);

    // This vxlan's forwarding database (bridge fdb ... dev NAME).
    Fdb fdb() const { return Fdb(*this); }

private:
    explicit Vxlan(OwnedLink link) : OwnedLink(std::move(link)) {}

    static rtnl::VxlanConfig config(const VxlanOptions& o);
};

#if NSNET_DEFINITIONS

NSNET_DECL Vxlan Vxlan::create(const NetnsRef& netns, const VxlanOptions& o) {
    const std::string op = "create vxlan";
    validate_interface_name(o.name, op);
    if (!o.device.empty()) validate_interface_name(o.device, op + " '" + o.name + "': underlay device");
    rtnl::VxlanConfig c = config(o);
    c.device = o.device.empty() ? 0 : 1;  // placeholder: "has a device", resolved below
    rtnl::validate_vxlan(c, op, o.name, true);
    if (!netns.valid()) invalid_argument(op, o.name, "no namespace given (an empty NetnsRef)");
    if (!o.device.empty()) {
        auto dev = Link::find(netns, o.device);
        if (!dev)
            throw Error(ENODEV, op, o.name, {},
                        "underlay device '" + o.device + "' does not exist in namespace " + netns.display_name());
        c.device = dev->index();
    }
    rtnl::LinkCreate lc{.name = o.name, .mac = o.mac, .mtu = o.mtu, .up = o.up};
    auto msg = rtnl::vxlan_new(lc, c);
    try {
        netns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, op, o.name); });
    } catch (const Error& e) {
        if (!e.outcome_unknown()) throw;
        throw detail::clean_up_unknown_create(e, netns, o.name, "vxlan");  // do not leak a half-known create
    }
    try {
        return Vxlan(OwnedLink(Link::get(netns, o.name)));
    } catch (...) {
        if (auto l = Link::find(netns, o.name)) try { l->remove(); } catch (...) {}
        throw;
    }
}

NSNET_DECL Vxlan Vxlan::adopt(Link link) {
    if (!vxlan_info(link.info()))
        invalid_argument("adopt vxlan", link.name(), "link '" + link.name() + "' is not a vxlan");
    return Vxlan(OwnedLink(std::move(link)));
}

NSNET_DECL VxlanInfo Vxlan::settings() const {
    auto v = vxlan_info(info());
    if (!v) throw Error(EINVAL, "read vxlan settings", name_, {}, "the link is no longer a vxlan");
    return *v;
}

NSNET_DECL std::string Vxlan::describe() const {
    VxlanInfo v = settings();
    std::string dev{};
    if (v.device) try { dev = Link::get(netns_, v.device).name(); } catch (const Error&) {}
    return "vxlan " + v.to_string(dev);
}

NSNET_DECL void Vxlan::change(const VxlanChange& c) {
    rtnl::VxlanConfig cfg{.local = c.local, .remote = c.remote, .group = c.group, .ttl = c.ttl,
                          .ageing = c.ageing, .learning = c.learning};
    rtnl::validate_vxlan(cfg, "change vxlan", name_, false);
    run("change vxlan", rtnl::vxlan_change(index_, cfg));
}

NSNET_DECL rtnl::VxlanConfig Vxlan::config(const VxlanOptions& o) {
    return rtnl::VxlanConfig{.vni = o.vni, .device = 0, .local = o.local, .remote = o.remote, .group = o.group,
                             .ttl = o.ttl, .source_ports = o.source_ports, .ageing = o.ageing,
                             .learning = o.learning, .port = o.destination_port};
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
