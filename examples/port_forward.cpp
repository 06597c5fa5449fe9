// A port forward (DNAT): connections to port 8080 of the server's namespace go to port 80, where a
// small HTTP server answers. Run as root: port_forward [PREFIX]
#include <nsnet/nsnet.hpp>
#include <nsnet/probe.hpp>  // nsnet::HttpServer, nsnet::http_get
#include <unistd.h>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto client = nsnet::Netns::create(p + "client");        // ip netns add Pclient
        auto server = nsnet::Netns::create(p + "server");        // ip netns add Pserver
        auto veth = nsnet::VethPair::create({.name = "eth0", .netns = client}, {.name = "eth0", .netns = server});
        veth.first().add_address("10.0.0.1/24");                 // ip -n Pclient addr add 10.0.0.1/24 dev eth0
        veth.second().add_address("10.0.0.2/24");
        veth.first().up();
        veth.second().up();

        // python3 -m http.server 80, inside Pserver, serving one file
        auto web = nsnet::HttpServer::serve(server, 80, {{"/hello.txt", "hello through the forward\n"}});

        // ip netns exec Pserver nft add rule ip nsnet prerouting tcp dport 8080 dnat to 10.0.0.2:80
        // (iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80)
        auto fwd = nsnet::Dnat::add(server, {.protocol = nsnet::L4Protocol::Tcp,
                                             .port = 8080,
                                             .to = nsnet::IpAddress::parse("10.0.0.2"),
                                             .to_port = 80});
        std::printf("rule: %s\n", fwd.to_string().c_str());

        // ip netns exec Pclient curl http://10.0.0.2:8080/hello.txt
        auto r = nsnet::http_get(client, "10.0.0.2", 8080, "/hello.txt");
        std::printf("GET :8080/hello.txt -> %d %s%s\n", r.status, r.body.c_str(), r.error.c_str());
        fwd.remove();                                            // nft delete rule ip nsnet prerouting handle N
        auto after = nsnet::http_get(client, "10.0.0.2", 8080, "/hello.txt", std::chrono::milliseconds(500));
        std::printf("without the rule -> %s\n", after.ok() ? "answered" : after.error.c_str());
        return r.ok() && r.body == "hello through the forward\n" && !after.ok() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // server thread, rule (table ip nsnet with it), veth and namespaces go away here
}
