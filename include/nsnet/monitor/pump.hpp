// nsnet/monitor/pump.hpp — Monitor: typed link/address/route/neighbour/rule events of a namespace
// (`ip monitor`), that converge to the kernel's state even when the kernel drops events.
//
// Layer: typed objects. A Monitor opens an rtnetlink socket inside the namespace, joins the
// multicast groups of the kinds asked for, *then* dumps the current state into its own view (so
// nothing that happens in between is missed), and turns every kernel message into an event:
// New / Changed / Deleted with the decoded object (rtnl::LinkInfo, AddressInfo, RouteInfo,
// Neighbor, Rule). Messages that change nothing in the view are not delivered.
//
// Overruns. When events arrive faster than they are read, the kernel drops them and reports
// ENOBUFS once. Peers lose those events silently or give up. The Monitor instead discards what is
// still queued (older than what it is about to read), dumps every tracked table again through a
// second socket, delivers the difference against its view as synthetic events (synthetic=true),
// then a Resync event with the counts. A consumer that applies every event it receives therefore
// always converges to the kernel's state. resync() does the same on demand. After an overrun the
// receive buffer doubles (up to MonitorOptions::max_receive_buffer), so a burst rarely overruns twice.
//
// Silent kernel changes. The kernel does not report everything: IPv4 routes vanish without a
// message when their device goes down or their preferred source address is deleted, nexthop
// removals take routes with them, rules naming an interface change their "detached" flag when it
// appears, IPv6 addresses change flags on link down, a veth's first end learns its peer's index
// (IFLA_LINK) only after its own announcement. After such a trigger (link up/down/carrier,
// link created/deleted/renamed, IPv4 address deleted, nexthop event, a route replaced), the Monitor
// re-dumps the affected tables once the socket is drained and delivers the difference as synthetic
// events (no Resync marker). Dependents of a deleted link are deleted first (synthetic).
//
// Not tracked: proxy neighbour entries (the kernel sends no events for them), neighbour entries of
// multicast addresses (NOARP entries the kernel creates and drops on MLD/IGMP timers, silently),
// bridge FDB entries (AF_BRIDGE, see fdb.hpp), nexthop objects (used only as a trigger), IPv4/IPv6
// multicast routing.
//
// Use it either way:
//   blocking:  while (auto e = mon.next(1s)) print(*e);      or  mon.run(callback, stop_token);
//   pollable:  poll mon.fd() for POLLIN, then mon.poll_events(callback) (never blocks).
// A Monitor is not thread-safe: use it from one thread at a time (run() on a worker is fine).
#pragma once

#include "nsnet/ip.hpp"  // first: <arpa/inet.h>/<net/if.h> before any <linux/...> header

#include <poll.h>
#include <sys/eventfd.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/detail/std_function.hpp"
#include "nsnet/error.hpp"
#include "nsnet/monitor/event.hpp"
#include "nsnet/monitor/view.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/nexthop.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

#ifndef RTNLGRP_NEXTHOP
#define RTNLGRP_NEXTHOP 32
#endif

namespace nsnet {

// Counters of a Monitor since open() (Monitor::stats()).
struct MonitorStats {
    std::uint64_t datagrams = 0;   // read from the event socket
    std::uint64_t messages = 0;    // kernel messages in them
    std::uint64_t events = 0;      // events delivered (including synthetic ones)
    std::uint64_t synthetic = 0;   // of which synthetic
    std::uint64_t overruns = 0;    // ENOBUFS (or truncated datagram) seen
    std::uint64_t resyncs = 0;     // full re-dumps
    std::uint64_t refreshes = 0;   // partial re-dumps after silent-change triggers
    std::uint64_t malformed = 0;   // messages that did not decode (their table is refreshed)
    int receive_buffer = 0;        // the event socket's SO_RCVBUF now (as the kernel reports it)
};

// `ip monitor` for one namespace: events that converge to the kernel's state (see the top of this file).
class Monitor {
public:
    // What poll_events() and run() call for each event.
    using Callback = std::function<void(const MonitorEvent&)>;

    Monitor() = default;

    // ip monitor link address route neigh rule, in `ns`. Subscribes first, then dumps the current
    // state (the view); with options.initial_events that state is delivered as New events.
    NSNET_LAZY static Monitor open(const NetnsRef& ns, const MonitorOptions& options = {});

    // The event socket's descriptor: poll it for POLLIN, then call poll_events().
    int fd() const noexcept { return events_.fd(); }
    const NetnsRef& netns() const noexcept { return ns_; }  // the namespace watched
    // The Monitor's current picture of the kernel's tables (what a consumer applying every
    // delivered event has).
    const MonitorView& view() const noexcept { return view_; }
    const MonitorStats& stats() const noexcept { return stats_; }        // counters since open()
    const MonitorOptions& options() const noexcept { return options_; }  // as given to open()

    // The next event; waits up to `timeout` (negative: forever). nullopt on timeout.
    NSNET_LAZY std::optional<MonitorEvent> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));

    // Handles everything queued without blocking and calls `callback` for each event; returns
    // how many were delivered.
    NSNET_LAZY std::size_t poll_events(const Callback& callback);

    // Delivers events to `callback` until `stop` is requested (checked between events; a stop
    // request wakes the wait at once).
    NSNET_LAZY void run(const Callback& callback, std::stop_token stop);

    // Re-dumps every table now and queues the differences (synthetic) and a Resync event.
    NSNET_LAZY void resync(const std::string& reason = "requested") { full_resync(reason, 0); }

private:
    NSNET_LAZY MonitorEvent pop();

    NSNET_LAZY void queue(EventType type, ObjectKind kind, bool synthetic, MonitorObject obj, MonitorObject prev);

    // Reads what is queued (never blocks; at most a batch of datagrams, so a flood of events
    // cannot keep it from delivering) and turns it into pending events; then runs the refreshes
    // that silent-change triggers asked for.
    NSNET_LAZY void pump();

    NSNET_LAZY int current_receive_buffer() const;

    NSNET_LAZY void overrun(const std::string& reason);

    NSNET_LAZY void full_resync(const std::string& reason, std::size_t discarded);

    bool any_dirty() const noexcept {
        return dirty_links_ || dirty_addresses_ || dirty_routes_ || dirty_neighbors_ || dirty_rules_;
    }

    // Re-dumps the tables marked dirty and queues the differences (synthetic, no Resync marker).
    NSNET_LAZY void refresh();

    // Queues synthetic events turning `from` into `to`: removals first (dependents before links),
    // then additions and changes (links first).
    NSNET_LAZY void emit_diff(const MonitorView& from, const MonitorView& to, ResyncInfo* counts);

    // Stores a reported object; queues New or Changed unless nothing changed.
    template <class Map, class Key, class T>
    void upsert(Map& map, const Key& key, ObjectKind kind, T obj);
    // Removes a reported object; queues Deleted (with the view's copy) if the view had it.
    template <class Map, class Key>
    bool erase(Map& map, const Key& key, ObjectKind kind, bool synthetic);

    NSNET_LAZY bool rules_name_links() const;

    NSNET_LAZY void handle(nl::Bytes data);

    NSNET_LAZY void mark_dirty_for(std::uint16_t type);

    NSNET_LAZY void handle_message(const nl::MessageView& m);

    // A link is gone: its addresses, neighbours and routes are gone with it (deleted first, as
    // synthetic events where the kernel did not report them), then the link itself.
    NSNET_LAZY void link_deleted(const rtnl::LinkInfo& l, bool refresh);

    NetnsRef ns_{};
    MonitorOptions options_{};
    nl::Socket events_{};
    nl::Socket dumps_{};
    MonitorView view_;  // not `view_{}`: see DEVELOPERS.md, "Lazy bodies"
    std::deque<MonitorEvent> pending_{};
    MonitorStats stats_{};
    bool dirty_links_ = false, dirty_addresses_ = false, dirty_routes_ = false, dirty_neighbors_ = false,
         dirty_rules_ = false;
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/monitor/pump.ipp"
#endif
