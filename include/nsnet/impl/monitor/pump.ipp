// nsnet/impl/monitor/pump.ipp — the function bodies of <nsnet/monitor/pump.hpp>.
//
// Included at the end of nsnet/monitor/pump.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Monitor Monitor::open(const NetnsRef& ns, const MonitorOptions& options) {
    Monitor m;
    m.ns_ = ns;
    m.options_ = options;
    m.events_ = ns.netlink_socket(NETLINK_ROUTE);
    if (options.receive_buffer) m.events_.set_receive_buffer(*options.receive_buffer);
    auto join = [&](unsigned group) { m.events_.subscribe(group); };
    if (options.links) join(RTNLGRP_LINK);
    if (options.addresses) {
        join(RTNLGRP_IPV4_IFADDR);
        join(RTNLGRP_IPV6_IFADDR);
    }
    if (options.routes) {
        join(RTNLGRP_IPV4_ROUTE);
        join(RTNLGRP_IPV6_ROUTE);
        try {
            join(RTNLGRP_NEXTHOP);  // a trigger only; kernels before 5.3 have no such group
        } catch (const Error&) {
        }
    }
    if (options.neighbors) join(RTNLGRP_NEIGH);
    if (options.rules) {
        join(RTNLGRP_IPV4_RULE);
        join(RTNLGRP_IPV6_RULE);
    }
    m.stats_.receive_buffer = m.current_receive_buffer();
    m.dumps_ = ns.netlink_socket(NETLINK_ROUTE);
    MonitorView initial = monitor_detail::dump_view(m.dumps_, options);
    if (options.initial_events) m.emit_diff(MonitorView{}, initial, nullptr);
    m.view_ = std::move(initial);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<MonitorEvent> Monitor::next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (!pending_.empty()) return pop();
        pump();
        if (!pending_.empty()) continue;
        int wait_ms = -1;
        if (timeout.count() >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
        }
        pollfd p{fd(), POLLIN, 0};
        int r = ::poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR) throw_errno("wait for netlink events", ns_.display_name());
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Monitor::poll_events(const Callback& callback) {
    pump();
    std::size_t n = 0;
    while (!pending_.empty()) {
        MonitorEvent e = pop();
        ++n;
        callback(e);
    }
    return n;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::run(const Callback& callback, std::stop_token stop) {
    detail::UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake) throw_errno("create eventfd");
    std::stop_callback on_stop(stop, [&] {
        std::uint64_t one = 1;
        (void)!::write(wake.get(), &one, sizeof one);
    });
    while (!stop.stop_requested()) {
        poll_events(callback);
        if (stop.stop_requested()) break;
        pollfd p[2] = {{fd(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
        int r = ::poll(p, 2, -1);
        if (r < 0 && errno != EINTR) throw_errno("wait for netlink events", ns_.display_name());
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL MonitorEvent Monitor::pop() {
    MonitorEvent e = std::move(pending_.front());
    pending_.pop_front();
    ++stats_.events;
    if (e.synthetic) ++stats_.synthetic;
    return e;
}

// Member templates of Monitor, used only by the bodies below (so they live here, not in the header).
template <class Map, class Key, class T>
void Monitor::upsert(Map& map, const Key& key, ObjectKind kind, T obj) {
    auto it = map.find(key);
    if (it == map.end()) {
        map.emplace(key, obj);
        queue(EventType::New, kind, false, std::move(obj), {});
    } else if (!monitor_detail::same(it->second, obj)) {
        T prev = std::move(it->second);
        it->second = obj;
        queue(EventType::Changed, kind, false, std::move(obj), std::move(prev));
    }
}

template <class Map, class Key>
bool Monitor::erase(Map& map, const Key& key, ObjectKind kind, bool synthetic) {
    auto it = map.find(key);
    if (it == map.end()) return false;
    queue(EventType::Deleted, kind, synthetic, std::move(it->second), {});
    map.erase(it);
    return true;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::queue(EventType type, ObjectKind kind, bool synthetic, MonitorObject obj, MonitorObject prev) {
    // Member by member, not `MonitorEvent{...}`: a braced initializer makes GCC compile the
    // variant's constructors wherever this file is included (DEVELOPERS.md, "Lazy bodies").
    MonitorEvent& e = pending_.emplace_back();
    e.type = type;
    e.kind = kind;
    e.synthetic = synthetic;
    e.object = std::move(obj);
    e.previous = std::move(prev);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::pump() {
    for (int n = 0; n < 256; ++n) {
        nl::Bytes data;
        try {
            data = events_.receive(true);
        } catch (const Error& e) {
            if (e.errnum() == ENOBUFS || e.errnum() == EMSGSIZE) {
                overrun(e.errnum() == ENOBUFS ? "receive queue overrun (ENOBUFS)"
                                              : "an event datagram was truncated");
                continue;
            }
            throw;
        }
        if (data.empty()) break;
        ++stats_.datagrams;
        handle(data);
    }
    if (any_dirty()) refresh();
}

NSNET_LAZY_DEFINITION NSNET_DECL int Monitor::current_receive_buffer() const {
    int v = 0;
    socklen_t len = sizeof v;
    ::getsockopt(events_.fd(), SOL_SOCKET, SO_RCVBUF, &v, &len);
    return v;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::overrun(const std::string& reason) {
    ++stats_.overruns;
    // Events come faster than they are read: give the kernel more room for next time.
    if (options_.max_receive_buffer > 0) {
        int now = current_receive_buffer();
        if (now < options_.max_receive_buffer) {
            int want = std::min(options_.max_receive_buffer, now > 0 ? now * 2 : 1 << 20);
            try {
                events_.set_receive_buffer(want / 2);  // the kernel doubles what it is given
            } catch (const Error&) {
            }
            stats_.receive_buffer = current_receive_buffer();
        }
    }
    // What is still queued is older than the dump about to be taken: drop it.
    std::size_t discarded = 0;
    for (int spins = 0; spins < 100000; ++spins) {
        try {
            if (events_.receive(true).empty()) break;
            ++discarded;
        } catch (const Error& e) {
            if (e.errnum() != ENOBUFS && e.errnum() != EMSGSIZE) throw;
        }
    }
    full_resync(reason, discarded);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::full_resync(const std::string& reason, std::size_t discarded) {
    ++stats_.resyncs;
    MonitorView fresh = monitor_detail::dump_view(dumps_, options_);
    ResyncInfo info{reason, 0, 0, 0, discarded};
    emit_diff(view_, fresh, &info);
    view_ = std::move(fresh);
    dirty_links_ = dirty_addresses_ = dirty_routes_ = dirty_neighbors_ = dirty_rules_ = false;
    queue(EventType::Resync, ObjectKind::Link, true, info, {});
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::refresh() {
    ++stats_.refreshes;
    MonitorOptions only = options_;
    only.links = options_.links && dirty_links_;
    only.addresses = options_.addresses && dirty_addresses_;
    only.routes = options_.routes && dirty_routes_;
    only.neighbors = options_.neighbors && dirty_neighbors_;
    only.rules = options_.rules && dirty_rules_;
    dirty_links_ = dirty_addresses_ = dirty_routes_ = dirty_neighbors_ = dirty_rules_ = false;
    MonitorView fresh;
    if (only.links) {
        MonitorOptions links_only{.links = true, .addresses = false, .routes = false, .neighbors = false, .rules = false};
        fresh.links = monitor_detail::dump_view(dumps_, links_only).links;
        // A link that vanished before its RTM_DELLINK was read takes its addresses, routes and
        // neighbours with it: re-read those too.
        for (const auto& [idx, l] : view_.links)
            if (!fresh.links.count(idx)) {
                only.addresses = options_.addresses;
                only.routes = options_.routes;
                only.neighbors = options_.neighbors;
                only.rules = options_.rules && (only.rules || rules_name_links());
                break;
            }
    }
    MonitorOptions rest = only;
    rest.links = false;
    MonitorView others = monitor_detail::dump_view(dumps_, rest);
    fresh.addresses = std::move(others.addresses);
    fresh.routes = std::move(others.routes);
    fresh.neighbors = std::move(others.neighbors);
    fresh.rules = std::move(others.rules);
    MonitorView old;
    if (only.links) old.links = std::move(view_.links);
    if (only.addresses) old.addresses = std::move(view_.addresses);
    if (only.routes) old.routes = std::move(view_.routes);
    if (only.neighbors) old.neighbors = std::move(view_.neighbors);
    if (only.rules) old.rules = std::move(view_.rules);
    emit_diff(old, fresh, nullptr);
    if (only.links) view_.links = std::move(fresh.links);
    if (only.addresses) view_.addresses = std::move(fresh.addresses);
    if (only.routes) view_.routes = std::move(fresh.routes);
    if (only.neighbors) view_.neighbors = std::move(fresh.neighbors);
    if (only.rules) view_.rules = std::move(fresh.rules);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::emit_diff(const MonitorView& from, const MonitorView& to, ResyncInfo* counts) {
    auto removed = [&](ObjectKind kind, const auto& mf, const auto& mt) {
        for (const auto& [k, v] : mf)
            if (!mt.count(k)) {
                queue(EventType::Deleted, kind, true, v, {});
                if (counts) ++counts->removed;
            }
    };
    auto added = [&](ObjectKind kind, const auto& mf, const auto& mt) {
        for (const auto& [k, v] : mt) {
            auto it = mf.find(k);
            if (it == mf.end()) {
                queue(EventType::New, kind, true, v, {});
                if (counts) ++counts->added;
            } else if (!monitor_detail::same(it->second, v)) {
                queue(EventType::Changed, kind, true, v, it->second);
                if (counts) ++counts->changed;
            }
        }
    };
    removed(ObjectKind::Rule, from.rules, to.rules);
    removed(ObjectKind::Neighbor, from.neighbors, to.neighbors);
    removed(ObjectKind::Route, from.routes, to.routes);
    removed(ObjectKind::Address, from.addresses, to.addresses);
    removed(ObjectKind::Link, from.links, to.links);
    added(ObjectKind::Link, from.links, to.links);
    added(ObjectKind::Address, from.addresses, to.addresses);
    added(ObjectKind::Route, from.routes, to.routes);
    added(ObjectKind::Neighbor, from.neighbors, to.neighbors);
    added(ObjectKind::Rule, from.rules, to.rules);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Monitor::rules_name_links() const {
    for (const auto& [k, r] : view_.rules)
        if (!r.iif.empty() || !r.oif.empty()) return true;
    return false;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::handle(nl::Bytes data) {
    for (nl::MessageView m : nl::MessageRange(data)) {
        ++stats_.messages;
        try {
            handle_message(m);
        } catch (const Error& e) {
            if (e.errnum() != EBADMSG) throw;
            ++stats_.malformed;
            mark_dirty_for(m.type());
        }
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::mark_dirty_for(std::uint16_t type) {
    switch (type) {
        case RTM_NEWLINK: case RTM_DELLINK: dirty_links_ = true; break;
        case RTM_NEWADDR: case RTM_DELADDR: dirty_addresses_ = true; break;
        case RTM_NEWROUTE: case RTM_DELROUTE: dirty_routes_ = true; break;
        case RTM_NEWNEIGH: case RTM_DELNEIGH: dirty_neighbors_ = true; break;
        case RTM_NEWRULE: case RTM_DELRULE: dirty_rules_ = true; break;
        default: break;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::handle_message(const nl::MessageView& m) {
    const bool refresh = options_.refresh_on_silent_changes;
    switch (m.type()) {
        case RTM_NEWLINK:
        case RTM_DELLINK: {
            if (!options_.links) return;
            // Bridge port notifications (AF_BRIDGE) also travel on RTNLGRP_LINK; an AF_BRIDGE
            // RTM_DELLINK means "no longer a bridge port", not "deleted".
            if (m.family_header<ifinfomsg>().ifi_family == AF_BRIDGE) return;
            auto l = rtnl::decode_link(m);
            if (!l) return;
            if (m.type() == RTM_DELLINK) {
                link_deleted(*l, refresh);
                return;
            }
            auto it = view_.links.find(l->index);
            if (refresh) {
                if (it == view_.links.end()) {
                    // A new link's first message can be incomplete (the first end of a veth pair
                    // is announced before its peer exists: IFLA_LINK 0, completed silently).
                    dirty_links_ = true;
                    if (rules_name_links()) dirty_rules_ = true;
                } else {
                    unsigned changed = it->second.flags ^ l->flags;
                    if (changed & (unsigned{IFF_UP} | unsigned{IFF_LOWER_UP} | unsigned{IFF_RUNNING})) {
                        dirty_routes_ = dirty_neighbors_ = dirty_addresses_ = true;
                    }
                    if (it->second.name != l->name && rules_name_links()) dirty_rules_ = true;
                }
            }
            upsert(view_.links, l->index, ObjectKind::Link, std::move(*l));
            return;
        }
        case RTM_NEWADDR:
        case RTM_DELADDR: {
            if (!options_.addresses) return;
            auto a = rtnl::decode_address(m);
            if (!a) return;
            auto key = monitor_detail::key_of(*a);
            if (m.type() == RTM_DELADDR) {
                erase(view_.addresses, key, ObjectKind::Address, false);
                // IPv4 routes preferring this source address are flushed without a message.
                if (refresh && a->prefix.address().is_v4()) dirty_routes_ = true;
            } else {
                upsert(view_.addresses, key, ObjectKind::Address, std::move(*a));
            }
            return;
        }
        case RTM_NEWROUTE:
        case RTM_DELROUTE: {
            if (!options_.routes) return;
            auto r = rtnl::decode_route(m);
            if (!r || (r->flags & RTM_F_CLONED)) return;
            auto key = monitor_detail::key_of(*r);
            if (m.type() == RTM_DELROUTE) {
                auto it = view_.routes.find(key);
                // One path of an IPv6 multipath route deleted: the rest stays; re-read it.
                if (it != view_.routes.end() && !monitor_detail::same(it->second, *r) && !it->second.paths.empty() &&
                    refresh) {
                    dirty_routes_ = true;
                    return;
                }
                erase(view_.routes, key, ObjectKind::Route, false);
            } else {
                // A replace may have changed a route kept under another key (IPv4 nexthop).
                if (refresh && (m.flags() & NLM_F_REPLACE)) dirty_routes_ = true;
                upsert(view_.routes, key, ObjectKind::Route, std::move(*r));
            }
            return;
        }
        case RTM_NEWNEIGH:
        case RTM_DELNEIGH: {
            if (!options_.neighbors) return;
            auto n = rtnl::decode_neighbor(m);
            if (!n || !monitor_detail::tracked(*n)) return;
            auto key = monitor_detail::key_of(*n);
            if (m.type() == RTM_DELNEIGH) erase(view_.neighbors, key, ObjectKind::Neighbor, false);
            else upsert(view_.neighbors, key, ObjectKind::Neighbor, std::move(*n));
            return;
        }
        case RTM_NEWRULE:
        case RTM_DELRULE: {
            if (!options_.rules) return;
            auto r = rtnl::decode_rule(m);
            if (!r) return;
            auto key = monitor_detail::key_of(*r);
            if (m.type() == RTM_DELRULE) erase(view_.rules, key, ObjectKind::Rule, false);
            else upsert(view_.rules, key, ObjectKind::Rule, std::move(*r));
            return;
        }
        case RTM_NEWNEXTHOP:
        case RTM_DELNEXTHOP:
            // Routes using a nexthop object change or vanish with it, not always with a message.
            if (options_.routes && refresh) dirty_routes_ = true;
            return;
        default:
            return;  // NLMSG_NOOP, NLMSG_DONE, ... nothing for a monitor
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Monitor::link_deleted(const rtnl::LinkInfo& l, bool refresh) {
    const int idx = l.index;
    if (!view_.links.count(idx)) return;
    std::vector<std::string> gone;
    for (const auto& [k, n] : view_.neighbors)
        if (n.index == idx) gone.push_back(k);
    for (const auto& k : gone) erase(view_.neighbors, k, ObjectKind::Neighbor, true);
    gone.clear();
    for (const auto& [k, r] : view_.routes)
        if (monitor_detail::route_uses(r, idx)) gone.push_back(k);
    for (const auto& k : gone) erase(view_.routes, k, ObjectKind::Route, true);
    gone.clear();
    for (const auto& [k, a] : view_.addresses)
        if (a.index == idx) gone.push_back(k);
    for (const auto& k : gone) erase(view_.addresses, k, ObjectKind::Address, true);
    erase(view_.links, idx, ObjectKind::Link, false);
    if (refresh) {
        dirty_routes_ = true;  // multipath routes lose a path; prefsrc routes go silently
        if (rules_name_links()) dirty_rules_ = true;
    }
}

}  // namespace nsnet
