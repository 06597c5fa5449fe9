// A bridge with two ports, each the end of a veth pair whose other end is in its own namespace:
// the tutorial's bridge lab in a few lines. Run as root: bridge_ports [PREFIX]
#include <nsnet/nsnet.hpp>
#include <nsnet_probe/probe.hpp>  // nsnet::ping
#include <unistd.h>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto sw = nsnet::Netns::create(p + "sw");                // ip netns add Psw   (the switch)
        auto a = nsnet::Netns::create(p + "a");                  // ip netns add Pa
        auto b = nsnet::Netns::create(p + "b");

        // ip -n Psw link add br0 type bridge; ip -n Psw addr add 172.16.10.100/24 dev br0; ... up
        auto br = nsnet::Bridge::create(sw, {.name = "br0"});
        br.add_address("172.16.10.100/24");
        br.up();

        // ip -n Psw link add port-a type veth peer name eth0 netns Pa; ip -n Psw link set port-a master br0 up
        auto va = nsnet::VethPair::create(sw, {.name = "port-a", .peer = {.name = "eth0", .netns = a}});
        auto vb = nsnet::VethPair::create(sw, {.name = "port-b", .peer = {.name = "eth0", .netns = b}});
        br.add_port(va.first());
        br.add_port(vb.first(), {.hairpin = false});             // ... type bridge_slave hairpin off
        va.first().up();
        vb.first().up();
        va.second().add_address("172.16.10.10/24");              // ip -n Pa addr add 172.16.10.10/24 dev eth0
        vb.second().add_address("172.16.10.20/24");
        va.second().up();
        vb.second().up();

        std::printf("br0 has %zu ports\n", br.ports().size());   // ip -n Psw link show master br0
        auto ab = nsnet::ping(a, "172.16.10.20", {.count = 2});  // ip netns exec Pa ping -c 2 172.16.10.20
        auto ag = nsnet::ping(a, "172.16.10.100", {.count = 2}); // ... and the bridge's own address
        std::printf("a -> b: %s\na -> br0: %s\n", ab.summary().c_str(), ag.summary().c_str());
        return br.ports().size() == 2 && ab.all_answered() && ag.all_answered() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // veths, bridge and namespaces are removed here, newest first
}
