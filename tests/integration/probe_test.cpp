// Integration tests of examples/support/nsnet_probe/probe.hpp and show_addresses (root): ping answered, refused and unanswered,
// concurrent pings that must not take each other's replies, HTTP and TCP across two namespaces,
// prompt server shutdown, and the `ip a` view. Every test builds its own namespaces.
#include "nsnet/show.hpp"
#include "nsnet_probe/probe.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/netns.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using nsnet::Link;
using nsnet::Netns;
using nsnet::test::unique_name;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Writes a sysctl of the namespace (its /proc/sys/net is the one of the thread that opens it).
void sysctl(const nsnet::NetnsRef& ns, const std::string& path, const std::string& value) {
    ns.run([&] {
        std::ofstream f("/proc/sys/" + path);
        f << value;
        f.close();
        if (!f) throw std::runtime_error("cannot write /proc/sys/" + path);
    });
}

// Two namespaces a (10.77.0.1/24, fd77::1/64) and b (.2, ::2) joined by a veth a0--b0, both up,
// lo up in a. No IPv6 DAD (addresses usable at once); a gives up on a neighbour after one 100 ms
// probe, so an absent host turns into "Destination Host Unreachable" quickly.
struct Pair {
    Netns a = Netns::create(unique_name("pa"));
    Netns b = Netns::create(unique_name("pb"));
    nsnet::VethPair veth;
    Pair() {
        for (auto* ns : {&a, &b}) {
            sysctl(*ns, "net/ipv6/conf/all/accept_dad", "0");
            sysctl(*ns, "net/ipv6/conf/default/accept_dad", "0");
        }
        veth = nsnet::VethPair::create(a, {.name = "a0", .peer = {.name = "b0", .netns = b}});
        sysctl(a, "net/ipv4/neigh/a0/mcast_solicit", "1");
        sysctl(a, "net/ipv4/neigh/a0/retrans_time_ms", "100");
        Link::loopback(a).up();
        veth.first().add_address("10.77.0.1/24");
        veth.second().add_address("10.77.0.2/24");
        veth.first().add_address("fd77::1/64");
        veth.second().add_address("fd77::2/64");
        veth.first().up();
        veth.second().up();
        // Traffic right away would race the carrier (ARP/ND dropped, then "host unreachable"):
        // wait until both ends are operationally up and no address is tentative any more.
        auto settled = [](const Link& l) {
            if (l.info().operstate != IF_OPER_UP) return false;
            for (const auto& a : l.addresses())
                if (a.flags & IFA_F_TENTATIVE) return false;
            return true;
        };
        for (int i = 0; i < 300 && !(settled(veth.first()) && settled(veth.second())); ++i)
            std::this_thread::sleep_for(10ms);
        REQUIRE_MESSAGE(settled(veth.first()), nsnet::show_addresses(a));
        REQUIRE_MESSAGE(settled(veth.second()), nsnet::show_addresses(b));
    }
};

}  // namespace

TEST_CASE("ping: IPv4 and IPv6 across a veth pair, all answered, rtt measured") {
    Pair p;
    auto r = nsnet::ping(p.a, "10.77.0.2", {.count = 4, .interval = 50ms});
    INFO(r.summary());
    CHECK(r.sent == 4);
    CHECK(r.received == 4);
    CHECK(r.all_answered());
    CHECK(r.loss_percent == 0);
    CHECK(r.rtt_min_ms > 0);
    CHECK(r.rtt_min_ms <= r.rtt_avg_ms);
    CHECK(r.rtt_avg_ms <= r.rtt_max_ms);
    CHECK(r.error.empty());

    auto r6 = nsnet::ping(p.a, "fd77::2", {.count = 3, .interval = 50ms});
    INFO(r6.summary());
    CHECK(r6.all_answered());

    // Link-local with the interface named after '%' (SO_BINDTODEVICE).
    auto ll = p.veth.second().addresses();
    for (const auto& a : ll) {
        if (!a.prefix.address().is_v6() || a.scope != nsnet::Scope::Link) continue;
        auto rl = nsnet::ping(p.a, a.prefix.address().to_string() + "%a0", {.count = 2, .interval = 50ms});
        INFO(rl.summary());
        CHECK(rl.all_answered());
    }

    // Options: source address, interface, ttl.
    auto ro = nsnet::ping(p.a, "10.77.0.2",
                          {.count = 2, .interval = 20ms, .source = nsnet::IpAddress::parse("10.77.0.1"), .interface = "a0", .ttl = 1});
    INFO(ro.summary());
    CHECK(ro.all_answered());
}

TEST_CASE("ping: failures count as lost, with the reason") {
    Pair p;
    SUBCASE("no route: sendto refuses (Network is unreachable)") {
        auto r = nsnet::ping(p.a, "198.51.100.8", {.count = 3, .interval = 10ms});
        CHECK(r.sent == 3);
        CHECK(r.received == 0);
        CHECK(r.none_answered());
        CHECK(r.loss_percent == 100);
        CHECK(r.error == "Network is unreachable");
        CHECK(contains(r.summary(), "3 sent, 0 received, 100% loss: Network is unreachable"));
    }
    SUBCASE("lo down: 127.0.0.1 is unreachable in b") {
        auto r = nsnet::ping(p.b, "127.0.0.1", {.count = 2, .interval = 10ms});
        CHECK(r.sent == 2);
        CHECK(r.none_answered());
        CHECK(contains(r.error, "unreachable"));
    }
    SUBCASE("an absent host on the link: the stack's own ICMP host unreachable") {
        auto start = std::chrono::steady_clock::now();
        auto r = nsnet::ping(p.a, "10.77.0.9", {.count = 2, .interval = 10ms, .timeout = 3000ms});
        INFO(r.summary());
        CHECK(r.sent == 2);
        CHECK(r.none_answered());
        CHECK(r.error == "From 10.77.0.1: Destination Host Unreachable");
        CHECK(std::chrono::steady_clock::now() - start < 2900ms);  // the error ended the wait, not the timeout
    }
    SUBCASE("an address nobody answers for: timeout") {
        sysctl(p.b, "net/ipv4/icmp_echo_ignore_all", "1");
        auto r = nsnet::ping(p.a, "10.77.0.2", {.count = 2, .interval = 10ms, .timeout = 200ms});
        CHECK(r.sent == 2);
        CHECK(r.none_answered());
        CHECK(r.error == "no reply within 200 ms");
    }
    SUBCASE("bad input is rejected before anything is sent") {
        CHECK_THROWS_AS(nsnet::ping(p.a, "not-an-address"), nsnet::InvalidArgument);
        CHECK_THROWS_AS(nsnet::ping(p.a, "10.77.0.2", {.count = 0}), nsnet::InvalidArgument);
        CHECK_THROWS_AS(nsnet::ping(p.a, "10.77.0.2", {.ttl = 300}), nsnet::InvalidArgument);
        CHECK_THROWS_AS(nsnet::ping(p.a, "10.77.0.2", {.source = nsnet::IpAddress::parse("fd77::1")}),
                        nsnet::InvalidArgument);
    }
}

TEST_CASE("ping: concurrent pings in several threads never take each other's replies") {
    Pair p;
    // The same destination from 4 threads (each raw socket sees every reply), plus 2 threads
    // pinging an absent host in between.
    std::vector<nsnet::PingResult> results(6);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i)
        threads.emplace_back([&, i] {
            const char* to = i >= 4 ? "10.77.0.9" : (i % 2 ? "fd77::2" : "10.77.0.2");
            results[i] = nsnet::ping(p.a, to, {.count = 10, .interval = 5ms, .timeout = 1000ms});
        });
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < results.size(); ++i) {
        INFO("thread " << i << ": " << results[i].summary());
        CHECK(results[i].sent == 10);
        if (i < 4) CHECK(results[i].received == 10);
        else CHECK(results[i].received == 0);
    }
}

TEST_CASE("HttpServer and http_get across two namespaces: files, listing, 404, the peer the server saw") {
    Pair p;
    auto server = nsnet::HttpServer::serve(p.b, 8080, {{"/nginx.file", "I am nginx\n"}, {"/other.file", "x"}});
    CHECK(server.port() == 8080);

    auto file = nsnet::http_get(p.a, "10.77.0.2", 8080, "/nginx.file");
    CHECK(file.status == 200);
    CHECK(file.body == "I am nginx\n");
    CHECK(file.peer_seen_by_server == "10.77.0.1");

    auto listing = nsnet::http_get(p.a, "10.77.0.2", 8080);
    CHECK(listing.ok());
    CHECK(contains(listing.body, "nginx.file"));
    CHECK(contains(listing.body, "other.file"));

    auto missing = nsnet::http_get(p.a, "fd77::2", 8080, "/missing");
    CHECK(missing.status == 404);
    CHECK(missing.peer_seen_by_server == "fd77::1");

    auto requests = server.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[0].peer == nsnet::IpAddress::parse("10.77.0.1"));
    CHECK(requests[0].path == "/nginx.file");
    CHECK(requests[0].status == 200);
    CHECK(requests[2].status == 404);

    SUBCASE("no server on the port: refused, reported not thrown") {
        auto refused = nsnet::http_get(p.a, "10.77.0.2", 8081);
        CHECK(refused.status == 0);
        CHECK(refused.error == "Connection refused");
    }
    SUBCASE("bound to one address") {
        auto one = nsnet::HttpServer::serve(p.b, nsnet::IpAddress::parse("10.77.0.2"), 0, {{"/f", "f"}});
        CHECK(one.port() != 0);
        CHECK(nsnet::http_get(p.a, "10.77.0.2", one.port(), "/f").body == "f");
        CHECK(nsnet::http_get(p.a, "fd77::2", one.port(), "/f").error == "Connection refused");
    }
}

TEST_CASE("tcp_transfer: bytes delivered to a TcpServer sink; refused and timed out connections") {
    Pair p;
    auto sink = nsnet::TcpServer::listen(p.b, 0);
    REQUIRE(sink.port() != 0);
    const std::size_t bytes = 4 * 1024 * 1024;
    auto r = nsnet::tcp_transfer(p.a, "10.77.0.2", sink.port(), bytes);
    INFO(r.error);
    CHECK(r.connected);
    CHECK(r.bytes == bytes);
    CHECK(r.seconds > 0);
    CHECK(r.megabits_per_second() > 0);
    // The sink counts a connection's bytes once its handler returned (after the client saw the close).
    for (int i = 0; i < 100 && sink.bytes_received() < bytes; ++i) std::this_thread::sleep_for(10ms);
    CHECK(sink.bytes_received() == bytes);
    REQUIRE(sink.peers().size() == 1);
    CHECK(sink.peers()[0].address == nsnet::IpAddress::parse("10.77.0.1"));

    auto refused = nsnet::tcp_transfer(p.a, "10.77.0.2", 1, 10);
    CHECK_FALSE(refused.connected);
    CHECK(refused.error == "Connection refused");

    // b drops nothing, but 10.77.0.9 does not exist: the SYN goes nowhere (the neighbour fails).
    sysctl(p.a, "net/ipv4/neigh/a0/mcast_solicit", "3");
    sysctl(p.a, "net/ipv4/neigh/a0/retrans_time_ms", "1000");
    auto start = std::chrono::steady_clock::now();
    auto timeout = nsnet::tcp_transfer(p.a, "10.77.0.9", 80, 10, 300ms);
    CHECK_FALSE(timeout.connected);
    CHECK(contains(timeout.error, "timed out"));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("TcpServer: a custom handler, and stop() is prompt even while a client holds a connection") {
    Pair p;
    std::atomic<int> handled{0};
    auto echo = nsnet::TcpServer::listen(p.b, 7, [&](nsnet::TcpConnection& c) {
        ++handled;
        if (auto line = c.read_until("\n", 1024, 5s)) c.write_all("echo: " + *line);
    });
    // A client that connects and then says nothing: the handler waits in read_until.
    // Not a structured binding: doctest's macros capture in lambdas (clang before 16 refuses).
    auto connected = nsnet::detail::tcp_connect(p.a, nsnet::IpAddress::parse("10.77.0.2"), 7, 1000ms);
    auto& idle = connected.first;
    REQUIRE_MESSAGE(static_cast<bool>(idle), connected.second);
    for (int i = 0; i < 100 && handled == 0; ++i) std::this_thread::sleep_for(5ms);
    CHECK(handled == 1);
    auto start = std::chrono::steady_clock::now();
    echo.stop();
    CHECK(std::chrono::steady_clock::now() - start < 500ms);
    CHECK_FALSE(echo.running());
    echo.stop();  // idempotent
}

TEST_CASE("show_addresses: the `ip a` view of a namespace") {
    Pair p;
    std::string a = nsnet::show_addresses(p.a);
    INFO(a);
    CHECK(contains(a, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536"));
    CHECK(contains(a, "inet 127.0.0.1/8 scope host lo"));
    CHECK(contains(a, "2: a0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP kind veth"));
    CHECK(contains(a, "kind veth"));
    CHECK(contains(a, "link/ether "));
    CHECK(contains(a, "link-netnsid "));
    CHECK(contains(a, "inet 10.77.0.1/24 scope global a0"));
    CHECK(contains(a, "inet6 fd77::1/64 scope global"));
    CHECK(contains(a, "inet6 fe80::"));
    std::string b = nsnet::show_addresses(p.b);
    INFO(b);
    CHECK(contains(b, "1: lo: <LOOPBACK> mtu 65536 state DOWN"));
    CHECK(contains(b, "2: b0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP kind veth"));

    auto fresh = Netns::create(unique_name("pf"));
    CHECK(nsnet::show_addresses(fresh) ==
          "1: lo: <LOOPBACK> mtu 65536 state DOWN\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
}
