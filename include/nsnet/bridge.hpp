// nsnet/bridge.hpp — Bridge: a Linux software switch, its ports and their options.
//
// Layer: typed objects. Bridge::create(ns, options) is `ip -n NS link add NAME type bridge
// [stp_state 1] ...`; ports are any links of the same namespace (`ip link set PORT master BRIDGE`);
// port options (hairpin, learning, flooding, isolation, STP cost/priority) are set as `ip link set
// PORT type bridge_slave ...` does and read back from what the kernel holds (bridge_port_info).
// Addresses, up/down, MTU: the Link interface. The owner deletes the bridge (its ports are released,
// not deleted) unless persisted; Bridge::ensure() is the create-or-reuse of a shared bridge and owns
// nothing. Look-ups and adoption follow link_kind.hpp: Bridge::get/find return a plain Link checked
// to be a bridge, Bridge::adopt takes ownership of one (e.g. a bridge a previous run persisted).
// Per-port VLANs (`bridge vlan add|del|show`, PVID/untagged) are add_vlan/remove_vlan/vlans.
// Not covered: per-VLAN options (`bridge vlan set`), multicast router options; FDB entries are
// fdb.hpp's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/rtnl/bridge.hpp"

namespace nsnet {

using BridgeInfo = rtnl::BridgeInfo;
using BridgePortInfo = rtnl::BridgePortInfo;
using BridgePortState = rtnl::BridgePortState;
// One VLAN of a port: {.vid = 10, .pvid = true, .untagged = true} is `vid 10 pvid untagged`.
using BridgeVlan = rtnl::BridgeVlan;
// Options of a bridge port (`ip link set PORT type bridge_slave ...`); unset members are left alone:
// {.hairpin = true}, {.learning = false, .unicast_flood = false}, {.isolated = true}.
using BridgePortOptions = rtnl::BridgePortConfig;

// Options of `ip link add NAME type bridge ...`. Unset members keep the kernel's defaults
// (STP off, forward_delay 15 s, hello_time 2 s, max_age 20 s, ageing_time 300 s, priority 32768).
// Times have the kernel's resolution, 10 ms: any std::chrono duration converts (15s, 1500ms);
// one that is not a multiple of 10 ms is an InvalidArgument naming the field.
struct BridgeOptions {
    std::string name{};
    std::optional<bool> stp{};                          // stp_state 0|1
    std::optional<bool> vlan_filtering{};               // vlan_filtering 0|1
    std::optional<std::chrono::milliseconds> forward_delay{};
    std::optional<std::chrono::milliseconds> hello_time{};
    std::optional<std::chrono::milliseconds> max_age{};
    std::optional<std::chrono::milliseconds> ageing_time{};  // of learned FDB entries
    std::optional<std::uint16_t> priority{};            // bridge priority (STP root election)
    std::optional<bool> multicast_snooping{};           // mcast_snooping 0|1
    std::optional<MacAddress> mac{};                    // address MAC
    std::optional<std::uint32_t> mtu{};                 // mtu N
    std::string owner{};                                // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned (Bridge::ensure: only when it creates the bridge)
};

// ip link set NAME type bridge ...: what Bridge::change sets on an existing bridge; unset members
// are left as they are (the same settings and checks as BridgeOptions, without the ones a change
// cannot take: name, mac, mtu and owner are rename(), set_mac(), set_mtu(), set_owner()).
struct BridgeChange {
    std::optional<bool> stp{};                          // stp_state 0|1
    std::optional<bool> vlan_filtering{};               // vlan_filtering 0|1
    std::optional<std::chrono::milliseconds> forward_delay{};  // forward_delay (STP listening/learning)
    std::optional<std::chrono::milliseconds> hello_time{};     // hello_time (STP)
    std::optional<std::chrono::milliseconds> max_age{};        // max_age (STP)
    std::optional<std::chrono::milliseconds> ageing_time{};  // of learned FDB entries
    std::optional<std::uint16_t> priority{};            // bridge priority (STP root election)
    std::optional<bool> multicast_snooping{};           // mcast_snooping 0|1
};

// The bridge settings of a link as the kernel reports them; nullopt when it is not a bridge.
NSNET_LAZY inline std::optional<BridgeInfo> bridge_info(const LinkInfo& link) { return rtnl::decode_bridge(link); }
// A bridge port's settings as the kernel reports them; nullopt when the link is not a bridge port.
NSNET_LAZY inline std::optional<BridgePortInfo> bridge_port_info(const LinkInfo& link) { return rtnl::decode_bridge_port(link); }

// ip link set dev PORT type bridge_slave [hairpin on|off] [learning on|off] [flood on|off]
// [mcast_flood on|off] [bcast_flood on|off] [neigh_suppress on|off] [isolated on|off] [cost N]
// [priority N]. The port must be enslaved to a bridge already (else the kernel answers EOPNOTSUPP).
NSNET_LAZY NSNET_DECL void set_bridge_port(const Link& port, const BridgePortOptions& options);

namespace detail {
inline constexpr LinkKind bridge_kind{"bridge", [](const LinkInfo& l) { return l.kind == "bridge"; }};
}  // namespace detail

class Bridge : public detail::LinkOwnerBase {
public:
    Bridge() = default;

    // ip -n NS link add NAME type bridge [stp_state 0|1] [vlan_filtering 0|1] [forward_delay ..] ...
    NSNET_LAZY static Bridge create(const NetnsRef& ns, const BridgeOptions& o);
    // ip -n NS link show NAME type bridge: a plain handle, checked to be a bridge (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);
    // Takes ownership of an existing bridge (checked: InvalidArgument naming the link's real kind
    // otherwise), e.g. one a previous run persisted.
    NSNET_LAZY static Bridge adopt(const NetnsRef& ns, std::string_view name);
    NSNET_LAZY static Bridge adopt(const Link& link);
    // The shared bridge of a network (what CNI's bridge plugin does on every ADD): the bridge named
    // o.name if there is one (checked to be a bridge, taken as it is: options are not re-applied),
    // else a new one made with `o`. Returns a plain handle that owns nothing: no destructor ever
    // deletes the bridge; remove it with Link::remove() when the network goes. Two processes
    // ensuring the same name at once both get the one bridge. A MAC given in o.mac stays the
    // bridge's MAC (IFLA_ADDRESS at creation: the kernel then no longer takes the lowest port MAC).
    //   Link br = Bridge::ensure(host, {.name = "cni0", .mac = MacAddress::parse("02:42:0a:58:00:01")});
    NSNET_LAZY static Link ensure(const NetnsRef& ns, const BridgeOptions& o);

    // ip link set dev NAME type bridge [stp_state ..] [forward_delay ..] ...: changes the settings
    // given, leaves the others (as Vxlan::change). Errors name the field ("BridgeChange.hello_time").
    NSNET_LAZY void change(const BridgeChange& c);
    // ip link set dev NAME type bridge stp_state 0|1
    NSNET_LAZY void set_stp(bool on);

    // The bridge's settings as the kernel holds them now (ip -d link show NAME).
    NSNET_LAZY BridgeInfo settings() const;
    // The settings in `ip -d link show`'s words: "bridge forward_delay 1500 ... stp_state 0 ...".
    NSNET_LAZY std::string describe() const;

    // ip link set PORT master NAME [+ ip link set PORT type bridge_slave OPTIONS]. The port must be
    // in the bridge's namespace.
    NSNET_LAZY void add_port(const Link& port, const BridgePortOptions& options = {});
    // ip link set PORT nomaster (the port must belong to this bridge).
    NSNET_LAZY void remove_port(const Link& port);
    // ip link set PORT type bridge_slave OPTIONS, for a port of this bridge.
    NSNET_LAZY void set_port(const Link& port, const BridgePortOptions& options);
    // "bridge_slave state forwarding priority 32 cost 2 hairpin off ...": as ip -d link show PORT.
    NSNET_LAZY std::string describe_port(const Link& port) const;
    // A port's options as the kernel holds them (ip -d link show PORT: the bridge_slave part).
    NSNET_LAZY BridgePortInfo port_info(const Link& port) const;
    // The links enslaved to this bridge (ip link show master NAME).
    NSNET_LAZY std::vector<Link> ports() const;

    // bridge vlan add dev PORT vid N [pvid] [untagged]; PORT may be the bridge itself (`self`: its
    // own port towards the host). Filters only with vlan_filtering on; a kernel without
    // CONFIG_BRIDGE_VLAN_FILTERING answers EOPNOTSUPP (the message says so).
    NSNET_LAZY void add_vlan(const Link& port, const BridgeVlan& vlan);
    // bridge vlan del dev PORT vid N
    NSNET_LAZY void remove_vlan(const Link& port, std::uint16_t vid);
    // bridge vlan show dev PORT: the VLANs of a port (or of the bridge itself), ascending.
    NSNET_LAZY std::vector<BridgeVlan> vlans(const Link& port) const;

private:
    NSNET_LAZY explicit Bridge(OwnedLink link) : LinkOwnerBase(std::move(link)) {}

    NSNET_LAZY LinkInfo require_port(const Link& port, const char* operation) const;

    // The settings to send, checked; errors name `type` ("BridgeOptions" or "BridgeChange") and the field.
    NSNET_LAZY static rtnl::BridgeConfig config(const BridgeOptions& o, const char* operation);
    NSNET_LAZY static rtnl::BridgeConfig config(const BridgeChange& c, const std::string& type, const char* operation,
                                     const std::string& object);

    NSNET_LAZY static std::string explain(const Error& e, const rtnl::BridgeConfig& c);
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/bridge.ipp"
#endif
