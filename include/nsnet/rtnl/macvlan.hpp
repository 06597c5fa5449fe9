// nsnet/rtnl/macvlan.hpp — macvlan and macvtap links: IFLA_MACVLAN_* encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. macvlan_new() is `ip link add NAME link PARENT [netns NS]
// type macvlan|macvtap mode MODE ...` (layout: rtnl/link_kind.hpp), macvlan_change() is
// `ip link set NAME type macvlan mode MODE`, decode_macvlan() reads the settings back from a
// LinkInfo (`ip -d link show`). Bytes equal iproute2 6.1's (tests/unit/golden/macvlan_*): ip emits
// a source-MAC list while parsing and IFLA_MACVLAN_MODE and IFLA_MACVLAN_FLAGS at the end.
// Not covered: the broadcast queue options (bcqueuelen), adding/removing single source MACs.
#pragma once

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_link.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/link_kind.hpp"

namespace nsnet::rtnl {

// How a macvlan treats traffic between itself and its siblings on the same parent.
enum class MacvlanMode : std::uint32_t {
    Private = MACVLAN_MODE_PRIVATE,    // never talk to siblings, not even through an external switch
    Vepa = MACVLAN_MODE_VEPA,          // siblings only through the external switch (hairpin there); kernel default
    Bridge = MACVLAN_MODE_BRIDGE,      // siblings directly, inside the kernel
    Passthru = MACVLAN_MODE_PASSTHRU,  // take the parent over: one macvlan only, it inherits the parent's MAC
    Source = MACVLAN_MODE_SOURCE,      // receive only frames from a list of source MACs
};

NSNET_LAZY NSNET_DECL const char* to_string(MacvlanMode m) noexcept;

// Macvlan settings of a request. Unset members are not sent.
struct MacvlanConfig {
    std::optional<MacvlanMode> mode{};        // mode MODE (kernel default: vepa)
    bool nopromisc = false;                   // nopromisc (passthru: leave the parent's promiscuity alone)
    std::vector<MacAddress> source_macs{};    // macaddr set MAC... (mode source: the allowed senders)
};

// IFLA_INFO_DATA of macvlan/macvtap, in ip's order.
NSNET_LAZY NSNET_DECL void put_macvlan_data(nl::MessageBuilder& m, const MacvlanConfig& c);

inline bool has_macvlan_data(const MacvlanConfig& c) { return c.mode || c.nopromisc || !c.source_macs.empty(); }

// ip link add NAME link PARENT [netns NS] [address MAC] [mtu N] type macvlan|macvtap [mode M] ...
// link.parent is the parent's ifindex; `tap` makes a macvtap (same data, kind "macvtap").
NSNET_LAZY NSNET_DECL nl::MessageBuilder macvlan_new(LinkCreate link, const MacvlanConfig& c, bool tap = false);

// ip link set dev NAME type macvlan|macvtap mode MODE (the kernel refuses to switch into or out of
// passthru).
NSNET_LAZY NSNET_DECL nl::MessageBuilder macvlan_change(int index, const MacvlanConfig& c, bool tap = false);

// A macvlan's (or macvtap's) settings as the kernel reports them.
struct MacvlanInfo {
    MacvlanMode mode = MacvlanMode::Vepa;
    bool tap = false;                      // kind macvtap
    bool nopromisc = false;                // MACVLAN_FLAG_NOPROMISC
    bool nodst = false;                    // MACVLAN_FLAG_NODST
    std::vector<MacAddress> source_macs{};  // mode source: the allowed senders

    // "mode bridge", "mode passthru nopromisc", "mode source remotes (2) 02:..:0a 02:..:0b": the
    // words `ip -d link show` prints after "macvlan".
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const MacvlanInfo&, const MacvlanInfo&) = default;
};

NSNET_LAZY NSNET_DECL MacvlanInfo decode_macvlan_data(nl::AttrRange data);

// The macvlan settings of a link read from the kernel; nullopt when it is neither a macvlan nor a
// macvtap.
NSNET_LAZY NSNET_DECL std::optional<MacvlanInfo> decode_macvlan(const LinkInfo& link);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/macvlan.ipp"
#endif
