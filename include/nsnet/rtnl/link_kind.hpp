// nsnet/rtnl/link_kind.hpp — RTM_NEWLINK layouts shared by the link kinds: a link stacked on a lower
// device (macvlan, macvtap, ipvlan, vlan), and a change of a kind's settings on an existing link.
//
// Layer: rtnetlink messages, no I/O. The attribute order is iproute2 6.1's, so the bytes equal
// what `ip link` sends (tests/unit/golden): ip adds IFLA_NET_NS_FD, IFLA_ADDRESS, IFLA_MTU and
// IFLA_GROUP while parsing the command line, and IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO after it:
//
//   ip link add NAME link PARENT [netns NS] [address MAC] [mtu N] type KIND ...
//     -> [IFLA_NET_NS_FD] [IFLA_ADDRESS] [IFLA_MTU] [IFLA_GROUP] IFLA_LINK IFLA_IFNAME
//        IFLA_LINKINFO{IFLA_INFO_KIND (no NUL), [IFLA_INFO_DATA{...}]}
//
// (rtnl::link_new writes IFLA_LINK first, which is what ip does only when there is no netns,
// address or mtu; the kinds that have a lower device use stacked_link_new instead.)
// It knows nothing of any kind's data: the kind headers (rtnl/bridge.hpp, macvlan.hpp, ipvlan.hpp,
// vlan.hpp) pass a writer for IFLA_INFO_DATA. nsid_get() asks a namespace for its id of another
// namespace (`ip netns list-id`), which is how a link's IFLA_LINK_NETNSID (its parent's namespace)
// is matched to a namespace.
#pragma once

#include <net/if.h>  // before <linux/if.h> (via rtnl/link.hpp)
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <linux/net_namespace.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/link.hpp"

namespace nsnet::rtnl {

// ip link add NAME link PARENT [netns NS] [address MAC] [mtu N] [group G] type KIND [DATA...]
// c.parent is the lower device's ifindex in the namespace the request is sent from; c.netns_fd
// places the new link in another namespace in the same request.
NSNET_LAZY NSNET_DECL nl::MessageBuilder stacked_link_new(const LinkCreate& c);

// ip link set dev NAME type KIND [DATA...]: changes a kind's settings in place (RTM_NEWLINK with
// ifi_index, flags REQUEST only; nl::request adds ACK). `slave` writes IFLA_INFO_SLAVE_DATA instead
// of IFLA_INFO_DATA: that is `ip link set PORT type bridge_slave ...`, whose kind word is sent as
// is ("bridge_slave") and which the kernel hands to the port's master.
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_kind_change(int index, std::string_view kind,
                                               nsnet::detail::FunctionRef<void(nl::MessageBuilder&)> data,
                                               bool slave = false);

// RTM_GETNSID for the namespace open as `netns_fd`: the answer (decode_nsid) is the id the
// namespace the request is sent in gives it, as IFLA_LINK_NETNSID reports a peer's namespace.
NSNET_LAZY NSNET_DECL nl::MessageBuilder nsid_get(int netns_fd);
// The type of rtnl::decode_nsid: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct NsidDecoder {
    NSNET_LAZY std::optional<std::int32_t> operator()(const nl::MessageView& m) const;  // decode_nsid(m)
};
// The NETNSA_NSID of an RTM_NEWNSID answer; nullopt for another message or an id not assigned (-1).
inline constexpr NsidDecoder decode_nsid{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/link_kind.ipp"
#endif
