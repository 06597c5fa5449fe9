// nsnet/impl/rtnl/vxlan.ipp — the function bodies of <nsnet/rtnl/vxlan.hpp>.
//
// Included at the end of nsnet/rtnl/vxlan.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL void validate_vxlan(const VxlanConfig& c, std::string_view operation, std::string_view object, bool creating) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void put_vxlan_data(nl::MessageBuilder& m, const VxlanConfig& c) {
    if (c.device) m.put_u32(IFLA_VXLAN_LINK, static_cast<std::uint32_t>(c.device));
    if (c.ttl) m.put_u8(IFLA_VXLAN_TTL, static_cast<std::uint8_t>(*c.ttl));
    if (c.source_ports) {
        ifla_vxlan_port_range r{};
        r.low = __builtin_bswap16(c.source_ports->first);
        r.high = __builtin_bswap16(c.source_ports->last);
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

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder vxlan_new(LinkCreate link, VxlanConfig c) {
    validate_vxlan(c, "create vxlan", link.name, true);
    if (!c.learning) c.learning = true;
    link.kind = "vxlan";
    link.info_data = [c](nl::MessageBuilder& m) { put_vxlan_data(m, c); };
    return link_new(link);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder vxlan_change(int index, const VxlanConfig& c) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string VxlanInfo::to_string(std::string_view device_name) const {
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

NSNET_LAZY_DEFINITION NSNET_DECL VxlanInfo decode_vxlan_data(nl::AttrRange data) {
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
                v.source_ports = {__builtin_bswap16(r.low), __builtin_bswap16(r.high)};
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

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<VxlanInfo> decode_vxlan(const LinkInfo& link) {
    if (link.kind != "vxlan") return std::nullopt;
    return decode_vxlan_data(link.data());
}

}  // namespace nsnet::rtnl
