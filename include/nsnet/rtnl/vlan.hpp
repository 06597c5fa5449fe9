// nsnet/rtnl/vlan.hpp — 802.1Q / 802.1ad VLAN links: IFLA_VLAN_* encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. vlan_new() is `ip link add NAME link PARENT [netns NS] type
// vlan [protocol P] id ID` (layout: rtnl/link_kind.hpp). ip emits the vlan options in command-line
// order; nsnet writes IFLA_VLAN_PROTOCOL (only when a protocol was asked for) before IFLA_VLAN_ID,
// as `... type vlan proto 802.1ad id 200` does (tests/unit/golden/vlan*.txt). An id outside
// 1..4094 is rejected here, naming it, before any message exists. decode_vlan() reads the settings
// back. Not covered: QoS priority maps (egress-qos-map / ingress-qos-map).
#pragma once

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_vlan.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/link_kind.hpp"

namespace nsnet::rtnl {

inline constexpr int vlan_id_min = 1;
inline constexpr int vlan_id_max = 4094;  // 0 means "priority tag only", 4095 is reserved

// The tag's EtherType.
enum class VlanProtocol : std::uint16_t {
    Dot1Q = ETH_P_8021Q,    // 802.1Q (0x8100), the kernel's default
    Dot1AD = ETH_P_8021AD,  // 802.1ad (0x88a8), "QinQ" service tag
};

inline const char* to_string(VlanProtocol p) noexcept { return p == VlanProtocol::Dot1AD ? "802.1ad" : "802.1Q"; }

struct VlanConfig {
    int id = 0;                               // id 1..4094 (required)
    std::optional<VlanProtocol> protocol{};   // protocol 802.1Q|802.1ad (unset: not sent, the kernel uses 802.1Q)
};

// Throws InvalidArgument naming the id unless it is in 1..4094.
NSNET_LAZY NSNET_DECL void validate_vlan(const VlanConfig& c, std::string_view operation, std::string_view object);

NSNET_LAZY NSNET_DECL void put_vlan_data(nl::MessageBuilder& m, const VlanConfig& c);

// ip link add NAME link PARENT [netns NS] type vlan [protocol P] id ID. Validates the id first.
NSNET_LAZY NSNET_DECL nl::MessageBuilder vlan_new(LinkCreate link, const VlanConfig& c);

// A vlan's settings as the kernel reports them.
struct VlanInfo {
    int id = 0;
    VlanProtocol protocol = VlanProtocol::Dot1Q;
    bool reorder_hdr = false;
    bool gvrp = false;
    bool mvrp = false;
    bool loose_binding = false;
    bool bridge_binding = false;

    // "protocol 802.1Q id 100 <REORDER_HDR>": the words `ip -d link show` prints after "vlan ".
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const VlanInfo&, const VlanInfo&) = default;
};

NSNET_LAZY NSNET_DECL VlanInfo decode_vlan_data(nl::AttrRange data);

// The vlan settings of a link read from the kernel; nullopt when it is not a vlan.
NSNET_LAZY NSNET_DECL std::optional<VlanInfo> decode_vlan(const LinkInfo& link);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/vlan.ipp"
#endif
