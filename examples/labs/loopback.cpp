// examples/labs/loopback.cpp — the tutorial's lo（回环接口） section: the whole 127.0.0.0/8 is local.
//
// The tutorial pings 127.0.0.1 and 127.124.231.89 on the host; the lab does it in a namespace of
// its own, where lo starts down, so it can also show that without lo nothing local answers.
// Checks: lo down: 127.0.0.1 unreachable; lo up: 127.0.0.1 and 127.124.231.89 answer.
#include "lab.hpp"

using namespace std::chrono_literals;

NSNET_LAB("loopback", "lo（回环接口）", [](lab::Context& ctx) {
    // ip netns add lo   (the tutorial works on the host; the lab uses a namespace of its own)
    auto& ns = ctx.netns("lo");
    // ip netns exec lo ip a
    ctx.show(ns, "a fresh namespace: lo exists but is down");

    // ip netns exec lo ping 127.0.0.1 -c 4
    auto down = nsnet::ping(ns, "127.0.0.1", {.count = 4, .timeout = 500ms});
    ctx.check("lo down: 127.0.0.1 unreachable", down.sent == 4 && down.none_answered(), down.summary());

    // ip netns exec lo ip link set lo up
    auto lo = nsnet::Link::loopback(ns);
    lo.up();
    // ip netns exec lo ip a
    ctx.show(ns, "lo up: 127.0.0.1/8 and ::1/128 appear");

    // ping 127.0.0.1 -c 4
    auto r1 = nsnet::ping(ns, "127.0.0.1", {.count = 4});
    ctx.check("lo up: 127.0.0.1 answers", r1.all_answered(), r1.summary());

    // ping 127.124.231.89 -c 4
    auto r2 = nsnet::ping(ns, "127.124.231.89", {.count = 4});
    ctx.check("lo up: 127.124.231.89 answers (the whole 127.0.0.0/8 is local)", r2.all_answered(), r2.summary());
});
