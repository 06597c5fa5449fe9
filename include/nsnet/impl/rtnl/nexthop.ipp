// nsnet/impl/rtnl/nexthop.ipp — the function bodies of <nsnet/rtnl/nexthop.hpp>.
//
// Included at the end of nsnet/rtnl/nexthop.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

namespace detail {
// One entry of NHA_GROUP: <linux/nexthop.h>'s struct nexthop_grp, laid out as the kernel reads it.
// Linux 6.12 renamed its second byte from `resvd1` to `weight_high`, and distributions backport the
// rename into older uapi headers (Debian 12's linux-libc-dev 6.1.192 has it, 6.1.187 did not), so
// code that names either field fails to build against the other headers. nsnet names neither.
struct NexthopGroupEntry {
    std::uint32_t id;
    std::uint8_t weight;       // (weight - 1) & 0xff
    std::uint8_t weight_high;  // (weight - 1) >> 8; ignored by kernels before 6.12 (weights up to 256)
    std::uint16_t reserved;
};
static_assert(sizeof(NexthopGroupEntry) == sizeof(nexthop_grp));
static_assert(offsetof(NexthopGroupEntry, id) == offsetof(nexthop_grp, id));
static_assert(offsetof(NexthopGroupEntry, weight) == offsetof(nexthop_grp, weight));
}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL std::string describe(const Nexthop& n) {
    std::string s = "id " + std::to_string(n.id);
    if (n.is_group()) {
        s += " group ";
        for (std::size_t i = 0; i < n.group.size(); ++i) {
            if (i) s += '/';
            s += std::to_string(n.group[i].id);
            if (n.group[i].weight != 1) s += "," + std::to_string(n.group[i].weight);
        }
        if (n.group_type == NexthopGroupType::Resilient) s += " type resilient";
    }
    if (n.gateway) s += " via " + n.gateway->to_string();
    if (n.oif) s += " dev #" + std::to_string(n.oif);
    if (n.blackhole) s += " blackhole";
    if (n.onlink) s += " onlink";
    if (n.fdb) s += " fdb";
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder nexthop_new(const Nexthop& n, bool replace) {
    const char* op = replace ? "replace nexthop" : "add nexthop";
    const std::string shown = describe(n);
    if (n.is_group()) {
        if (n.gateway || n.oif || n.blackhole || n.onlink)
            invalid_argument(op, shown, "a group takes only member ids and weights (no via/dev/blackhole/onlink)");
        for (const auto& g : n.group) {
            if (g.id == 0) invalid_argument(op, shown, "group member id 0 is not a nexthop id");
            if (g.weight < 1 || g.weight > 65536)
                invalid_argument(op, shown, "weight " + std::to_string(g.weight) + " of member " + std::to_string(g.id) +
                                                " is outside 1..65536");
            if (g.id == n.id) invalid_argument(op, shown, "a group cannot contain itself (id " + std::to_string(g.id) + ")");
        }
    } else if (n.blackhole) {
        if (n.gateway || n.oif || n.fdb)
            invalid_argument(op, shown, "a blackhole nexthop has no via/dev/fdb");
    } else if (!n.gateway && !n.oif) {
        invalid_argument(op, shown, "a nexthop needs a gateway (via), a device (dev), blackhole or a group");
    } else if (!n.gateway && n.fdb) {
        invalid_argument(op, shown, "an fdb nexthop needs a gateway");
    }
    nl::MessageBuilder m(RTM_NEWNEXTHOP, replace ? (NLM_F_CREATE | NLM_F_REPLACE) : (NLM_F_CREATE | NLM_F_EXCL));
    nhmsg h{};
    if (n.is_group()) h.nh_family = AF_UNSPEC;
    else if (n.gateway) h.nh_family = static_cast<std::uint8_t>(n.gateway->af());
    else h.nh_family = n.unspec_family ? AF_UNSPEC : static_cast<std::uint8_t>(n.family);
    h.nh_protocol = n.protocol;
    if (n.onlink) h.nh_flags |= RTNH_F_ONLINK;
    m.put_header(h);
    if (n.id) m.put_u32(NHA_ID, n.id);
    if (n.is_group()) {
        std::vector<detail::NexthopGroupEntry> grp;
        for (const auto& g : n.group) {
            detail::NexthopGroupEntry e{};
            e.id = g.id;
            std::uint32_t w = g.weight - 1;
            e.weight = static_cast<std::uint8_t>(w & 0xff);
            e.weight_high = static_cast<std::uint8_t>(w >> 8);
            grp.push_back(e);
        }
        m.put(NHA_GROUP, grp.data(), grp.size() * sizeof(detail::NexthopGroupEntry));
        if (n.group_type != NexthopGroupType::Multipath) m.put_u16(NHA_GROUP_TYPE, static_cast<std::uint16_t>(n.group_type));
    }
    if (n.blackhole) m.put_flag(NHA_BLACKHOLE);
    if (n.gateway) m.put_ip(NHA_GATEWAY, *n.gateway);
    if (n.oif) m.put_u32(NHA_OIF, static_cast<std::uint32_t>(n.oif));
    if (n.fdb) m.put_flag(NHA_FDB);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder nexthop_del(std::uint32_t id) {
    if (id == 0) invalid_argument("delete nexthop", "id 0", "nexthop id 0 names no nexthop");
    nl::MessageBuilder m(RTM_DELNEXTHOP, 0);
    nhmsg h{};
    m.put_header(h);
    m.put_u32(NHA_ID, id);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder nexthop_get(std::uint32_t id) {
    nl::MessageBuilder m(RTM_GETNEXTHOP, 0);
    nhmsg h{};
    m.put_header(h);
    m.put_u32(NHA_ID, id);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder nexthop_dump() {
    nl::MessageBuilder m(RTM_GETNEXTHOP, NLM_F_DUMP);
    nhmsg h{};
    m.put_header(h);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Nexthop> NexthopDecoder::operator()(const nl::MessageView& m) const {
    if (m.type() != RTM_NEWNEXTHOP && m.type() != RTM_DELNEXTHOP) return std::nullopt;
    auto h = m.family_header<nhmsg>();
    Nexthop n{};
    n.unspec_family = h.nh_family == AF_UNSPEC;
    if (h.nh_family == AF_INET6) n.family = Family::V6;
    n.protocol = h.nh_protocol;
    n.scope = h.nh_scope;
    n.onlink = h.nh_flags & RTNH_F_ONLINK;
    n.flags = h.nh_flags & ~std::uint32_t{RTNH_F_ONLINK};
    for (nl::Attr a : m.attrs<nhmsg>()) {
        switch (a.type()) {
            case NHA_ID: n.id = a.u32(); break;
            case NHA_OIF: n.oif = static_cast<int>(a.u32()); break;
            case NHA_BLACKHOLE: n.blackhole = true; break;
            case NHA_FDB: n.fdb = true; break;
            case NHA_GROUP_TYPE: n.group_type = static_cast<NexthopGroupType>(a.u16()); break;
            case NHA_GATEWAY: {
                std::size_t want = h.nh_family == AF_INET6 ? 16 : 4;
                if (a.size() != want)
                    nl::malformed("nexthop gateway has " + std::to_string(a.size()) + " bytes for family " +
                                  std::to_string(h.nh_family));
                n.gateway = a.ip();
                break;
            }
            case NHA_GROUP: {
                if (a.size() % sizeof(detail::NexthopGroupEntry) != 0)
                    nl::malformed("nexthop group of " + std::to_string(a.size()) + " bytes is not an array of " +
                                  std::to_string(sizeof(detail::NexthopGroupEntry)) + "-byte entries");
                for (std::size_t off = 0; off < a.size(); off += sizeof(detail::NexthopGroupEntry)) {
                    detail::NexthopGroupEntry e;
                    std::memcpy(&e, a.payload().data() + off, sizeof e);
                    n.group.push_back({e.id, ((std::uint32_t{e.weight_high} << 8) | e.weight) + 1});
                }
                break;
            }
            default: break;
        }
    }
    if (n.id == 0) nl::malformed("nexthop message without NHA_ID");
    return n;
}

}  // namespace nsnet::rtnl
