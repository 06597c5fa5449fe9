// Many changes in one go: a RequestBatch sends links, addresses and routes pipelined (like
// `ip -batch FILE`), then the routes are counted with a streaming dump. Not atomic: each refusal is
// reported against its own request. Run as root: batch [PREFIX]
#include <nsnet/nsnet.hpp>
#include <unistd.h>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto ns = nsnet::Netns::create(p + "batch");             // ip netns add Pbatch
        nsnet::RequestBatch b(ns);                               // ip -n Pbatch -batch FILE, where FILE has:
        b.create_veth({.name = "up0", .netns = ns}, {.name = "up1", .netns = ns});  // link add up0 type veth peer name up1
        b.set_up("up0").set_up("up1");                           //   link set up0 up; link set up1 up
        b.run_or_throw();                                        // (the address below needs up0's index)
        auto up0 = nsnet::Link::get(ns, "up0");
        b.clear();
        b.add_address(up0, "192.0.2.1/24");                      //   addr add 192.0.2.1/24 dev up0
        for (int i = 0; i < 200; ++i)                            //   route add 10.1.I.0/24 via 192.0.2.254
            b.create_route({.dst = "10.1." + std::to_string(i) + ".0/24", .via = "192.0.2.254", .dev = up0});
        b.create_route({.dst = "10.1.0.0/24", .via = "192.0.2.254", .dev = up0});  // a duplicate: refused
        auto refused = b.run();                                  // one sendmsg for all 202 requests
        for (const auto& f : refused) std::printf("request %zu refused: %s\n", f.index, f.error.what());

        // ip -n Pbatch route show table main | wc -l, without collecting the routes
        std::size_t n = nsnet::for_each_route(ns, [](const nsnet::RouteInfo&) {}, {.family = nsnet::Family::V4, .table = 254});
        std::printf("%zu requests, %zu refused, %zu IPv4 routes in table main\n", b.size(), refused.size(), n);
        // 200 added + the connected route of 192.0.2.0/24; the only refusal is the duplicate.
        return refused.size() == 1 && refused[0].index == 201 && n == 201 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }   // deleting the namespace takes the links and routes with it
}
