// nsnet/impl/monitor/view.ipp — the function bodies of <nsnet/monitor/view.hpp>.
//
// Included at the end of nsnet/monitor/view.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/detail/std_thread.hpp"

namespace nsnet {
namespace monitor_detail {

// A burst of changes (the very thing that overruns a monitor) can interrupt every attempt of a
// dump that dump_collect makes back to back. Rather than fail the resync, wait for a pause in the
// churn: retry with a growing delay, for a few seconds at most.
template <class Fn>
auto until_consistent(Fn&& dump) {
    for (int attempt = 0;; ++attempt) {
        try {
            return dump();
        } catch (const Error& e) {
            if (e.errnum() != EINTR || attempt >= 60) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(5 + 2 * attempt));
        }
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string ip_text(const std::optional<IpAddress>& a) { return a ? a->to_string() : std::string("-"); }

NSNET_LAZY_DEFINITION NSNET_DECL std::string key_of(const rtnl::AddressInfo& a) {
    return std::to_string(a.index) + " " + a.prefix.to_string() + " peer " + ip_text(a.peer);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string key_of(const rtnl::RouteInfo& r) {
    std::string k = std::string(r.family == Family::V4 ? "4" : "6") + " t" + std::to_string(r.table) + " " +
                    r.dst.to_string() + " from " + (r.src ? r.src->to_string() : std::string("-")) + " tos " +
                    std::to_string(r.tos) + " m" + std::to_string(r.metric) + " type " +
                    std::to_string(static_cast<int>(r.type));
    if (r.family == Family::V4) {
        // IPv4 keeps `ip route append`ed routes with the same key apart by their nexthop.
        k += " via " + ip_text(r.gateway) + " oif " + std::to_string(r.oif) + " nh " + std::to_string(r.nh_id);
        for (const auto& h : r.paths) k += " | " + ip_text(h.gateway) + " " + std::to_string(h.ifindex);
    }
    return k;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string key_of(const rtnl::Neighbor& n) {
    return std::to_string(n.index) + " " + n.address.to_string() + (n.proxy ? " proxy" : "");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string key_of(const rtnl::Rule& r) {
    auto opt = [](const auto& o) { return o ? std::to_string(*o) : std::string("-"); };
    auto range = [](const auto& o) { return o ? std::to_string(o->start) + "-" + std::to_string(o->end) : std::string("-"); };
    return std::string(r.family == Family::V4 ? "4" : "6") + " pref " + opt(r.priority) + " from " +
           (r.from ? r.from->to_string() : "-") + " to " + (r.to ? r.to->to_string() : "-") + " iif " + r.iif +
           " oif " + r.oif + " mark " + opt(r.fwmark) + "/" + opt(r.fwmask) + " tos " + std::to_string(r.tos) +
           " proto " + opt(r.ipproto) + " sport " + range(r.sport) + " dport " + range(r.dport) + " uid " +
           range(r.uidrange) + " spl " + opt(r.suppress_prefixlen) + " not " + std::to_string(r.invert) + " l3 " +
           std::to_string(r.l3mdev) + " act " + std::to_string(static_cast<int>(r.action)) + " table " +
           std::to_string(r.table) + " goto " + opt(r.goto_target);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool same(const rtnl::LinkInfo& a, const rtnl::LinkInfo& b) {
    return a.index == b.index && a.name == b.name && a.flags == b.flags && a.type == b.type && a.mtu == b.mtu &&
           a.mac == b.mac && a.broadcast == b.broadcast && a.master == b.master && a.parent == b.parent &&
           a.link_netnsid == b.link_netnsid && a.group == b.group && a.operstate == b.operstate &&
           a.txqlen == b.txqlen && a.alias == b.alias && a.kind == b.kind && a.slave_kind == b.slave_kind &&
           (a.kind == "bridge" || a.info_data == b.info_data) &&
           (a.slave_kind == "bridge" || a.slave_info_data == b.slave_info_data);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool same(const rtnl::AddressInfo& a, const rtnl::AddressInfo& b) {
    return a.index == b.index && a.prefix == b.prefix && a.peer == b.peer && a.broadcast == b.broadcast &&
           a.scope == b.scope && a.flags == b.flags && a.label == b.label;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool same(const rtnl::RouteInfo& a, const rtnl::RouteInfo& b) {
    if (a.paths.size() != b.paths.size()) return false;
    for (std::size_t i = 0; i < a.paths.size(); ++i) {
        const auto &x = a.paths[i], &y = b.paths[i];
        if (x.gateway != y.gateway || x.ifindex != y.ifindex || x.weight != y.weight || x.flags != y.flags) return false;
    }
    return a.family == b.family && a.dst == b.dst && a.src == b.src && a.tos == b.tos && a.table == b.table &&
           a.protocol == b.protocol && a.scope == b.scope && a.type == b.type && a.flags == b.flags &&
           a.gateway == b.gateway && a.prefsrc == b.prefsrc && a.oif == b.oif && a.iif == b.iif &&
           a.metric == b.metric && a.nh_id == b.nh_id && a.mtu == b.mtu && a.pref == b.pref;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool tracked(const rtnl::Neighbor& n) {
    const std::uint8_t first = n.address.data()[0];
    const bool multicast = n.address.is_v4() ? (first >= 224 && first <= 239) : first == 0xff;
    return !n.proxy && !multicast;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool route_uses(const rtnl::RouteInfo& r, int index) {
    if (r.oif == index) return true;
    for (const auto& h : r.paths)
        if (h.ifindex == index) return true;
    return false;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string dev_name(const MonitorView* view, int index) {
    std::string n = view ? view->link_name(index) : std::string();
    return n.empty() ? "#" + std::to_string(index) : n;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string describe_object(const MonitorObject& o, const MonitorView* view) {
    if (auto* l = std::get_if<rtnl::LinkInfo>(&o)) {
        std::string s = std::to_string(l->index) + ": " + l->name;
        if (!l->kind.empty()) s += " (" + l->kind + ")";
        s += l->is_up() ? " UP" : " DOWN";
        if (l->is_up()) s += l->has_carrier() ? " LOWER_UP" : " NO-CARRIER";
        s += " mtu " + std::to_string(l->mtu);
        if (l->master) s += " master " + dev_name(view, l->master);
        if (l->mac) s += " " + l->mac->to_string();
        return s;
    }
    if (auto* a = std::get_if<rtnl::AddressInfo>(&o)) {
        std::string s = std::string(a->prefix.address().is_v4() ? "inet " : "inet6 ") + a->prefix.to_string();
        if (a->peer) s += " peer " + a->peer->to_string();
        return s + " dev " + dev_name(view, a->index);
    }
    if (auto* r = std::get_if<rtnl::RouteInfo>(&o)) {
        rtnl::RouteInfo c = *r;
        if (c.oif) c.dev = dev_name(view, c.oif);
        for (auto& h : c.paths)
            if (h.ifindex) h.dev = dev_name(view, h.ifindex);
        std::string s = nsnet::to_string(c);
        if (c.table != RT_TABLE_MAIN && s.find(" table ") == std::string::npos) s += " table " + std::to_string(c.table);
        return s;
    }
    if (auto* n = std::get_if<rtnl::Neighbor>(&o)) {
        std::string s = n->address.to_string() + " dev " + dev_name(view, n->index);
        if (n->lladdr) s += " lladdr " + n->lladdr->to_string();
        if (n->router) s += " router";
        return s + " " + rtnl::to_string(n->state);
    }
    if (auto* r = std::get_if<rtnl::Rule>(&o)) return rtnl::describe(*r);
    if (auto* x = std::get_if<ResyncInfo>(&o))
        return x->reason + ": +" + std::to_string(x->added) + " ~" + std::to_string(x->changed) + " -" +
               std::to_string(x->removed) + " (" + std::to_string(x->discarded_datagrams) + " stale datagrams discarded)";
    return "";
}

NSNET_LAZY_DEFINITION NSNET_DECL MonitorView dump_view(nl::Socket& sock, const MonitorOptions& o) {
    MonitorView v;
    if (o.links) {
        auto m = rtnl::link_dump();
        for (auto& l : until_consistent([&] { return nl::dump_collect(sock, m, "dump links", rtnl::decode_link); })) {
            int idx = l.index;
            v.links[idx] = std::move(l);
        }
    }
    if (o.addresses) {
        auto m = rtnl::address_dump();
        for (auto& a : until_consistent([&] { return nl::dump_collect(sock, m, "dump addresses", rtnl::decode_address); })) v.addresses[key_of(a)] = a;
    }
    if (o.routes) {
        for (unsigned char f : {static_cast<unsigned char>(AF_INET), static_cast<unsigned char>(AF_INET6)}) {
            auto m = rtnl::route_dump(f);
            for (auto& r : until_consistent([&] { return nl::dump_collect(sock, m, "dump routes", rtnl::decode_route); }))
                if (!(r.flags & RTM_F_CLONED)) v.routes[key_of(r)] = r;
        }
    }
    if (o.neighbors) {
        auto m = rtnl::neighbor_dump();
        for (auto& n : until_consistent([&] { return nl::dump_collect(sock, m, "dump neighbors", rtnl::decode_neighbor); }))
            if (tracked(n)) v.neighbors[key_of(n)] = n;
    }
    if (o.rules) {
        auto m = rtnl::rule_dump();
        for (auto& r : until_consistent([&] { return nl::dump_collect(sock, m, "dump rules", rtnl::decode_rule); })) v.rules[key_of(r)] = r;
    }
    return v;
}

}  // namespace monitor_detail
}  // namespace nsnet

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL void MonitorView::apply(const MonitorEvent& e) {
    auto store = [&](auto& map, const auto& key, const auto& obj) {
        if (e.type == EventType::Deleted) map.erase(key);
        else map[key] = obj;
    };
    if (e.type == EventType::Resync) return;
    if (auto* l = e.link()) store(links, l->index, *l);
    else if (auto* a = e.address()) store(addresses, monitor_detail::key_of(*a), *a);
    else if (auto* r = e.route()) store(routes, monitor_detail::key_of(*r), *r);
    else if (auto* n = e.neighbor()) store(neighbors, monitor_detail::key_of(*n), *n);
    else if (auto* u = e.rule()) store(rules, monitor_detail::key_of(*u), *u);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string MonitorView::link_name(int index) const {
    auto it = links.find(index);
    return it == links.end() ? std::string() : it->second.name;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::string> differences(const MonitorView& a, const MonitorView& b) {
    std::vector<std::string> out;
    auto cmp = [&](const char* what, const auto& ma, const auto& mb) {
        for (const auto& [k, v] : mb) {
            auto it = ma.find(k);
            if (it == ma.end()) out.push_back(std::string("+ ") + what + " " + monitor_detail::describe_object(v, &b));
            else if (!monitor_detail::same(it->second, v))
                out.push_back(std::string("~ ") + what + " " + monitor_detail::describe_object(it->second, &a) + " -> " +
                              monitor_detail::describe_object(v, &b));
        }
        for (const auto& [k, v] : ma)
            if (!mb.count(k)) out.push_back(std::string("- ") + what + " " + monitor_detail::describe_object(v, &a));
    };
    cmp("link", a.links, b.links);
    cmp("address", a.addresses, b.addresses);
    cmp("route", a.routes, b.routes);
    cmp("neighbor", a.neighbors, b.neighbors);
    cmp("rule", a.rules, b.rules);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL MonitorView snapshot(const NetnsRef& ns, const MonitorOptions& kinds) {
    nl::Socket s = ns.netlink_socket(NETLINK_ROUTE);
    return monitor_detail::dump_view(s, kinds);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_string(const MonitorEvent& e, const MonitorView* names) {
    // Names in it (links, a rule's iif) are whatever the namespace's owner chose: escaped.
    if (e.type == EventType::Resync) return printable("resync " + monitor_detail::describe_object(e.object, names));
    std::string s = std::string(to_string(e.type)) + " " + to_string(e.kind) + " " +
                    monitor_detail::describe_object(e.object, names);
    if (e.synthetic) s += " (synthetic)";
    return printable(s);
}

}  // namespace nsnet
