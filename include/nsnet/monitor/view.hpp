// nsnet/monitor/view.hpp — MonitorView: a namespace's link/address/route/neighbour/rule tables keyed
// as the kernel identifies objects; snapshot() dumps one, differences() compares two, and
// to_string() prints an event naming devices from a view.
//
// Layer: typed objects. A Monitor (monitor/pump.hpp) keeps one view current; a consumer applying
// every event it receives (MonitorView::apply) holds the same view.
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <linux/rtnetlink.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/monitor/event.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

namespace nsnet {

// Which tables a Monitor follows, and how.
struct MonitorOptions {
    bool links = true;      // ip monitor link
    bool addresses = true;  // ip monitor address
    bool routes = true;     // ip monitor route (every table)
    bool neighbors = true;  // ip monitor neigh
    bool rules = true;      // ip monitor rule
    std::optional<int> receive_buffer{};  // SO_RCVBUF(FORCE) of the event socket, bytes (kernel doubles it)
    int max_receive_buffer = 8 << 20;     // after an overrun the buffer doubles, up to this (0: never grows)
    bool initial_events = false;          // deliver the initial state as synthetic New events
    bool refresh_on_silent_changes = true;  // re-dump after triggers of silent kernel changes (see top)
};

// The Monitor's picture of the kernel's tables, keyed as the kernel identifies objects:
// links by ifindex, addresses by (ifindex, address/len, peer), routes by (family, table, dst, src,
// tos, metric, type, and for IPv4 the nexthop), neighbours by (ifindex, address), rules by all of
// their fields.
struct MonitorView {
    std::map<int, rtnl::LinkInfo> links{};                // by ifindex
    std::map<std::string, rtnl::AddressInfo> addresses{};  // by monitor_detail::key_of
    std::map<std::string, rtnl::RouteInfo> routes{};       // by monitor_detail::key_of
    std::map<std::string, rtnl::Neighbor> neighbors{};     // by monitor_detail::key_of
    std::map<std::string, rtnl::Rule> rules{};             // by monitor_detail::key_of

    // How many objects of all kinds the view holds.
    std::size_t size() const noexcept {
        return links.size() + addresses.size() + routes.size() + neighbors.size() + rules.size();
    }
    // Applies an event as a consumer would (New/Changed: store, Deleted: erase, Resync: nothing).
    void apply(const MonitorEvent& e);
    // The name of a link in this view ("" if unknown).
    std::string link_name(int index) const;
};

// Identity keys and value comparison (exposed for consumers and tests).
namespace monitor_detail {

NSNET_DECL std::string ip_text(const std::optional<IpAddress>& a);

NSNET_DECL std::string key_of(const rtnl::AddressInfo& a);
NSNET_DECL std::string key_of(const rtnl::RouteInfo& r);
NSNET_DECL std::string key_of(const rtnl::Neighbor& n);
NSNET_DECL std::string key_of(const rtnl::Rule& r);

// Bridges and bridge ports report running timers inside their kind data: ignore those bytes.
NSNET_DECL bool same(const rtnl::LinkInfo& a, const rtnl::LinkInfo& b);
NSNET_DECL bool same(const rtnl::AddressInfo& a, const rtnl::AddressInfo& b);
NSNET_DECL bool same(const rtnl::RouteInfo& a, const rtnl::RouteInfo& b);
inline bool same(const rtnl::Neighbor& a, const rtnl::Neighbor& b) { return a == b; }
inline bool same(const rtnl::Rule& a, const rtnl::Rule& b) { return a == b; }

// The kernel's entries for multicast destinations (NUD_NOARP, e.g. ff02::16 and 224.0.0.22 for
// MLD/IGMP reports) come and go on timers without any event: they are not tracked.
NSNET_DECL bool tracked(const rtnl::Neighbor& n);

NSNET_DECL bool route_uses(const rtnl::RouteInfo& r, int index);

// Text of an object, naming devices from `view` when it knows them.
NSNET_DECL std::string dev_name(const MonitorView* view, int index);
NSNET_DECL std::string describe_object(const MonitorObject& o, const MonitorView* view);

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

// Dumps the selected tables of `sock`'s namespace into a view (NLM_F_DUMP_INTR restarts).
NSNET_DECL MonitorView dump_view(nl::Socket& sock, const MonitorOptions& o);

}  // namespace monitor_detail

// One line per difference between two views ("+ address ...", "- route ...", "~ link ..."): what
// `b` has that `a` lacks (+), the reverse (-), and objects that differ (~). Empty when they agree.
NSNET_DECL std::vector<std::string> differences(const MonitorView& a, const MonitorView& b);

// A fresh dump of a namespace's tables, keyed like a Monitor's view (`ip -d link; ip addr; ip route
// show table all; ip neigh; ip rule` in one value).
NSNET_DECL MonitorView snapshot(const NetnsRef& ns, const MonitorOptions& kinds = {});

// "new link 4: veth0 (veth) UP LOWER_UP", "deleted address inet 10.0.0.1/24 dev veth0", ...;
// synthetic events end in " (synthetic)".
NSNET_DECL std::string to_string(const MonitorEvent& e, const MonitorView* names = nullptr);

namespace monitor_detail {

#if NSNET_DEFINITIONS

NSNET_DECL std::string ip_text(const std::optional<IpAddress>& a) { return a ? a->to_string() : std::string("-"); }

NSNET_DECL std::string key_of(const rtnl::AddressInfo& a) {
    return std::to_string(a.index) + " " + a.prefix.to_string() + " peer " + ip_text(a.peer);
}

NSNET_DECL std::string key_of(const rtnl::RouteInfo& r) {
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

NSNET_DECL std::string key_of(const rtnl::Neighbor& n) {
    return std::to_string(n.index) + " " + n.address.to_string() + (n.proxy ? " proxy" : "");
}

NSNET_DECL std::string key_of(const rtnl::Rule& r) {
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

NSNET_DECL bool same(const rtnl::LinkInfo& a, const rtnl::LinkInfo& b) {
    return a.index == b.index && a.name == b.name && a.flags == b.flags && a.type == b.type && a.mtu == b.mtu &&
           a.mac == b.mac && a.broadcast == b.broadcast && a.master == b.master && a.parent == b.parent &&
           a.link_netnsid == b.link_netnsid && a.group == b.group && a.operstate == b.operstate &&
           a.txqlen == b.txqlen && a.alias == b.alias && a.kind == b.kind && a.slave_kind == b.slave_kind &&
           (a.kind == "bridge" || a.info_data == b.info_data) &&
           (a.slave_kind == "bridge" || a.slave_info_data == b.slave_info_data);
}

NSNET_DECL bool same(const rtnl::AddressInfo& a, const rtnl::AddressInfo& b) {
    return a.index == b.index && a.prefix == b.prefix && a.peer == b.peer && a.broadcast == b.broadcast &&
           a.scope == b.scope && a.flags == b.flags && a.label == b.label;
}

NSNET_DECL bool same(const rtnl::RouteInfo& a, const rtnl::RouteInfo& b) {
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

NSNET_DECL bool tracked(const rtnl::Neighbor& n) {
    const std::uint8_t first = n.address.data()[0];
    const bool multicast = n.address.is_v4() ? (first >= 224 && first <= 239) : first == 0xff;
    return !n.proxy && !multicast;
}

NSNET_DECL bool route_uses(const rtnl::RouteInfo& r, int index) {
    if (r.oif == index) return true;
    for (const auto& h : r.paths)
        if (h.ifindex == index) return true;
    return false;
}

NSNET_DECL std::string dev_name(const MonitorView* view, int index) {
    std::string n = view ? view->link_name(index) : std::string();
    return n.empty() ? "#" + std::to_string(index) : n;
}

NSNET_DECL std::string describe_object(const MonitorObject& o, const MonitorView* view) {
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

NSNET_DECL MonitorView dump_view(nl::Socket& sock, const MonitorOptions& o) {
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

#endif  // NSNET_DEFINITIONS

}  // namespace monitor_detail

#if NSNET_DEFINITIONS

NSNET_DECL void MonitorView::apply(const MonitorEvent& e) {
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

NSNET_DECL std::string MonitorView::link_name(int index) const {
    auto it = links.find(index);
    return it == links.end() ? std::string() : it->second.name;
}

NSNET_DECL std::vector<std::string> differences(const MonitorView& a, const MonitorView& b) {
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

NSNET_DECL MonitorView snapshot(const NetnsRef& ns, const MonitorOptions& kinds) {
    nl::Socket s = ns.netlink_socket(NETLINK_ROUTE);
    return monitor_detail::dump_view(s, kinds);
}

NSNET_DECL std::string to_string(const MonitorEvent& e, const MonitorView* names) {
    if (e.type == EventType::Resync) return "resync " + monitor_detail::describe_object(e.object, names);
    std::string s = std::string(to_string(e.type)) + " " + to_string(e.kind) + " " +
                    monitor_detail::describe_object(e.object, names);
    if (e.synthetic) s += " (synthetic)";
    return s;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
