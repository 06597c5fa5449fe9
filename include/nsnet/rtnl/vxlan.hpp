// nsnet/rtnl/vxlan.hpp — VXLAN links: the IFLA_VXLAN_* data of RTM_NEWLINK, encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. vxlan_new() is `ip link add NAME type vxlan ...`,
// vxlan_change() is `ip link set NAME type vxlan ...`, decode_vxlan() reads the kernel's settings
// back out of a LinkInfo (ip -d link show). The bytes equal iproute2 6.1's (tests/unit/golden):
// the lower device travels as IFLA_VXLAN_LINK inside the data (not IFLA_LINK), `remote` and
// `group` are both IFLA_VXLAN_GROUP(6), ports are big endian, and the attribute order is ip's:
// LINK, TTL, PORT_RANGE, AGEING (ip emits these while parsing), then ID, LOCAL, GROUP, LEARNING,
// PORT. Bad values (a VNI of 2^24 or more, a multicast `remote`, a reversed port range, ...) throw
// InvalidArgument naming the value before a message is built. It does not resolve device names
// (the caller passes ifindexes) and knows nothing of FDB entries (rtnl/fdb.hpp).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_link.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"

namespace nsnet::rtnl {

// The largest VNI: VXLAN network identifiers are 24 bits wide.
inline constexpr std::uint32_t vxlan_vni_max = (1u << 24) - 1;
// IANA's VXLAN port (`dstport 4789`); Linux's own default when none is given is 8472.
inline constexpr std::uint16_t vxlan_iana_port = 4789;

// UDP source port range of the encapsulated packets (`srcport FIRST LAST`), {first, last} as every
// port range of nsnet.
struct VxlanPortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    friend bool operator==(const VxlanPortRange&, const VxlanPortRange&) = default;
};

// The vxlan settings of a request. Unset members are not sent (the kernel keeps its default, or,
// for a change, the current value).
struct VxlanConfig {
    std::optional<std::uint32_t> vni{};         // id VNI (required on create)
    int device = 0;                             // dev PHYS_DEV (ifindex), 0: none
    std::optional<IpAddress> local{};           // local ADDR
    std::optional<IpAddress> remote{};          // remote ADDR (unicast; 0.0.0.0 = none)
    std::optional<IpAddress> group{};           // group ADDR (multicast; needs a device)
    std::optional<int> ttl{};                   // ttl 0..255 (0: `ttl auto`; iproute2 6.1 sends 0 for `inherit` too)
    std::optional<VxlanPortRange> source_ports{};  // srcport LOW HIGH
    std::optional<std::chrono::seconds> ageing{};  // ageing SECONDS of learned FDB entries (0..2^32-1 s)
    std::optional<bool> learning{};             // [no]learning (create: sent always, default on)
    std::optional<std::uint16_t> port{};        // dstport PORT (0 = kernel default 8472)
};

// Rejects what `ip` or the kernel would refuse, naming the value. `operation`/`object` name the
// request in the error ("create vxlan", "vx0").
NSNET_LAZY NSNET_DECL void validate_vxlan(const VxlanConfig& c, std::string_view operation, std::string_view object, bool creating);

// Writes the IFLA_INFO_DATA attributes in iproute2's order. `learning` is written when set.
NSNET_LAZY NSNET_DECL void put_vxlan_data(nl::MessageBuilder& m, const VxlanConfig& c);

// ip link add NAME type vxlan id VNI [local A] [remote B | group G] [dev D] [dstport P] ...
// `link.kind` and `link.info_data` are filled in here; learning defaults to on, as with ip.
NSNET_LAZY NSNET_DECL nl::MessageBuilder vxlan_new(LinkCreate link, VxlanConfig c);

// ip link set dev NAME type vxlan [remote B] [local A] [ttl N] [[no]learning] [ageing S] ...:
// changes a vxlan in place. The kernel refuses to change the VNI, the ports and the source port
// range of an existing vxlan (EOPNOTSUPP, with an extended-ack message saying which).
NSNET_LAZY NSNET_DECL nl::MessageBuilder vxlan_change(int index, const VxlanConfig& c);

// A vxlan's settings as the kernel reports them (the vxlan part of `ip -d link show`).
struct VxlanInfo {
    std::uint32_t vni = 0;
    std::optional<IpAddress> local{};
    std::optional<IpAddress> remote{};   // unicast default destination
    std::optional<IpAddress> group{};    // multicast group
    int device = 0;                      // underlay ifindex (IFLA_VXLAN_LINK), 0: none
    std::uint16_t port = 0;              // destination UDP port
    VxlanPortRange source_ports{};       // 0-0: the kernel picks from the local port range
    std::uint8_t ttl = 0;                // 0: `ttl auto`
    bool ttl_inherit = false;
    std::uint8_t tos = 0;                // 1: `tos inherit`
    bool learning = false;
    std::chrono::seconds ageing{};       // of learned FDB entries
    std::uint32_t max_addresses = 0;     // 0: unlimited
    bool proxy = false;
    bool l2miss = false;
    bool l3miss = false;
    bool external = false;               // collect metadata (flow-based) device
    bool udp_checksum = false;

    // The settings in `ip -d link show`'s words: "id 100 remote 172.16.0.20 local 172.16.0.10
    // dev #3 srcport 0 0 dstport 4789 ttl auto ageing 300". `device_name` replaces "#ifindex".
    NSNET_LAZY std::string to_string(std::string_view device_name = {}) const;
    friend bool operator==(const VxlanInfo&, const VxlanInfo&) = default;
};

// Decodes IFLA_INFO_DATA of a vxlan link. Unknown (newer) attributes are ignored.
NSNET_LAZY NSNET_DECL VxlanInfo decode_vxlan_data(nl::AttrRange data);

// The vxlan settings of a link read from the kernel; nullopt when it is not a vxlan.
NSNET_LAZY NSNET_DECL std::optional<VxlanInfo> decode_vxlan(const LinkInfo& link);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/vxlan.ipp"
#endif
