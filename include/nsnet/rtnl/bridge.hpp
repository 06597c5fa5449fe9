// nsnet/rtnl/bridge.hpp — bridges and bridge ports: IFLA_BR_* and IFLA_BRPORT_* encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. bridge_new() is `ip link add NAME type bridge ...`,
// bridge_change() is `ip link set NAME type bridge ...`; a port's options travel two ways, both
// byte-equal to iproute2 6.1 (tests/unit/golden):
//   bridge_port_change()          `ip link set PORT type bridge_slave ...`: RTM_NEWLINK,
//                                 IFLA_LINKINFO{KIND "bridge_slave", IFLA_INFO_SLAVE_DATA{...}}
//   bridge_port_change_protinfo() `bridge link set dev PORT ...`: RTM_SETLINK, family AF_BRIDGE,
//                                 IFLA_PROTINFO (with NLA_F_NESTED){...}, in bridge(8)'s fixed order
// decode_bridge() / decode_bridge_port() read the kernel's settings back from a LinkInfo
// (`ip -d link show`: the bridge's IFLA_INFO_DATA, a port's IFLA_INFO_SLAVE_DATA or, in AF_BRIDGE
// dumps, its IFLA_PROTINFO). Times are the kernel's clock_t units, i.e. centiseconds (USER_HZ 100):
// `ip link add br0 type bridge forward_delay 400` means 4 s. A port's VLANs (`bridge vlan add|del`:
// bridge_vlan_add/del, one VID per request, no ranges) are read back from an AF_BRIDGE dump with
// RTEXT_FILTER_BRVLAN (bridge_vlan_dump, decode_bridge_vlans). No FDB (rtnl/fdb.hpp), no multicast
// router options, no per-VLAN options (`bridge vlan set`).
#pragma once

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/link_kind.hpp"

namespace nsnet::rtnl {

// The kernel's unit for bridge times (clock_t at USER_HZ = 100).
using Centiseconds = std::chrono::duration<std::uint32_t, std::centi>;

// Bridge settings of a request (IFLA_INFO_DATA of kind "bridge"). Unset members are not sent: the
// kernel keeps its default (create) or the current value (change).
struct BridgeConfig {
    std::optional<Centiseconds> forward_delay{};  // forward_delay (STP listening/learning time)
    std::optional<Centiseconds> hello_time{};     // hello_time
    std::optional<Centiseconds> max_age{};        // max_age
    std::optional<Centiseconds> ageing_time{};    // ageing_time of learned FDB entries
    std::optional<bool> stp{};                    // stp_state 0|1
    std::optional<std::uint16_t> priority{};      // priority (bridge id priority)
    std::optional<bool> vlan_filtering{};         // vlan_filtering 0|1
    std::optional<bool> multicast_snooping{};     // mcast_snooping 0|1

    bool empty() const noexcept {
        return !forward_delay && !hello_time && !max_age && !ageing_time && !stp && !priority && !vlan_filtering &&
               !multicast_snooping;
    }
};

// Writes the IFLA_BR_* attributes in the order of their numbers (ip's order for a command line
// written in that order, as in tests/unit/golden/bridge_options.txt).
NSNET_LAZY NSNET_DECL void put_bridge_data(nl::MessageBuilder& m, const BridgeConfig& c);

// ip link add NAME type bridge [forward_delay ..] [stp_state ..] ... (IFLA_INFO_DATA only when
// an option is set, like ip). link.kind and link.info_data are filled in here.
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_new(LinkCreate link, const BridgeConfig& c);

// ip link set dev NAME type bridge [stp_state ..] ...
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_change(int index, const BridgeConfig& c);

// A bridge's settings as the kernel reports them (the bridge part of `ip -d link show`).
struct BridgeInfo {
    Centiseconds forward_delay{};
    Centiseconds hello_time{};
    Centiseconds max_age{};
    Centiseconds ageing_time{};
    bool stp = false;                 // stp_state != 0 (1 = kernel STP, 2 = user-space STP)
    std::uint32_t stp_state = 0;
    std::uint16_t priority = 0;
    bool vlan_filtering = false;
    bool multicast_snooping = false;
    std::uint16_t vlan_protocol = 0;  // 0x8100 / 0x88a8 (host order)

    // "forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768
    // vlan_filtering 0 ... mcast_snooping 1": the words `ip -d link show` prints, in its order.
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const BridgeInfo&, const BridgeInfo&) = default;
};

NSNET_LAZY NSNET_DECL BridgeInfo decode_bridge_data(nl::AttrRange data);

// The bridge settings of a link read from the kernel; nullopt when it is not a bridge.
NSNET_LAZY NSNET_DECL std::optional<BridgeInfo> decode_bridge(const LinkInfo& link);

// ---------------------------------------------------------------------------------------------
// Bridge ports

// STP state of a port (BR_STATE_*): `bridge link` shows it, `state N` sets it (with STP off).
enum class BridgePortState : std::uint8_t {
    Disabled = BR_STATE_DISABLED,
    Listening = BR_STATE_LISTENING,
    Learning = BR_STATE_LEARNING,
    Forwarding = BR_STATE_FORWARDING,
    Blocking = BR_STATE_BLOCKING,
};

NSNET_LAZY NSNET_DECL const char* to_string(BridgePortState s) noexcept;

// Options of a bridge port (IFLA_BRPORT_*). Unset members are not sent.
struct BridgePortConfig {
    std::optional<std::uint16_t> priority{};   // priority (STP port priority)
    std::optional<std::uint32_t> cost{};       // cost (STP path cost)
    std::optional<bool> hairpin{};             // hairpin on|off (IFLA_BRPORT_MODE): frames may leave by the port they came in
    std::optional<bool> learning{};            // learning on|off: learn source MACs into the FDB
    std::optional<bool> unicast_flood{};       // flood on|off: unknown-unicast flooding to this port
    std::optional<bool> multicast_flood{};     // mcast_flood on|off
    std::optional<bool> broadcast_flood{};     // bcast_flood on|off
    std::optional<bool> neigh_suppress{};      // neigh_suppress on|off (ARP/ND suppression)
    std::optional<bool> isolated{};            // isolated on|off: isolated ports only talk to non-isolated ones

    bool empty() const noexcept {
        return !priority && !cost && !hairpin && !learning && !unicast_flood && !multicast_flood && !broadcast_flood &&
               !neigh_suppress && !isolated;
    }
};

// The IFLA_BRPORT_* attributes in the order of their numbers (ip's order for a command line
// written so: tests/unit/golden/brport_multi_ip.txt).
NSNET_LAZY NSNET_DECL void put_bridge_port_data(nl::MessageBuilder& m, const BridgePortConfig& c);

// ip link set dev PORT type bridge_slave [hairpin on] [learning off] [flood off] ...
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_port_change(int port_index, const BridgePortConfig& c);

// bridge link set dev PORT [hairpin on] [learning off] [flood off] ...: the same options as
// RTM_SETLINK/AF_BRIDGE with IFLA_PROTINFO, in bridge(8)'s fixed order (MODE, UNICAST_FLOOD,
// MCAST_FLOOD, BCAST_FLOOD, LEARNING, COST, PRIORITY, NEIGH_SUPPRESS, ISOLATED:
// tests/unit/golden/brport_multi_bridge.txt).
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_port_change_protinfo(int port_index, const BridgePortConfig& c);

// A bridge port's settings as the kernel reports them (the bridge_slave part of `ip -d link show`).
struct BridgePortInfo {
    BridgePortState state = BridgePortState::Disabled;
    std::uint16_t priority = 0;
    std::uint32_t cost = 0;
    bool hairpin = false;
    bool learning = false;
    bool unicast_flood = false;
    bool multicast_flood = false;
    bool broadcast_flood = false;
    bool neigh_suppress = false;
    bool isolated = false;
    bool guard = false;         // bpdu guard
    bool root_block = false;    // IFLA_BRPORT_PROTECT
    bool fast_leave = false;
    bool proxy_arp = false;
    std::uint16_t port_no = 0;  // the port's number on its bridge
    std::uint16_t port_id = 0;

    // "state forwarding priority 32 cost 2 hairpin off guard off root_block off fastleave off
    // learning on flood on ... mcast_flood on bcast_flood on ... neigh_suppress off ... isolated off":
    // the words of `ip -d link show` for these options, in its order.
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const BridgePortInfo&, const BridgePortInfo&) = default;
};

NSNET_LAZY NSNET_DECL BridgePortInfo decode_bridge_port_data(nl::AttrRange data);

// The port settings of a link read from the kernel: from IFLA_INFO_SLAVE_DATA when its master is
// a bridge (ordinary link dumps and gets), else from IFLA_PROTINFO (AF_BRIDGE dumps); nullopt
// when the link is not a bridge port.
NSNET_LAZY NSNET_DECL std::optional<BridgePortInfo> decode_bridge_port(const LinkInfo& link);

// ---------------------------------------------------------------------------------------------
// Bridge VLANs (the bridge must have vlan_filtering on for them to filter anything)

// One VLAN of a bridge port (struct bridge_vlan_info): `vid N [pvid] [untagged]`.
struct BridgeVlan {
    std::uint16_t vid = 0;   // 1..4094
    bool pvid = false;       // untagged frames received on the port are put in this VLAN
    bool untagged = false;   // frames of this VLAN leave the port untagged
    friend bool operator==(const BridgeVlan&, const BridgeVlan&) = default;
};

// bridge vlan add dev PORT vid N [pvid] [untagged] [self]: RTM_SETLINK, family AF_BRIDGE,
// IFLA_AF_SPEC (no NLA_F_NESTED, as bridge(8)) {[IFLA_BRIDGE_FLAGS BRIDGE_FLAGS_SELF]
// IFLA_BRIDGE_VLAN_INFO} (tests/unit/golden/bridge_vlan_add*.txt). `self` is for the bridge
// device itself (its own port towards the host).
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_vlan_add(int port_index, const BridgeVlan& v, bool self = false);
// bridge vlan del dev PORT vid N [self]: the same as RTM_DELLINK (golden/bridge_vlan_del.txt).
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_vlan_del(int port_index, std::uint16_t vid, bool self = false);
// bridge vlan show: RTM_GETLINK dump, family AF_BRIDGE, IFLA_EXT_MASK RTEXT_FILTER_BRVLAN.
NSNET_LAZY NSNET_DECL nl::MessageBuilder bridge_vlan_dump();
// The VLANs of one link in an AF_BRIDGE dump message (IFLA_BRIDGE_VLAN_INFO entries inside
// IFLA_AF_SPEC; a range is expanded); nullopt for a message of another type or family.
struct BridgeVlanList {
    int index = 0;
    std::vector<BridgeVlan> vlans{};
};
// The type of rtnl::decode_bridge_vlans: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct BridgeVlansDecoder {
    NSNET_LAZY std::optional<BridgeVlanList> operator()(const nl::MessageView& m) const;  // decode_bridge_vlans(m)
};
// Decodes the VLANs of one bridge port from an AF_BRIDGE RTM_NEWLINK (`bridge vlan show`), ranges
// expanded; nullopt for other messages.
inline constexpr BridgeVlansDecoder decode_bridge_vlans{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/bridge.ipp"
#endif
