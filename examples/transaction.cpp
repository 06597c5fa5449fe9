// A multi-step setup that succeeds as a whole or leaves nothing behind: the second Transaction
// fails at its last step and undoes the namespace, veth and address it had made.
// Run as root: transaction [PREFIX]
#include <nsnet/nsnet.hpp>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    auto exists = [](const std::string& name) {                  // ip netns list | grep NAME
        auto all = nsnet::Netns::list();
        return std::find(all.begin(), all.end(), name) != all.end();
    };
    try {
        nsnet::Transaction tx;
        auto& gw = tx.add("create gw", [&] { return nsnet::Netns::create(p + "gw"); });     // ip netns add Pgw
        auto& n1 = tx.add("create n1", [&] { return nsnet::Netns::create(p + "n1"); });
        auto& veth = tx.add("create veth", [&] {                 // ip -n Pgw link add veth-n1 type veth peer ...
            return nsnet::VethPair::create(gw, {.name = "veth-n1", .peer = {.name = "eth0", .netns = n1}});
        });
        tx.add_address(veth.first(), "10.0.1.1/24");             // undo: ip addr del
        tx.add_address(veth.second(), "10.0.1.2/24");
        tx.step("links up", [&] { veth.first().up(); veth.second().up(); });
        tx.create_route(n1, {.dst = "default", .via = "10.0.1.1"});    // ip -n Pn1 route add default via 10.0.1.1
        tx.set_sysctl(gw, "net.ipv4.ip_forward", "1");           // ip netns exec Pgw sysctl -w ...; undo: old value
        tx.commit();
        std::printf("committed %zu steps: Pgw and Pn1 exist: %d\n", tx.size(), exists(p + "gw") && exists(p + "n1"));

        try {
            nsnet::Transaction broken;
            auto& ns = broken.add("create n2", [&] { return nsnet::Netns::create(p + "n2"); });
            auto& v = broken.add("create veth", [&] {
                return nsnet::VethPair::create(ns, {.name = "a", .peer = {.name = "b"}});
            });
            broken.add_address(v.first(), "10.0.2.1/24");
            broken.add_address(v.first(), "10.0.2.1/24");        // the same address again: the kernel refuses
            std::puts("FAIL: the duplicate address was accepted");
            return 1;
        } catch (const nsnet::TransactionError& e) {
            std::printf("rolled back: %s\n", e.what());
            if (exists(p + "n2")) { std::puts("FAIL: the rollback left Pn2"); return 1; }
        }
        return exists(p + "gw") ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // ~Transaction (tx): removes the route, veth and namespaces newest first
}
