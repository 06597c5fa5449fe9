// nsnet/impl/rtnl/bridge.ipp — the function bodies of <nsnet/rtnl/bridge.hpp>.
//
// Included at the end of nsnet/rtnl/bridge.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

namespace detail_br {
NSNET_LAZY inline nl::MessageBuilder vlan_message(std::uint16_t type, int port_index, const bridge_vlan_info& info, bool self) {
    nl::MessageBuilder m(type, 0);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_BRIDGE;
    ifi.ifi_index = port_index;
    m.put_header(ifi);
    auto spec = m.nest(IFLA_AF_SPEC, false);
    if (self) m.put_u16(IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF);
    m.put(IFLA_BRIDGE_VLAN_INFO, info);
    return m;
}
NSNET_LAZY inline void check_vid(std::uint16_t vid) {
    if (vid < 1 || vid > 4094) nl::malformed("bridge VLAN id " + std::to_string(vid) + " is not in 1..4094");
}
}  // namespace detail_br

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_vlan_add(int port_index, const BridgeVlan& v, bool self) {
    detail_br::check_vid(v.vid);
    bridge_vlan_info info{};
    info.vid = v.vid;
    if (v.pvid) info.flags |= BRIDGE_VLAN_INFO_PVID;
    if (v.untagged) info.flags |= BRIDGE_VLAN_INFO_UNTAGGED;
    return detail_br::vlan_message(RTM_SETLINK, port_index, info, self);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_vlan_del(int port_index, std::uint16_t vid, bool self) {
    detail_br::check_vid(vid);
    bridge_vlan_info info{};
    info.vid = vid;
    return detail_br::vlan_message(RTM_DELLINK, port_index, info, self);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_vlan_dump() {
    nl::MessageBuilder m(RTM_GETLINK, NLM_F_DUMP);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_BRIDGE;
    m.put_header(ifi);
    m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<BridgeVlanList> BridgeVlansDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWLINK) return std::nullopt;
    auto ifi = m.family_header<ifinfomsg>();
    if (ifi.ifi_family != AF_BRIDGE) return std::nullopt;
    BridgeVlanList out{.index = ifi.ifi_index, .vlans = {}};
    int range_begin = -1;  // a plain int: GCC 12 -O1 warns maybe-uninitialized on an optional here
    for (nl::Attr a : m.attrs<ifinfomsg>()) {
        if (a.type() != IFLA_AF_SPEC) continue;
        for (nl::Attr v : a.nested()) {
            if (v.type() != IFLA_BRIDGE_VLAN_INFO) continue;
            auto info = v.as<bridge_vlan_info>();
            BridgeVlan b{.vid = info.vid, .pvid = (info.flags & BRIDGE_VLAN_INFO_PVID) != 0,
                         .untagged = (info.flags & BRIDGE_VLAN_INFO_UNTAGGED) != 0};
            if (info.flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
                range_begin = info.vid;
            } else if ((info.flags & BRIDGE_VLAN_INFO_RANGE_END) && range_begin >= 0 && range_begin <= info.vid) {
                for (int vid = range_begin; vid <= info.vid; ++vid) {
                    b.vid = static_cast<std::uint16_t>(vid);
                    out.vlans.push_back(b);
                }
                range_begin = -1;
            } else {
                out.vlans.push_back(b);
            }
        }
    }
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_bridge_data(nl::MessageBuilder& m, const BridgeConfig& c) {
    if (c.forward_delay) m.put_u32(IFLA_BR_FORWARD_DELAY, c.forward_delay->count());
    if (c.hello_time) m.put_u32(IFLA_BR_HELLO_TIME, c.hello_time->count());
    if (c.max_age) m.put_u32(IFLA_BR_MAX_AGE, c.max_age->count());
    if (c.ageing_time) m.put_u32(IFLA_BR_AGEING_TIME, c.ageing_time->count());
    if (c.stp) m.put_u32(IFLA_BR_STP_STATE, *c.stp ? 1 : 0);
    if (c.priority) m.put_u16(IFLA_BR_PRIORITY, *c.priority);
    if (c.vlan_filtering) m.put_u8(IFLA_BR_VLAN_FILTERING, *c.vlan_filtering ? 1 : 0);
    if (c.multicast_snooping) m.put_u8(IFLA_BR_MCAST_SNOOPING, *c.multicast_snooping ? 1 : 0);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_new(LinkCreate link, const BridgeConfig& c) {
    link.kind = "bridge";
    if (!c.empty()) link.info_data = [c](nl::MessageBuilder& m) { put_bridge_data(m, c); };
    else link.info_data = nullptr;
    return link_new(link);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_change(int index, const BridgeConfig& c) {
    return link_kind_change(index, "bridge", [&c](nl::MessageBuilder& m) { put_bridge_data(m, c); });
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string BridgeInfo::to_string() const {
    std::string s = "forward_delay " + std::to_string(forward_delay.count()) + " hello_time " +
                    std::to_string(hello_time.count()) + " max_age " + std::to_string(max_age.count()) +
                    " ageing_time " + std::to_string(ageing_time.count()) + " stp_state " +
                    std::to_string(stp_state) + " priority " + std::to_string(priority) + " vlan_filtering " +
                    (vlan_filtering ? "1" : "0");
    if (vlan_protocol) s += vlan_protocol == 0x88a8 ? " vlan_protocol 802.1ad" : " vlan_protocol 802.1Q";
    s += std::string(" mcast_snooping ") + (multicast_snooping ? "1" : "0");
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL BridgeInfo decode_bridge_data(nl::AttrRange data) {
    BridgeInfo b{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_BR_FORWARD_DELAY: b.forward_delay = Centiseconds(a.u32()); break;
            case IFLA_BR_HELLO_TIME: b.hello_time = Centiseconds(a.u32()); break;
            case IFLA_BR_MAX_AGE: b.max_age = Centiseconds(a.u32()); break;
            case IFLA_BR_AGEING_TIME: b.ageing_time = Centiseconds(a.u32()); break;
            case IFLA_BR_STP_STATE:
                b.stp_state = a.u32();
                b.stp = b.stp_state != 0;
                break;
            case IFLA_BR_PRIORITY: b.priority = a.u16(); break;
            case IFLA_BR_VLAN_FILTERING: b.vlan_filtering = a.u8() != 0; break;
            case IFLA_BR_VLAN_PROTOCOL: b.vlan_protocol = a.be16(); break;
            case IFLA_BR_MCAST_SNOOPING: b.multicast_snooping = a.u8() != 0; break;
            default: break;
        }
    }
    return b;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<BridgeInfo> decode_bridge(const LinkInfo& link) {
    if (link.kind != "bridge") return std::nullopt;
    return decode_bridge_data(link.data());
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* to_string(BridgePortState s) noexcept {
    switch (s) {
        case BridgePortState::Disabled: return "disabled";
        case BridgePortState::Listening: return "listening";
        case BridgePortState::Learning: return "learning";
        case BridgePortState::Forwarding: return "forwarding";
        case BridgePortState::Blocking: return "blocking";
    }
    return "unknown";
}

NSNET_LAZY_DEFINITION NSNET_DECL void put_bridge_port_data(nl::MessageBuilder& m, const BridgePortConfig& c) {
    auto flag = [&](std::uint16_t type, const std::optional<bool>& v) {
        if (v) m.put_u8(type, *v ? 1 : 0);
    };
    if (c.priority) m.put_u16(IFLA_BRPORT_PRIORITY, *c.priority);
    if (c.cost) m.put_u32(IFLA_BRPORT_COST, *c.cost);
    flag(IFLA_BRPORT_MODE, c.hairpin);
    flag(IFLA_BRPORT_LEARNING, c.learning);
    flag(IFLA_BRPORT_UNICAST_FLOOD, c.unicast_flood);
    flag(IFLA_BRPORT_MCAST_FLOOD, c.multicast_flood);
    flag(IFLA_BRPORT_BCAST_FLOOD, c.broadcast_flood);
    flag(IFLA_BRPORT_NEIGH_SUPPRESS, c.neigh_suppress);
    flag(IFLA_BRPORT_ISOLATED, c.isolated);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_port_change(int port_index, const BridgePortConfig& c) {
    return link_kind_change(port_index, "bridge_slave", [&c](nl::MessageBuilder& m) { put_bridge_port_data(m, c); },
                            true);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder bridge_port_change_protinfo(int port_index, const BridgePortConfig& c) {
    nl::MessageBuilder m(RTM_SETLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_BRIDGE;
    ifi.ifi_index = port_index;
    m.put_header(ifi);
    {
        auto p = m.nest(IFLA_PROTINFO, true);
        auto flag = [&](std::uint16_t type, const std::optional<bool>& v) {
            if (v) m.put_u8(type, *v ? 1 : 0);
        };
        flag(IFLA_BRPORT_MODE, c.hairpin);
        flag(IFLA_BRPORT_UNICAST_FLOOD, c.unicast_flood);
        flag(IFLA_BRPORT_MCAST_FLOOD, c.multicast_flood);
        flag(IFLA_BRPORT_BCAST_FLOOD, c.broadcast_flood);
        flag(IFLA_BRPORT_LEARNING, c.learning);
        if (c.cost) m.put_u32(IFLA_BRPORT_COST, *c.cost);
        if (c.priority) m.put_u16(IFLA_BRPORT_PRIORITY, *c.priority);
        flag(IFLA_BRPORT_NEIGH_SUPPRESS, c.neigh_suppress);
        flag(IFLA_BRPORT_ISOLATED, c.isolated);
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string BridgePortInfo::to_string() const {
    auto onoff = [](bool b) { return b ? std::string("on") : std::string("off"); };
    return std::string("state ") + rtnl::to_string(state) + " priority " + std::to_string(priority) + " cost " +
           std::to_string(cost) + " hairpin " + onoff(hairpin) + " guard " + onoff(guard) + " root_block " +
           onoff(root_block) + " fastleave " + onoff(fast_leave) + " learning " + onoff(learning) + " flood " +
           onoff(unicast_flood) + " proxy_arp " + onoff(proxy_arp) + " mcast_flood " + onoff(multicast_flood) +
           " bcast_flood " + onoff(broadcast_flood) + " neigh_suppress " + onoff(neigh_suppress) + " isolated " +
           onoff(isolated);
}

NSNET_LAZY_DEFINITION NSNET_DECL BridgePortInfo decode_bridge_port_data(nl::AttrRange data) {
    BridgePortInfo p{};
    for (nl::Attr a : data) {
        switch (a.type()) {
            case IFLA_BRPORT_STATE: p.state = static_cast<BridgePortState>(a.u8()); break;
            case IFLA_BRPORT_PRIORITY: p.priority = a.u16(); break;
            case IFLA_BRPORT_COST: p.cost = a.u32(); break;
            case IFLA_BRPORT_MODE: p.hairpin = a.u8() != 0; break;
            case IFLA_BRPORT_GUARD: p.guard = a.u8() != 0; break;
            case IFLA_BRPORT_PROTECT: p.root_block = a.u8() != 0; break;
            case IFLA_BRPORT_FAST_LEAVE: p.fast_leave = a.u8() != 0; break;
            case IFLA_BRPORT_LEARNING: p.learning = a.u8() != 0; break;
            case IFLA_BRPORT_UNICAST_FLOOD: p.unicast_flood = a.u8() != 0; break;
            case IFLA_BRPORT_PROXYARP: p.proxy_arp = a.u8() != 0; break;
            case IFLA_BRPORT_MCAST_FLOOD: p.multicast_flood = a.u8() != 0; break;
            case IFLA_BRPORT_BCAST_FLOOD: p.broadcast_flood = a.u8() != 0; break;
            case IFLA_BRPORT_NEIGH_SUPPRESS: p.neigh_suppress = a.u8() != 0; break;
            case IFLA_BRPORT_ISOLATED: p.isolated = a.u8() != 0; break;
            case IFLA_BRPORT_NO: p.port_no = a.u16(); break;
            case IFLA_BRPORT_ID: p.port_id = a.u16(); break;
            default: break;
        }
    }
    return p;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<BridgePortInfo> decode_bridge_port(const LinkInfo& link) {
    if (link.slave_kind == "bridge")
        return decode_bridge_port_data(link.slave_data());
    if (!link.protinfo.empty())
        return decode_bridge_port_data(nl::AttrRange(nl::Bytes(link.protinfo.data(), link.protinfo.size())));
    return std::nullopt;
}

}  // namespace nsnet::rtnl
