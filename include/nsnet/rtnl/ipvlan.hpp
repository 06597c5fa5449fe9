// nsnet/rtnl/ipvlan.hpp — ipvlan links: IFLA_IPVLAN_MODE / IFLA_IPVLAN_FLAGS encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. ipvlan_new() is `ip link add NAME link PARENT [netns NS]
// type ipvlan mode l2|l3|l3s [bridge|private|vepa]` (layout: rtnl/link_kind.hpp); like ip, it
// always sends both the mode and the flags (tests/unit/golden/ipvlan_*). ipvlan_change() is
// `ip link set NAME type ipvlan mode ...`, decode_ipvlan() reads the settings back.
#pragma once

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_link.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/link_kind.hpp"

namespace nsnet::rtnl {

// Where an ipvlan slave's traffic is handled.
enum class IpvlanMode : std::uint16_t {
    L2 = IPVLAN_MODE_L2,    // slaves do their own ARP; frames leave through the parent as they are
    L3 = IPVLAN_MODE_L3,    // slaves hand IP packets to the parent's namespace, which routes them
    L3S = IPVLAN_MODE_L3S,  // as L3, and inbound traffic also passes the parent namespace's netfilter
};

// How slaves of one parent talk to each other (ip's "mode flags"; one of them).
enum class IpvlanFlag : std::uint16_t {
    Bridge = 0,                 // directly (default)
    Private = IPVLAN_F_PRIVATE,  // not at all
    Vepa = IPVLAN_F_VEPA,       // only through the external switch
};

NSNET_LAZY NSNET_DECL const char* to_string(IpvlanMode m) noexcept;
NSNET_LAZY NSNET_DECL const char* to_string(IpvlanFlag f) noexcept;

struct IpvlanConfig {
    IpvlanMode mode = IpvlanMode::L2;
    IpvlanFlag flag = IpvlanFlag::Bridge;
};

NSNET_LAZY NSNET_DECL void put_ipvlan_data(nl::MessageBuilder& m, const IpvlanConfig& c);

// ip link add NAME link PARENT [netns NS] type ipvlan mode MODE [FLAG]
NSNET_LAZY NSNET_DECL nl::MessageBuilder ipvlan_new(LinkCreate link, const IpvlanConfig& c);

// ip link set dev NAME type ipvlan mode MODE [FLAG]
NSNET_LAZY NSNET_DECL nl::MessageBuilder ipvlan_change(int index, const IpvlanConfig& c);

// An ipvlan's settings as the kernel reports them.
struct IpvlanInfo {
    IpvlanMode mode = IpvlanMode::L2;
    IpvlanFlag flag = IpvlanFlag::Bridge;

    // "mode l2 bridge": the words `ip -d link show` prints after "ipvlan ".
    NSNET_LAZY std::string to_string() const { return std::string("mode ") + rtnl::to_string(mode) + " " + rtnl::to_string(flag); }
    friend bool operator==(const IpvlanInfo&, const IpvlanInfo&) = default;
};

NSNET_LAZY NSNET_DECL IpvlanInfo decode_ipvlan_data(nl::AttrRange data);

// The ipvlan settings of a link read from the kernel (kind ipvlan or ipvtap); nullopt otherwise.
NSNET_LAZY NSNET_DECL std::optional<IpvlanInfo> decode_ipvlan(const LinkInfo& link);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/ipvlan.ipp"
#endif
