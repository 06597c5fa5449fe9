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
// nsnet/fdb.hpp (included): `FdbEntry::list(ns, {.dev = vx0})`. Look-ups and adoption follow
// link_kind.hpp: Vxlan::get/find return a plain Link checked to be a vxlan, Vxlan::adopt takes
// ownership of one.
// It does not do flow-based (`external`) vxlans or VNI filtering.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_chrono.hpp"
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
    std::string owner{};                         // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned
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
NSNET_LAZY inline std::optional<VxlanInfo> vxlan_info(const LinkInfo& link) { return rtnl::decode_vxlan(link); }

namespace detail {
inline constexpr LinkKind vxlan_kind{"vxlan", [](const LinkInfo& l) { return l.kind == "vxlan"; }};

// The checks of rtnl::validate_vxlan, with the errors naming the option ("VxlanOptions.ttl: 256 is
// outside 0..255"); `type` is "VxlanOptions" or "VxlanChange".
NSNET_LAZY NSNET_DECL void validate_vxlan_fields(const rtnl::VxlanConfig& c, bool has_device, const std::string& type,
                                      const std::string& operation, const std::string& object, bool creating);
}  // namespace detail

class Vxlan : public detail::LinkOwnerBase {
public:
    Vxlan() = default;

    // ip -n NS link add NAME type vxlan ... (created in `ns`; the underlay device must be there).
    NSNET_LAZY static Vxlan create(const NetnsRef& ns, const VxlanOptions& o);
    // A plain handle, checked to be a vxlan (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing vxlan (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted.
    NSNET_LAZY static Vxlan adopt(const NetnsRef& ns, std::string_view name);
    NSNET_LAZY static Vxlan adopt(const Link& link);

    // ip -d link show NAME: the kernel's current vxlan settings.
    NSNET_LAZY VxlanInfo settings() const;
    // The settings in `ip -d link show`'s words, with the underlay device named.
    NSNET_LAZY std::string describe() const;

    // ip link set NAME type vxlan [remote B] [local A] [ttl N] [[no]learning] [ageing S]
    NSNET_LAZY void change(const VxlanChange& c);

private:
    NSNET_LAZY explicit Vxlan(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    NSNET_LAZY static rtnl::VxlanConfig config(const VxlanOptions& o, const std::string& operation);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/vxlan.ipp"
#endif
