// examples/labs/world.hpp — the simulated outside world of LABS.md's ground rules.
//
// Where the tutorial plugs a physical NIC (`ens41`) into a LAN with a router and the internet
// behind it, a lab builds this instead, entirely in namespaces it creates:
//
//     ns1 (the lab's)           lan                                    internet
//     +-----------+    veth     +------------------------------+ veth  +------------------+
//     | ens41 ----+-------------+- port1   bridge `switch`      |       |                  |
//     +-----------+             |          GATEWAY (10.40.1.254/24)    |                  |
//                               | isp 198.51.100.1/24 ---------+-------+- eth0             |
//                               | ip_forward=1                 |       |  198.51.100.8/24 |
//                               +------------------------------+       |  default via .1  |
//                                                                      +------------------+
//
// `lan` is the physical switch and the router at once: the gateway address sits on the bridge, the
// internet host 198.51.100.8 (TEST-NET-2, standing in for the tutorial's 8.8.8.8) is one routed hop
// away. ens41 starts in `lan` (unconfigured, down) unless WorldOptions::uplink_netns says where,
// so a lab can mirror the tutorial's `ip link set ens41 netns ns1` with world.move_ens41(ns1).
// Extra pieces some labs need: a host behind the router in another subnet (ipvlan-l3's 10.40.1.1),
// a host on the switch itself (docker-bridge's browser), and routes on the router.
//
// Every object is owned by the lab's Context (removed when the lab ends, kept with --keep).
#pragma once

#include <string>
#include <vector>

#include <nsnet/nsnet.hpp>
#include <nsnet/sysctl.hpp>

#include "lab.hpp"

namespace lab {

struct WorldOptions {
    std::string gateway = "10.40.1.254/24";  // the router's address on `switch`: the labs' default gateway
    std::string uplink = "ens41";            // the name of the near end (the tutorial's NIC)
    nsnet::NetnsRef uplink_netns{};          // where ens41 is created; empty: in `lan`, for the lab to move
    std::string internet_host = "198.51.100.8/24";
    std::string internet_router = "198.51.100.1/24";
};

class World {
public:
    // The lan namespace (switch + router), the internet namespace, and the cable.
    nsnet::Netns& lan() { return *lan_; }
    nsnet::Netns& internet() { return *internet_; }
    nsnet::Bridge& switch_bridge() { return *switch_; }
    // The switch port the cable is plugged into (in lan): where hairpin (VEPA reflection) is set.
    const nsnet::Link& port1() const { return cable_->first(); }
    // The tutorial's NIC: the near end of the cable.
    const nsnet::Link& ens41() const { return cable_->second(); }
    // ip link set ens41 netns NS: the cable's handle of ens41 follows it.
    void move_ens41(const nsnet::NetnsRef& ns) { cable_->set_netns(cable_->second(), ns); }
    // "10.40.1.254" (no prefix): what the labs' default routes point at.
    std::string gateway() const { return gateway_.address().to_string(); }
    const nsnet::Prefix& gateway_prefix() const { return gateway_; }
    // "198.51.100.8": the internet host the labs ping (the tutorial's 8.8.8.8).
    std::string internet_host() const { return internet_host_.address().to_string(); }

    // ip route add DST via VIA, on the lan router (e.g. the return route of the ipvlan-l3 lab).
    void add_route(const std::string& dst, const std::string& via) {
        nsnet::Route::create(*lan_, {.dst = dst, .via = via}).persist();
    }
    void remove_route(const std::string& dst, const std::string& via) {
        nsnet::Route::remove(*lan_, {.dst = dst, .via = via});
    }

    // A host in its own namespace (ctx.netns(base)) behind the router in another subnet: a veth
    // `eth0` there with `host_cidr`, the router's side (`lh-<n>` in lan) with `router_cidr`, and
    // the host's default route via the router. ipvlan-l3: add_routed_host("lanhost", "10.40.1.1/24", "10.40.1.254/24").
    nsnet::Netns& add_routed_host(const std::string& base, const std::string& host_cidr, const std::string& router_cidr) {
        nsnet::Netns& ns = ctx_->netns(base);
        nsnet::Link::loopback(ns).up();
        std::string router_side = "lh" + std::to_string(++hosts_);
        auto& v = ctx_->own(nsnet::VethPair::create(*lan_, {.name = router_side, .peer = {.name = "eth0", .netns = ns}}));
        v.first().add_address(router_cidr);
        v.second().add_address(host_cidr);
        v.first().up();
        v.second().up();
        nsnet::Route::create(ns, {.dst = "default", .via = nsnet::Prefix::parse(router_cidr).address().to_string()}).persist();
        ctx_->wait_until_up(v.first());
        ctx_->wait_until_up(v.second());
        return ns;
    }

    // A host in its own namespace (ctx.netns(base)) plugged into the switch: `eth0` with `cidr`
    // (in the gateway's subnet), default route via the gateway. docker-bridge's browser.
    nsnet::Netns& add_switch_host(const std::string& base, const std::string& cidr) {
        nsnet::Netns& ns = ctx_->netns(base);
        nsnet::Link::loopback(ns).up();
        std::string port = "port" + std::to_string(++ports_ + 1);
        auto& v = ctx_->own(nsnet::VethPair::create(*lan_, {.name = port, .peer = {.name = "eth0", .netns = ns}}));
        switch_->add_port(v.first());
        v.first().up();
        v.second().add_address(cidr);
        v.second().up();
        nsnet::Route::create(ns, {.dst = "default", .via = gateway()}).persist();
        ctx_->wait_until_up(v.first());
        ctx_->wait_until_up(v.second());
        return ns;
    }

    // Waits until ens41 (once the lab brought it up), port1 and the switch are operationally up:
    // carrier reaches the bridge asynchronously, and a packet sent before would be lost.
    bool settle() {
        bool ok = ctx_->wait_until_up(ens41());
        ok = ctx_->wait_until_up(port1()) && ok;
        return ctx_->wait_until_up(*switch_) && ok;
    }

private:
    friend World make_world(Context& ctx, const WorldOptions& o);
    Context* ctx_ = nullptr;
    nsnet::Netns* lan_ = nullptr;
    nsnet::Netns* internet_ = nullptr;
    nsnet::Bridge* switch_ = nullptr;
    nsnet::VethPair* cable_ = nullptr;
    nsnet::Prefix gateway_{};
    nsnet::Prefix internet_host_{};
    int hosts_ = 0;
    int ports_ = 0;
};

// Builds lan + internet (LABS.md, "Ground rules"). Prints nothing; labs show() what they like.
inline World make_world(Context& ctx, const WorldOptions& o = {}) {
    World w;
    w.ctx_ = &ctx;
    w.gateway_ = nsnet::Prefix::parse(o.gateway);
    w.internet_host_ = nsnet::Prefix::parse(o.internet_host);

    // The physical switch, and the router behind it.
    w.lan_ = &ctx.netns("lan");
    nsnet::Link::loopback(*w.lan_).up();
    w.switch_ = &ctx.own(nsnet::Bridge::create(*w.lan_, {.name = "switch"}));
    w.switch_->add_address(o.gateway);
    w.switch_->up();
    nsnet::set_ip_forward(*w.lan_, true);

    // The cable: port1 on the switch, ens41 at the other end (down, unconfigured, as a NIC is).
    nsnet::NetnsRef near = o.uplink_netns.valid() ? o.uplink_netns : nsnet::NetnsRef(*w.lan_);
    w.cable_ = &ctx.own(nsnet::VethPair::create(*w.lan_, {.name = "port1", .peer = {.name = o.uplink, .netns = near}}));
    w.switch_->add_port(w.port1());
    w.port1().up();

    // The internet: one host, routed through the lan router.
    w.internet_ = &ctx.netns("internet");
    nsnet::Link::loopback(*w.internet_).up();
    auto& isp = ctx.own(nsnet::VethPair::create(*w.lan_, {.name = "isp", .peer = {.name = "eth0", .netns = *w.internet_}}));
    isp.first().add_address(o.internet_router);
    isp.second().add_address(o.internet_host);
    isp.first().up();
    isp.second().up();
    nsnet::Route::create(*w.internet_, {.dst = "default", .via = nsnet::Prefix::parse(o.internet_router).address().to_string()}).persist();
    ctx.wait_until_up(isp.first());
    ctx.wait_until_up(isp.second());
    return w;
}

}  // namespace lab
