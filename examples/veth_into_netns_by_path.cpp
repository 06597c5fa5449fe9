// A veth pair with one end moved into a namespace that is known only by a path: what a container
// runtime does with /proc/PID/ns/net of the container's first process (or /run/netns/NAME).
// Run as root: veth_into_netns_by_path [PREFIX]   (namespaces are PREFIX+host, PREFIX+ctr)
#include <nsnet/nsnet.hpp>
#include <nsnet_probe/probe.hpp>  // nsnet::ping
#include <unistd.h>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto host = nsnet::Netns::create(p + "host");            // ip netns add Phost (stands in for the host)
        auto ctr_ns = nsnet::Netns::create(p + "ctr");           // the "container" (made here to stay throwaway)
        // The container's first process: `ip netns exec Pctr sleep 60 &`.
        auto init = ctr_ns.spawn({"sleep", "60"});
        // Open the namespace by path, as a runtime knows it: /proc/PID/ns/net (or /run/netns/NAME).
        auto ctr = nsnet::NetnsRef::open_path("/proc/" + std::to_string(init.pid()) + "/ns/net");
        if (!(ctr == ctr_ns)) { std::puts("FAIL: /proc/PID/ns/net is not the container's namespace"); return 1; }

        // ip -n Phost link add veth-ctr type veth peer name eth0 netns /proc/PID/ns/net
        auto veth = nsnet::VethPair::create(host, {.name = "veth-ctr", .peer = {.name = "eth0", .netns = ctr}});
        veth.first().add_address("10.200.0.1/24");               // ip -n Phost addr add 10.200.0.1/24 dev veth-ctr
        veth.second().add_address("10.200.0.2/24");              // nsenter -t PID -n ip addr add 10.200.0.2/24 dev eth0
        veth.first().up();                                       // ip -n Phost link set veth-ctr up
        veth.second().up();
        nsnet::Link::loopback(ctr).up();                         // nsenter -t PID -n ip link set lo up

        auto r = nsnet::ping(host, "10.200.0.2", {.count = 2});  // ip netns exec Phost ping -c 2 10.200.0.2
        std::printf("host -> container eth0: %s\n", r.summary().c_str());
        return r.all_answered() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // the veth, the sleep process and both namespaces are removed on the way out
}
