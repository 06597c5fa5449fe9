// examples/labs/tuntap.cpp — TUN/TAP, which the tutorial describes and then skips ("这里做实验很蛮烦，
// 略"): packets routed to a TUN device are "taken over by a user-space program" (a VPN client).
//
// Here the user-space program is this lab. One namespace ns1 holds a TUN device tun0 owned by the
// lab's process (it exists while the lab holds its fd), with 10.99.0.1/24. A ping from ns1 to
// 10.99.0.2 is routed into tun0; the lab reads each ICMP echo request from the fd, turns it into
// the echo reply 10.99.0.2 would send, and writes that back into the fd, where the kernel receives
// it as if it had arrived on tun0. The commands are what one would type with iproute2 (the
// tutorial has none); `ip tuntap add` would make a persistent device owned by nobody, the lab's
// device is owned by its process.
// Checks: the ping to 10.99.0.2 is answered by the lab's own code (it handled every request);
// beyond: with the lab's code not reading, 10.99.0.2 does not answer (nobody else would).
// With --keep the device is kept (persist(): its fd closes with the kernel's persist flag set) and
// left in nsl-ns1 (`ip -d link show tun0`: "tun type tun pi off vnet_hdr off persist on"), but
// nothing answers 10.99.0.2 after the lab ended; Tun::open(ns, "tun0", TunMode::Tun) reattaches.
#include <nsnet/tun.hpp>

#include <atomic>
#include <cstring>
#include <thread>

#include "lab.hpp"

namespace {

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}
void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// The user-space "program": given an IPv4 packet read from the TUN fd, the echo reply to write back
// if it is an ICMP echo request (source and destination swapped, ICMP type 8 -> 0, checksums
// recomputed); empty for anything else (IPv6 router solicitations and the like are ignored).
std::vector<std::byte> answer(std::vector<std::byte> packet) {
    auto* p = reinterpret_cast<std::uint8_t*>(packet.data());
    const std::size_t n = packet.size();
    if (n < 28 || (p[0] >> 4) != 4) return {};
    const std::size_t ihl = (p[0] & 0x0fu) * 4u;
    if (ihl < 20 || n < ihl + 8 || p[9] != 1 /* ICMP */ || p[ihl] != 8 /* echo request */) return {};
    std::uint8_t src[4];
    std::memcpy(src, p + 12, 4);
    std::memcpy(p + 12, p + 16, 4);  // from 10.99.0.2
    std::memcpy(p + 16, src, 4);     // to 10.99.0.1
    p[8] = 64;                       // TTL
    put16(p + 10, 0);
    put16(p + 10, checksum(p, ihl));
    p[ihl] = 0;                      // ICMP echo reply, same id, sequence and payload
    put16(p + ihl + 2, 0);
    put16(p + ihl + 2, checksum(p + ihl, n - ihl));
    return packet;
}

}  // namespace

NSNET_LAB("tuntap", "TUN/TAP (skipped by the tutorial)", [](lab::Context& ctx) {
    // ip netns add ns1
    auto& ns1 = ctx.netns("ns1");
    // ip netns exec ns1 ip link set lo up
    nsnet::Link::loopback(ns1).up();
    // ip netns exec ns1 ip tuntap add dev tun0 mode tun     (here: owned by the lab's process, not persistent)
    nsnet::Tun created;
    try {
        created = nsnet::Tun::create(ns1, {.name = "tun0", .mode = nsnet::TunMode::Tun});
    } catch (const nsnet::Error& e) {
        // No /dev/net/tun (ENOENT), or a kernel without CONFIG_TUN (ENODEV/ENXIO): nothing to show.
        if (e.errnum() != ENOENT && e.errnum() != ENODEV && e.errnum() != ENXIO) throw;
        ctx.skip("tun: a ping answered from user space", std::string("no TUN/TAP support: ") + e.what());
        return;
    }
    auto& tun = ctx.own(std::move(created));
    // ip netns exec ns1 ip address add 10.99.0.1/24 dev tun0
    tun.add_address("10.99.0.1/24");
    // ip netns exec ns1 ip link set tun0 up
    tun.up();
    ctx.show(ns1, "ns1");
    ctx.note("ns1 tun0: tun " + tun.settings().to_string() + " (fd " + std::to_string(tun.fd()) + " held by this process)");

    // The user-space program: read a packet from the fd, write the answer back.
    // (a jthread: should anything below throw, it is stopped and joined, never left running)
    std::atomic<int> requests{0}, replies{0};
    std::string first{};
    std::jthread program([&](std::stop_token stop) {
        try {
            while (!stop.stop_requested()) {
                auto packet = tun.read(std::chrono::milliseconds(50));
                if (!packet) continue;
                ++requests;
                if (auto reply = answer(*packet); !reply.empty()) {
                    if (first.empty()) {
                        auto* p = reinterpret_cast<const std::uint8_t*>(packet->data());
                        first = "read " + std::to_string(packet->size()) + " bytes: ICMP echo request " +
                                nsnet::IpAddress::from_bytes(p + 12, 4)->to_string() + " -> " +
                                nsnet::IpAddress::from_bytes(p + 16, 4)->to_string() + ", wrote the echo reply";
                    }
                    tun.write(reply);
                    ++replies;
                }
            }
        } catch (const std::exception& e) {
            first = std::string("user-space program failed: ") + e.what();
        }
    });

    // ip netns exec ns1 ping 10.99.0.2 -c 4
    auto r = nsnet::ping(ns1, "10.99.0.2", {.count = 4});
    program.request_stop();
    program.join();
    ctx.note(first);
    ctx.check("ns1 -> 10.99.0.2 answered by the lab's own code on the TUN fd",
              r.all_answered() && replies == r.sent,
              r.summary() + "; the lab read " + std::to_string(requests.load()) + " packets, wrote " +
                  std::to_string(replies.load()) + " replies");

    // The same ping while the lab's code does not read the fd: nothing else answers.
    auto silent = nsnet::ping(ns1, "10.99.0.2", {.count = 2, .timeout = std::chrono::milliseconds(500)});
    ctx.check("beyond: with the user-space program stopped, 10.99.0.2 does not answer", silent.none_answered(),
              silent.summary());
});
