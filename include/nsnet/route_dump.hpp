// nsnet/route_dump.hpp — for_each_route: `ip route show table all`, streamed in flat memory.
//
// Layer: typed objects, over nl::dump.
//
//   std::size_t n = nsnet::for_each_route(ns, [](const nsnet::RouteInfo& r) { ... });
//
// Route::list (route.hpp) collects into a vector and names devices; this calls a function per
// route as it is decoded, for tables too large to hold twice.
#pragma once

#include <cstdint>
#include <cstddef>
#include <optional>

#include "nsnet/detail/function_ref.hpp"
#include "nsnet/detail/std_function.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/route.hpp"

namespace nsnet {

// What for_each_route streams.
struct RouteDumpOptions {
    std::optional<Family> family{};       // unset: IPv4, then IPv6
    std::uint32_t table = 0;              // 0: every table; else only this one (254: main)
    bool include_cloned = false;          // also RTM_F_CLONED entries (route-cache exceptions)
    // The kernel marked the dump inconsistent (a route changed while it was read) and it starts
    // over: forget what fn was given. Without it, an interrupted dump throws Error(EINTR).
    std::function<void()> on_restart{};
};

// ip route show table all, streamed: fn(const RouteInfo&) is called for every route as it is decoded
// from the receive buffer, and nothing is collected, so memory stays flat however large the table
// (Route::list() collects into a vector and fills in device names; here RouteInfo::dev is empty).
// Returns how many routes fn saw. fn runs while the namespace's shared socket is held: it must not
// make nsnet calls on the same namespace.
//
// Cost (100,000 routes of table main): each route is decoded in place into one reused RouteInfo, and
// with a table given the kernel is asked to send only that table (see detail::dump_routes).
template <class Fn>
std::size_t for_each_route(const NetnsRef& ns, Fn&& fn, const RouteDumpOptions& o = {}) {
    std::size_t n = 0;
    RouteInfo scratch;
    auto restart = [&] {
        n = 0;
        o.on_restart();
    };
    for (Family f : {Family::V4, Family::V6}) {
        if (o.family && *o.family != f) continue;
        ns.with_rtnl([&](nl::Socket& s) {
            detail::dump_routes(
                s, f, o.table, o.include_cloned, "list routes", scratch,
                [&](const RouteInfo& r) {
                    if (o.table && r.table != o.table) return;
                    if (!o.include_cloned && (r.flags & RTM_F_CLONED)) return;
                    ++n;
                    fn(r);
                },
                o.on_restart ? detail::FunctionRef<void()>(restart) : detail::FunctionRef<void()>());
        });
    }
    return n;
}

}  // namespace nsnet
