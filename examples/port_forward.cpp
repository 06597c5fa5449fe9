// A port forward (DNAT): connections to port 8080 of the server's namespace go to port 80, where a
// small HTTP server answers. The rule is persisted with an owner tag, and removed by that tag, as
// a later process (a container runtime's DEL) would. Run as root: port_forward [PREFIX]
#include <nsnet/nsnet.hpp>
#include <nsnet_probe/probe.hpp>  // nsnet::HttpServer, nsnet::http_get
#include <unistd.h>
#include <cstdio>
#include <string>

namespace fw = nsnet::firewall;

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto client = nsnet::Netns::create(p + "client");        // ip netns add Pclient
        auto server = nsnet::Netns::create(p + "server");        // ip netns add Pserver
        auto veth = nsnet::VethPair::create(client, {.name = "eth0", .peer = {.name = "eth0", .netns = server}});
        veth.first().add_address("10.0.0.1/24");                 // ip -n Pclient addr add 10.0.0.1/24 dev eth0
        veth.second().add_address("10.0.0.2/24");
        veth.first().up();
        veth.second().up();
        // python3 -m http.server 80, inside Pserver, serving one file
        auto web = nsnet::HttpServer::serve(server, 80, {{"/hello.txt", "hello through the forward\n"}});

        // ip netns exec Pserver nft add rule inet nsnet prerouting tcp dport 8080 counter
        //     dnat ip to 10.0.0.2:80 comment "owner:web1 ..."
        // (iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80)
        auto fwd = fw::Rule::create(server, {.hook = fw::Hook::Prerouting,
                                             .match = {.protocol = fw::Protocol::Tcp, .dport = 8080},
                                             .action = fw::Action::Dnat, .to = "10.0.0.2", .to_ports = 80,
                                             .owner = "web1"});
        std::printf("rule: %s\n", fwd.to_string().c_str());
        fwd.persist();                                           // stays after `fwd` is gone

        // ip netns exec Pclient curl http://10.0.0.2:8080/hello.txt
        auto r = nsnet::http_get(client, "10.0.0.2", 8080, "/hello.txt");
        std::printf("GET :8080/hello.txt -> %d %s%s\n", r.status, r.body.c_str(), r.error.c_str());

        // Later, by the tag only: nft -a list ruleset | grep owner:web1; nft delete rule ... handle N
        std::size_t tagged = fw::Rule::list(server, {.owner = "web1"}).size();
        std::size_t removed = fw::Rule::remove_owned(server, "web1");
        auto after = nsnet::http_get(client, "10.0.0.2", 8080, "/hello.txt", std::chrono::milliseconds(500));
        std::printf("%zu rule(s) tagged web1, %zu removed; then :8080 -> %s\n", tagged, removed,
                    after.ok() ? "answered" : after.error.c_str());
        return r.ok() && r.body == "hello through the forward\n" && tagged == 1 && removed == 1 && !after.ok() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // server thread, veth and namespaces go away here (the nft table went with its last rule)
}
