// nsnet/impl/show.ipp — the function bodies of <nsnet/show.hpp>.
//
// Included at the end of nsnet/show.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::string link_flags_text(unsigned flags) {
    std::string s;
    auto add = [&](const char* name) {
        if (!s.empty()) s += ',';
        s += name;
    };
    if ((flags & IFF_UP) && !(flags & IFF_RUNNING)) add("NO-CARRIER");
    static constexpr std::pair<unsigned, const char*> names[] = {
        {IFF_LOOPBACK, "LOOPBACK"}, {IFF_BROADCAST, "BROADCAST"}, {IFF_POINTOPOINT, "POINTOPOINT"},
        {IFF_MULTICAST, "MULTICAST"}, {IFF_NOARP, "NOARP"},        {IFF_ALLMULTI, "ALLMULTI"},
        {IFF_PROMISC, "PROMISC"},   {IFF_MASTER, "MASTER"},       {IFF_SLAVE, "SLAVE"},
        {IFF_DEBUG, "DEBUG"},       {IFF_DYNAMIC, "DYNAMIC"},     {IFF_AUTOMEDIA, "AUTOMEDIA"},
        {IFF_PORTSEL, "PORTSEL"},   {IFF_NOTRAILERS, "NOTRAILERS"}, {IFF_UP, "UP"},
        {IFF_LOWER_UP, "LOWER_UP"}, {IFF_DORMANT, "DORMANT"},     {IFF_ECHO, "ECHO"},
    };
    for (auto [bit, name] : names)
        if (flags & bit) add(name);
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* operstate_text(std::uint8_t state) {
    static constexpr const char* names[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"};
    return state < 7 ? names[state] : "UNKNOWN";
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string link_type_text(unsigned short type) {
    switch (type) {
        case 1: return "ether";        // ARPHRD_ETHER
        case 772: return "loopback";   // ARPHRD_LOOPBACK
        case 65534: return "none";     // ARPHRD_NONE (tun)
        case 768: return "ipip";       // ARPHRD_TUNNEL
        case 769: return "tunnel6";    // ARPHRD_TUNNEL6
        case 776: return "sit";        // ARPHRD_SIT
        case 778: return "gre";        // ARPHRD_IPGRE
        case 65535: return "void";     // ARPHRD_VOID
        default: return "[" + std::to_string(type) + "]";
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* scope_text(Scope s) {
    switch (s) {
        case Scope::Universe: return "global";
        case Scope::Site: return "site";
        case Scope::Link: return "link";
        case Scope::Host: return "host";
        case Scope::Nowhere: return "nowhere";
    }
    return "?";
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string format_addresses(std::vector<LinkInfo> links, const std::vector<AddressInfo>& addresses) {
    std::sort(links.begin(), links.end(), [](const LinkInfo& a, const LinkInfo& b) { return a.index < b.index; });
    auto name_of = [&](int index) -> std::string {
        for (const auto& l : links)
            if (l.index == index) return printable(l.name);
        return "if" + std::to_string(index);
    };
    std::string out;
    for (const auto& l : links) {
        out += std::to_string(l.index) + ": " + printable(l.name);
        // name@peer as ip shows it: "@ifN" for a peer/parent in another namespace, else its name.
        // The kernel omits IFLA_LINK when the peer's index equals the link's own (two fresh
        // namespaces each number their veth end 2); ip then shows nothing, we show "@if2".
        if (l.link_netnsid) out += "@if" + std::to_string(l.parent ? l.parent : l.index);
        else if (l.parent != 0 && l.parent != l.index) out += "@" + name_of(l.parent);
        out += ": <" + link_flags_text(l.flags) + "> mtu " + std::to_string(l.mtu);
        if (l.master) out += " master " + name_of(l.master);
        out += " state " + std::string(operstate_text(l.operstate));
        if (!l.kind.empty()) out += " kind " + l.kind;
        if (!l.slave_kind.empty()) out += " (" + l.slave_kind + " port)";
        out += "\n    link/" + link_type_text(l.type);
        if (l.mac) out += " " + l.mac->to_string();
        if (l.broadcast) out += " brd " + l.broadcast->to_string();
        if (l.link_netnsid) out += " link-netnsid " + std::to_string(*l.link_netnsid);
        out += "\n";
        for (const auto& a : addresses) {
            if (a.index != l.index) continue;
            bool v4 = a.prefix.address().is_v4();
            out += v4 ? "    inet " : "    inet6 ";
            if (a.peer) out += a.prefix.address().to_string() + " peer " + Prefix(*a.peer, a.prefix.length()).to_string();
            else out += a.prefix.to_string();
            if (a.broadcast) out += " brd " + a.broadcast->to_string();
            out += " scope " + std::string(scope_text(a.scope));
            if (a.flags & IFA_F_SECONDARY) out += v4 ? " secondary" : " temporary";
            if (a.flags & IFA_F_TENTATIVE) out += " tentative";
            if (a.flags & IFA_F_DADFAILED) out += " dadfailed";
            if (a.flags & IFA_F_DEPRECATED) out += " deprecated";
            if (v4) out += " " + printable(a.label.empty() ? l.name : a.label);
            out += "\n";
        }
    }
    return out;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL std::string show_addresses(const NetnsRef& ns) {
    auto links = Link::list(ns);
    auto addresses = ns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::address_dump();
        return nl::dump_collect(s, m, "list addresses", rtnl::decode_address);
    });
    return detail::format_addresses(std::move(links), addresses);
}

}  // namespace nsnet
