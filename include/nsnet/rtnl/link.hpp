// nsnet/rtnl/link.hpp — RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK messages, encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. Encoders return a MessageBuilder ready to send; decode_link()
// turns a kernel RTM_NEWLINK into a LinkInfo value. Kind-specific data (veth peer, bridge,
// macvlan, vxlan, ...) is written by callbacks into IFLA_INFO_DATA and kept raw on decode so the
// kind's own header can interpret it (see link_kinds.hpp).
//
// Nests are written without NLA_F_NESTED, as iproute2 does, so requests are byte-for-byte what
// `ip link` sends (tests/unit/golden).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <net/if.h> and <netinet/in.h> must precede uapi headers
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_function.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::rtnl {

// A link as the kernel reported it (ip -d link show).
struct LinkInfo {
    int index = 0;
    std::string name{};
    unsigned flags = 0;          // IFF_UP, IFF_LOWER_UP, ...
    unsigned short type = 0;     // ARPHRD_ETHER, ARPHRD_LOOPBACK, ...
    std::uint32_t mtu = 0;
    std::optional<MacAddress> mac{};
    std::optional<MacAddress> broadcast{};
    int master = 0;              // bridge/bond the link is enslaved to (0: none)
    int parent = 0;              // IFLA_LINK: the lower device (macvlan parent, veth peer)
    std::optional<std::int32_t> link_netnsid{};  // the parent/peer lives in another namespace
    std::uint32_t group = 0;
    std::uint8_t operstate = 0;  // IF_OPER_UP, ...
    std::uint32_t txqlen = 0;
    std::string alias{};
    std::string kind{};            // "veth", "bridge", "macvlan", ... ("" for physical/loopback)
    std::string slave_kind{};      // "bridge" when a bridge port
    std::vector<std::byte> info_data{};        // IFLA_INFO_DATA payload, for the kind's decoder
    std::vector<std::byte> slave_info_data{};  // IFLA_INFO_SLAVE_DATA payload
    std::vector<std::byte> protinfo{};         // IFLA_PROTINFO payload (bridge port flags in AF_BRIDGE dumps)

    bool is_up() const noexcept { return flags & IFF_UP; }
    bool has_carrier() const noexcept { return flags & IFF_LOWER_UP; }
    nl::AttrRange data() const { return nl::AttrRange(nl::Bytes(info_data.data(), info_data.size())); }
    nl::AttrRange slave_data() const { return nl::AttrRange(nl::Bytes(slave_info_data.data(), slave_info_data.size())); }
};

// The type of rtnl::decode_link: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct LinkDecoder {
    NSNET_LAZY std::optional<LinkInfo> operator()(const nl::MessageView& m) const;  // decode_link(m)
};
// Decodes RTM_NEWLINK (from a dump, a get or an event). Returns nullopt for other message types.
inline constexpr LinkDecoder decode_link{};

// ip link show NAME (a single RTM_GETLINK by name).
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_get(std::string_view name);
// A single RTM_GETLINK by index.
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_get(int index);
// ip link show (dump). family AF_BRIDGE dumps bridge ports with their IFLA_PROTINFO.
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_dump(unsigned char family = AF_UNSPEC);

// What `ip link set` may change on an existing link (unset fields are left alone).
struct LinkChange {
    int index = 0;
    std::optional<bool> up{};
    std::optional<std::string> name{};       // ip link set X name Y
    std::optional<std::uint32_t> mtu{};
    std::optional<MacAddress> mac{};         // ip link set X address ...
    std::optional<int> master{};             // ifindex; 0 = nomaster
    std::optional<int> netns_fd{};           // ip link set X netns NS
    std::optional<std::uint32_t> group{};
    std::optional<std::uint32_t> txqlen{};
    std::optional<std::string> alias{};
    std::optional<bool> promisc{};           // ip link set X promisc on|off (IFF_PROMISC in ifi_change)
};

NSNET_LAZY NSNET_DECL nl::MessageBuilder link_set(const LinkChange& c);
// ip link set #INDEX alias ALIAS: the same bytes as link_set({.index = index, .alias = alias}),
// without compiling the encoder of every other LinkChange field (Link::set_owner, which every
// owned link's creation calls).
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_set_alias(int index, std::string_view alias);

// ip link del (by index).
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_del(int index);
// ip link del group N: one request removes every link of the group (one RCU wait, not one each).
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_del_group(std::uint32_t group);

// Common settings of a link being created (ip link add NAME [link PARENT] [netns NS] ... type KIND).
struct LinkCreate {
    std::string name{};
    std::string kind{};
    int parent = 0;                  // IFLA_LINK (macvlan/ipvlan/vlan lower device), 0: none
    std::optional<int> netns_fd{};     // create directly in another namespace
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    std::optional<std::uint32_t> group{};
    std::optional<std::uint32_t> txqlen{};   // ip link add NAME txqueuelen N (IFLA_TXQLEN)
    bool up = false;
    // Writes the kind's attributes inside IFLA_INFO_DATA; omitted when empty.
    std::function<void(nl::MessageBuilder&)> info_data{};
};

// iproute2's order: the options it parses (`netns`, `address`, `mtu`, `group`, `txqueuelen`, in that
// command-line order) as it parses them, then IFLA_LINK and IFLA_IFNAME, which it adds after
// parsing (tests/unit/golden/macvlan_netns.txt, veth_options.txt).
NSNET_LAZY NSNET_DECL void put_link_common(nl::MessageBuilder& m, const LinkCreate& c);

// ip link add ... type KIND. NLM_F_CREATE|NLM_F_EXCL: an existing name is an error, never reused.
NSNET_LAZY NSNET_DECL nl::MessageBuilder link_new(const LinkCreate& c);

// The far end of a veth pair: its own name, namespace and settings.
struct VethPeer {
    std::string name{};
    std::optional<int> netns_fd{};
    std::optional<MacAddress> mac{};
    std::optional<std::uint32_t> mtu{};
    std::optional<std::uint32_t> group{};
    std::optional<std::uint32_t> txqlen{};
};

// ip link add NAME [netns A] type veth peer name PEER [netns B]
NSNET_LAZY NSNET_DECL nl::MessageBuilder veth_new(LinkCreate c, const VethPeer& peer);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/link.ipp"
#endif
