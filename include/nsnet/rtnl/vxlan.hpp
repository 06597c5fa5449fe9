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

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
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
NSNET_DECL void validate_vxlan(const VxlanConfig& c, std::string_view operation, std::string_view object, bool creating);

// Writes the IFLA_INFO_DATA attributes in iproute2's order. `learning` is written when set.
NSNET_DECL void put_vxlan_data(nl::MessageBuilder& m, const VxlanConfig& c);

// ip link add NAME type vxlan id VNI [local A] [remote B | group G] [dev D] [dstport P] ...
// `link.kind` and `link.info_data` are filled in here; learning defaults to on, as with ip.
NSNET_DECL nl::MessageBuilder vxlan_new(LinkCreate link, VxlanConfig c);

// ip link set dev NAME type vxlan [remote B] [local A] [ttl N] [[no]learning] [ageing S] ...:
// changes a vxlan in place. The kernel refuses to change the VNI, the ports and the source port
// range of an existing vxlan (EOPNOTSUPP, with an extended-ack message saying which).
NSNET_DECL nl::MessageBuilder vxlan_change(int index, const VxlanConfig& c);

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
    std::string to_string(std::string_view device_name = {}) const;
    friend bool operator==(const VxlanInfo&, const VxlanInfo&) = default;
};

// Decodes IFLA_INFO_DATA of a vxlan link. Unknown (newer) attributes are ignored.
NSNET_DECL VxlanInfo decode_vxlan_data(nl::AttrRange data);

// The vxlan settings of a link read from the kernel; nullopt when it is not a vxlan.
NSNET_DECL std::optional<VxlanInfo> decode_vxlan(const LinkInfo& link);

#if NSNET_DEFINITIONS

NSNET_DECL void validate_vxlan(const VxlanConfig& c, std::string_view operation, std::string_view object, bool creating) {
    auto fail = [&](const std::string& why) { invalid_argument(std::string(operation), std::string(object), why); };
    if (creating && !c.vni) fail("no VNI given (`id VNI` is required, 0.." + std::to_string(vxlan_vni_max) + ")");
    if (c.vni && *c.vni > vxlan_vni_max)
        fail("VNI " + std::to_string(*c.vni) + " does not fit in 24 bits (0.." + std::to_string(vxlan_vni_max) + ")");
    if (c.remote && c.group)
        fail("both remote " + c.remote->to_string() + " and group " + c.group->to_string() + " given; a vxlan has one or the other");
    auto multicast = [](const IpAddress& a) { return a.is_v4() ? (a.data()[0] & 0xf0) == 0xe0 : a.data()[0] == 0xff; };
    if (c.remote && multicast(*c.remote))
        fail("remote " + c.remote->to_string() + " is a multicast address (use group)");
    if (c.group && !multicast(*c.group)) fail("group " + c.group->to_string() + " is not a multicast address (use remote)");
    if (c.group && creating && c.device == 0)
        fail("group " + c.group->to_string() + " needs an underlay device (dev) to join the multicast group on");
    if (c.local && multicast(*c.local)) fail("local " + c.local->to_string() + " is a multicast address");
    const std::optional<IpAddress>& peer = c.remote ? c.remote : c.group;
    if (c.local && peer && c.local->family() != peer->family())
        fail("local " + c.local->to_string() + " and " + (c.remote ? "remote " : "group ") + peer->to_string() +
             " are of different address families");
    if (c.ttl && (*c.ttl < 0 || *c.ttl > 255)) fail("TTL " + std::to_string(*c.ttl) + " is outside 0..255");
    if (c.ageing && (c.ageing->count() < 0 || c.ageing->count() > 0xffffffffLL))
        fail("ageing " + std::to_string(c.ageing->count()) + " s is outside 0..4294967295 s");
    if (c.source_ports && c.source_ports->last < c.source_ports->first)
        fail("source port range " + std::to_string(c.source_ports->first) + "-" + std::to_string(c.source_ports->last) +
             " ends before it starts");
    if (c.device < 0) fail("device ifindex " + std::to_string(c.device) + " is negative");
}

NSNET_DECL void put_vxlan_data(nl::MessageBuilder& m, const VxlanConfig& c) {
    if (c.device) m.put_u32(IFLA_VXLAN_LINK, static_cast<std::uint32_t>(c.device));
    if (c.ttl) m.put_u8(IFLA_VXLAN_TTL, static_cast<std::uint8_t>(*c.ttl));
    if (c.source_ports) {
        ifla_vxlan_port_range r{};
        r.low = static_cast<std::uint16_t>(__builtin_bswap16(c.source_ports->first));
        r.high = static_cast<std::uint16_t>(__builtin_bswap16(c.source_ports->last));
        m.put(IFLA_VXLAN_PORT_RANGE, r);
    }
    if (c.ageing) m.put_u32(IFLA_VXLAN_AGEING, static_cast<std::uint32_t>(c.ageing->count()));
    if (c.vni) m.put_u32(IFLA_VXLAN_ID, *c.vni);
    if (c.local) m.put_ip(c.local->is_v4() ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, *c.local);
    if (const auto& peer = c.remote ? c.remote : c.group)
        m.put_ip(peer->is_v4() ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, *peer);
    if (c.learning) m.put_u8(IFLA_VXLAN_LEARNING, *c.learning ? 1 : 0);
    if (c.port && *c.port) m.put_be16(IFLA_VXLAN_PORT, *c.port);
}

NSNET_DECL nl::MessageBuilder vxlan_new(LinkCreate link, VxlanConfig c) {
    validate_vxlan(c, "create vxlan", link.name, true);
    if (!c.learning) c.learning = true;
    link.kind = "vxlan";
    link.info_data = [c](nl::MessageBuilder& m) { put_vxlan_data(m, c); };
    return link_new(link);
}

NSNET_DECL nl::MessageBuilder vxlan_change(int index, const VxlanConfig& c) {
    validate_vxlan(c, "change vxlan", "#" + std::to_string(index), false);
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    {
        auto info = m.nest(IFLA_LINKINFO, false);
        m.put(IFLA_INFO_KIND, "vxlan", 5);
        auto data = m.nest(IFLA_INFO_DATA, false);
        put_vxlan_data(m, c);
    }
    return m;
}

NSNET_DECL std::string VxlanInfo::to_string(std::string_view device_name) const {
    std::string s = external ? "external" : "id " + std::to_string(vni);
    if (remote) s += " remote " + remote->to_string();
    if (group) s += " group " + group->to_string();
    if (local) s += " local " + local->to_string();
    if (device) s += " dev " + (device_name.empty() ? "#" + std::to_string(device) : std::string(device_name));
    s += " srcport " + std::to_string(source_ports.first) + " " + std::to_string(source_ports.last);
    s += " dstport " + std::to_string(port);
    if (!learning) s += " nolearning";
    if (proxy) s += " proxy";
    if (l2miss) s += " l2miss";
    if (l3miss) s += " l3miss";
    if (tos == 1) s += " tos inherit";
    else if (tos) s += " tos " + std::to_string(tos);
    s += ttl_inherit ? std::string(" ttl inherit") : ttl ? " ttl " + std::to_string(ttl) : std::string(" ttl auto");
    s += " ageing " + std::to_string(ageing.count());
    if (max_addresses) s += " maxaddress " + std::to_string(max_addresses);
    return s;
}

NSNET_DECL VxlanInfo decode_vxlan_data(nl::AttrRange data) {
    VxlanInfo v{};
    auto is_multicast = [](const IpAddress& a) { return a.is_v4() ? (a.data()[0] & 0xf0) == 0xe0 : a.data()[0] == 0xff; };
    auto set_peer = [&](const IpAddress& a) {
        if (a.is_unspecified()) return;
        if (is_multicast(a)) v.group = a;
        else v.remote = a;
    };
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_VXLAN_ID: v.vni = a.u32(); break;
            case IFLA_VXLAN_GROUP:
            case IFLA_VXLAN_GROUP6: set_peer(a.ip()); break;
            case IFLA_VXLAN_LOCAL:
            case IFLA_VXLAN_LOCAL6: {
                IpAddress l = a.ip();
                if (!l.is_unspecified()) v.local = l;
                break;
            }
            case IFLA_VXLAN_LINK: v.device = static_cast<int>(a.u32()); break;
            case IFLA_VXLAN_PORT: v.port = a.be16(); break;
            case IFLA_VXLAN_PORT_RANGE: {
                auto r = a.as<ifla_vxlan_port_range>();
                v.source_ports = {static_cast<std::uint16_t>(__builtin_bswap16(r.low)),
                                  static_cast<std::uint16_t>(__builtin_bswap16(r.high))};
                break;
            }
            case IFLA_VXLAN_TTL: v.ttl = a.u8(); break;
            // A u8 in replies (0/1); a flag (no payload) in requests.
            case IFLA_VXLAN_TTL_INHERIT: v.ttl_inherit = a.size() == 0 || a.u8() != 0; break;
            case IFLA_VXLAN_TOS: v.tos = a.u8(); break;
            case IFLA_VXLAN_LEARNING: v.learning = a.u8() != 0; break;
            case IFLA_VXLAN_AGEING: v.ageing = std::chrono::seconds(a.u32()); break;
            case IFLA_VXLAN_LIMIT: v.max_addresses = a.u32(); break;
            case IFLA_VXLAN_PROXY: v.proxy = a.u8() != 0; break;
            case IFLA_VXLAN_L2MISS: v.l2miss = a.u8() != 0; break;
            case IFLA_VXLAN_L3MISS: v.l3miss = a.u8() != 0; break;
            case IFLA_VXLAN_COLLECT_METADATA: v.external = a.u8() != 0; break;
            case IFLA_VXLAN_UDP_CSUM: v.udp_checksum = a.u8() != 0; break;
            default: break;
        }
    }
    return v;
}

NSNET_DECL std::optional<VxlanInfo> decode_vxlan(const LinkInfo& link) {
    if (link.kind != "vxlan") return std::nullopt;
    return decode_vxlan_data(link.data());
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::rtnl
