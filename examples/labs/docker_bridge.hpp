// examples/labs/docker_bridge.hpp — the docker-bridge lab's setup, callable on its own: the lab
// (docker_bridge.cpp) runs it between its checks, and tests/integration/fault_walk_test.cpp makes
// every system call of it fail in turn to see that a failed setup leaves nothing behind.
//
// Each tutorial command is quoted above the nsnet call that does it; the picture of the simulated
// outside world is in docker_bridge.cpp. Everything is created through the lab's Context (its
// transaction), so whatever step fails, the Context removes what the steps before it created.
#pragma once

#include <initializer_list>
#include <utility>

#include "lab.hpp"

namespace docker_bridge {

// What build() made, owned by the Context.
struct Topology {
    nsnet::Netns* lan = nullptr;
    nsnet::Netns* internet = nullptr;
    nsnet::Netns* browser = nullptr;
    nsnet::Netns* docker = nullptr;
    nsnet::Netns* nginx = nullptr;
    nsnet::Netns* gitlab = nullptr;
    nsnet::Bridge* sw = nullptr;       // the lan's switch
    nsnet::Bridge* docker0 = nullptr;
    nsnet::VethPair* inet = nullptr;   // wan0 (lan) - eth0 (internet)
    nsnet::VethPair* pc = nullptr;     // port2 (lan) - eth0 (browser)
    nsnet::VethPair* uplink = nullptr; // ens41 (docker) - port1 (lan)
    nsnet::VethPair* vn = nullptr;     // veth-nginx (docker) - eth0 (nginx)
    nsnet::VethPair* vg = nullptr;     // veth-gitlab (docker) - eth0 (gitlab)
};

// The simulated world, then the tutorial's namespaces, links, addresses, routes and ip_forward.
inline Topology build(lab::Context& ctx) {
    using namespace nsnet;

    // --- The simulated outside world (not in the tutorial: its host had a real NIC and network) ---
    auto& lan = ctx.netns("lan");
    auto& internet = ctx.netns("internet");
    auto& browser = ctx.netns("browser");
    Link::loopback(lan).up();
    Link::loopback(internet).up();
    Link::loopback(browser).up();
    auto& sw = ctx.own(Bridge::create(lan, {.name = "switch"}));
    sw.add_address("192.168.54.51/24");  // the tutorial's gateway
    sw.up();
    auto& inet = ctx.own(VethPair::create(lan, {.name = "wan0", .peer = {.name = "eth0", .netns = internet}}));
    inet.first().add_address("198.51.100.1/24");
    inet.first().up();
    inet.second().add_address("198.51.100.8/24");
    inet.second().up();
    Route::create(internet, {.dst = "default", .via = "198.51.100.1"}).persist();
    set_ip_forward(lan, true);
    auto& pc = ctx.own(VethPair::create(lan, {.name = "port2", .peer = {.name = "eth0", .netns = browser}}));
    pc.first().set_master(sw);
    pc.first().up();
    pc.second().add_address("192.168.54.100/24");
    pc.second().up();

    // --- The tutorial ---
    // ip netns add docker; ip netns add nginx; ip netns add gitlab
    auto& docker = ctx.netns("docker");
    auto& nginx = ctx.netns("nginx");
    auto& gitlab = ctx.netns("gitlab");

    // ip netns exec docker ip link set lo up   (and nginx, gitlab)
    Link::loopback(docker).up();
    Link::loopback(nginx).up();
    Link::loopback(gitlab).up();

    // ip link set ens41 netns docker
    // (ens41 is born in docker as one end of a veth whose other end, port1, is a port of the lan's
    // switch: the lab never touches the namespace it was started in)
    auto& uplink = ctx.own(VethPair::create(docker, {.name = "ens41", .peer = {.name = "port1", .netns = lan}}));
    uplink.second().set_master(sw);
    uplink.second().up();

    // ip netns exec docker bash
    // ip address add 192.168.54.230/24 dev ens41
    const Link& ens41 = uplink.first();
    ens41.add_address("192.168.54.230/24");
    // ip link set ens41 up
    ens41.up();
    // ip route add default via 192.168.54.51 dev ens41
    Route::create(docker, {.dst = "default", .via = "192.168.54.51", .dev = ens41}).persist();

    // ip link add docker0 type bridge
    auto& docker0 = ctx.own(Bridge::create(docker, {.name = "docker0"}));
    // ip address add 172.17.0.1/16 dev docker0
    docker0.add_address("172.17.0.1/16");
    // ip link set docker0 up
    docker0.up();

    // ip link add veth-nginx type veth peer name eth0
    // ip link set veth-nginx master docker0
    // ip link set veth-nginx up
    // ip link set eth0 netns nginx
    // (one request creates veth-nginx in docker and eth0 directly in nginx)
    auto& vn = ctx.own(VethPair::create(docker, {.name = "veth-nginx", .peer = {.name = "eth0", .netns = nginx}}));
    vn.first().set_master(docker0);
    vn.first().up();

    // ip link add veth-gitlab type veth peer name eth0
    // ip link set veth-gitlab master docker0
    // ip link set veth-gitlab up
    // ip link set eth0 netns gitlab
    auto& vg = ctx.own(VethPair::create(docker, {.name = "veth-gitlab", .peer = {.name = "eth0", .netns = gitlab}}));
    vg.first().set_master(docker0);
    vg.first().up();

    // ip netns exec nginx bash
    // ip address add 172.17.10.10/16 dev eth0
    vn.second().add_address("172.17.10.10/16");
    // ip link set eth0 up
    vn.second().up();
    // ip route add default via 172.17.0.1 dev eth0
    Route::create(nginx, {.dst = "default", .via = "172.17.0.1", .dev = vn.second()}).persist();

    // ip netns exec gitlab bash
    // ip address add 172.17.10.20/16 dev eth0
    vg.second().add_address("172.17.10.20/16");
    // ip link set eth0 up
    vg.second().up();
    // ip route add default via 172.17.0.1 dev eth0
    Route::create(gitlab, {.dst = "default", .via = "172.17.0.1", .dev = vg.second()}).persist();

    // (implicit in the tutorial: its host forwards, as Docker sets net.ipv4.ip_forward=1; a new
    // namespace starts with 0)
    set_ip_forward(docker, true);

    return Topology{&lan, &internet, &browser, &docker, &nginx, &gitlab, &sw, &docker0, &inet, &pc, &uplink, &vn, &vg};
}

// iptables -P FORWARD ACCEPT
inline nsnet::firewall::ForwardPolicy& forward_accept(lab::Context& ctx, const Topology& t) {
    return ctx.own(nsnet::firewall::ForwardPolicy::create(*t.docker, nsnet::firewall::Verdict::Accept));
}

// iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
inline nsnet::firewall::Masquerade& masquerade(lab::Context& ctx, const Topology& t) {
    return ctx.own(nsnet::firewall::Masquerade::create(*t.docker, {.saddr = "172.17.0.0/16", .oif = "docker0", .oif_negate = true}));
}

// iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.10.10:80
// iptables -t nat -A PREROUTING -p tcp --dport 9090 -j DNAT --to-destination 172.17.10.20:80
// (one nf_tables batch: both forwards or neither). Returns {nginx's, gitlab's}.
inline std::pair<nsnet::firewall::Dnat*, nsnet::firewall::Dnat*> port_forwards(lab::Context& ctx, const Topology& t) {
    using namespace nsnet::firewall;
    Batch forwards(*t.docker);
    auto web = forwards.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 8080,
                                        .to = "172.17.10.10", .to_port = 80});
    auto git = forwards.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 9090,
                                        .to = "172.17.10.20", .to_port = 80});
    forwards.commit();
    auto& nginx_fwd = ctx.own(std::move(web));
    auto& gitlab_fwd = ctx.own(std::move(git));
    return {&nginx_fwd, &gitlab_fwd};
}

// Everything above, in the lab's order, without its checks (the fault-injection walk's setup).
inline Topology setup_all(lab::Context& ctx) {
    Topology t = build(ctx);
    forward_accept(ctx, t);
    masquerade(ctx, t);
    port_forwards(ctx, t);
    return t;
}

}  // namespace docker_bridge
