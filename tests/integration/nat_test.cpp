// Integration tests of include/nsnet/firewall/*.hpp (root): every rule kind is created in throwaway
// namespaces, shows up in `nft list ruleset` there in nft's canonical form (nft is a test-time
// cross-check only, skipped when it is not installed), and is proved by traffic between namespaces;
// destruction removes exactly that rule; a batch with one bad rule changes nothing; counters count;
// a table nsnet did not create is never touched.
//
// World (all names unique per run, addresses of the simulated internet in 198.51.100.0/24):
//   inner  eth0 172.17.0.2/16, default via 172.17.0.1
//   router docker0 172.17.0.1/16 | ens41 198.51.100.1/24, ip_forward=1   <- the rules live here
//   outside eth0 198.51.100.8/24 (no route back to 172.17.0.0/16: only NAT makes replies possible)
#include "nsnet/firewall/batch.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/detail/sys.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/route.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"
#include "../support/firewall.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }
Prefix pfx(const char* s) { return Prefix::parse(s); }

// `nft list ruleset` inside ns, or nullopt when nft is not installed (the cross-check is skipped).
std::optional<std::string> nft_ruleset(const NetnsRef& ns) {
    try {
        Process p = ns.spawn({"nft", "list", "ruleset"}, {.capture_output = true});
        std::string out = p.read_output();
        REQUIRE(p.wait() == 0);
        return out;
    } catch (const Error& e) {
        if (e.errnum() == ENOENT) return std::nullopt;
        throw;
    }
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Checks `nft list ruleset` contains / lacks each line (when nft exists).
void check_ruleset(const NetnsRef& ns, const std::vector<std::string>& present, const std::vector<std::string>& absent = {}) {
    auto rs = nft_ruleset(ns);
    if (!rs) {
        MESSAGE("nft not installed: `nft list ruleset` cross-check skipped");
        return;
    }
    for (const auto& p : present) CHECK_MESSAGE(contains(*rs, p), "missing '" << p << "' in:\n" << *rs);
    for (const auto& a : absent) CHECK_MESSAGE(!contains(*rs, a), "unexpected '" << a << "' in:\n" << *rs);
}

// nsnet's own view: the rules in table ip nsnet (empty when there is no such table).
std::vector<nft::Rule> nsnet_rules(const NetnsRef& ns) {
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    auto msg = nft::rule_dump(nft::TableFamily::Ip, "nsnet");
    try {
        return nl::dump_collect(s, msg, "list rules", [](const nl::MessageView& m) { return nft::decode_rule(m); });
    } catch (const Error& e) {
        if (e.errnum() == ENOENT) return {};
        throw;
    }
}

bool nsnet_table_exists(const NetnsRef& ns) {
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    return detail::find_nsnet_table(s).has_value();
}

struct World {
    Netns inner, router, outside;
    VethPair in_pair, out_pair;

    World() {
        inner = Netns::create(unique_name("ni"));
        router = Netns::create(unique_name("nr"));
        outside = Netns::create(unique_name("no"));
        in_pair = VethPair::create(router, {.name = "docker0", .peer = {.name = "eth0", .netns = inner}});
        out_pair = VethPair::create(router, {.name = "ens41", .peer = {.name = "eth0", .netns = outside}});
        in_pair.first().add_address("172.17.0.1/16");
        in_pair.second().add_address("172.17.0.2/16");
        out_pair.first().add_address("198.51.100.1/24");
        out_pair.second().add_address("198.51.100.8/24");
        for (const Link* l : {&in_pair.first(), &in_pair.second(), &out_pair.first(), &out_pair.second()}) l->up();
        for (const Netns* ns : {&inner, &router, &outside}) Link::loopback(*ns).up();
        Route::create(inner, {.dst = "default", .via = "172.17.0.1"}).persist();
        set_ip_forward(router, true);
    }
};

// A TCP connection from `from` to to:port; returns the peer address the server saw, or "" if none.
std::string tcp_peer(const NetnsRef& from, const NetnsRef& server_ns, const char* to, std::uint16_t server_port,
                     std::uint16_t connect_port) {
    TcpServer server = TcpServer::listen(server_ns, server_port);
    auto r = tcp_transfer(from, to, connect_port, 1000, std::chrono::milliseconds(700));
    if (!r.connected) return {};
    auto peers = server.peers();
    return peers.empty() ? std::string() : peers.back().address.to_string();
}

// Sends `count` UDP datagrams of `size` bytes from `from` to to:port; returns how many `at` received
// on its socket bound to port `listen_port`, and the source address of the last one.
// `wait` bounds each receive: generous where the datagrams must arrive (the first one may wait for
// ARP on a loaded machine), short where they must not.
std::pair<int, std::string> udp_send(const NetnsRef& from, const char* to, std::uint16_t port, const NetnsRef& at,
                                     std::uint16_t listen_port, int count, std::size_t size = 100,
                                     std::chrono::milliseconds wait = std::chrono::milliseconds(2000)) {
    detail::UniqueFd rx = at.socket(AF_INET, SOCK_DGRAM);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(listen_port);
    REQUIRE(::bind(rx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
    ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    detail::UniqueFd tx = from.socket(AF_INET, SOCK_DGRAM);
    sockaddr_in d{};
    d.sin_family = AF_INET;
    d.sin_port = htons(port);
    REQUIRE(::inet_pton(AF_INET, to, &d.sin_addr) == 1);
    std::string payload(size, 'x');
    for (int i = 0; i < count; ++i)
        REQUIRE(::sendto(tx.get(), payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&d), sizeof d) ==
                static_cast<ssize_t>(size));
    int got = 0;
    std::string source;
    char buf[2048];
    for (int i = 0; i < count; ++i) {
        sockaddr_in s{};
        socklen_t sl = sizeof s;
        ssize_t n = ::recvfrom(rx.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&s), &sl);
        if (n < 0) break;
        ++got;
        char t[INET_ADDRSTRLEN];
        source = ::inet_ntop(AF_INET, &s.sin_addr, t, sizeof t);
    }
    return {got, source};
}

}  // namespace

TEST_CASE("nat: masquerade (the tutorial's `-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE`)") {
    World w;
    // Before NAT the outside host cannot answer: it has no route back to 172.17.0.0/16.
    CHECK(tcp_peer(w.inner, w.outside, "198.51.100.8", 9000, 9000).empty());
    {
        Masquerade m = Masquerade::create(w.router, {.saddr = pfx("172.17.0.0/16"), .oif = "docker0", .oif_negate = true});
        CHECK(m.active());
        CHECK(m.handle() != 0);
        CHECK(m.chain() == "postrouting");
        check_ruleset(w.router, {"table ip nsnet {", "comment \"managed by nsnet\"",
                                 "type nat hook postrouting priority srcnat; policy accept;",
                                 "ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade"});
        // The outside host answers now and sees the router's outside address as the source.
        CHECK(tcp_peer(w.inner, w.outside, "198.51.100.8", 9001, 9001) == "198.51.100.1");
        auto rules = nsnet_rules(w.router);
        REQUIRE(rules.size() == 1);
        CHECK(rules[0].handle == std::optional<std::uint64_t>(m.handle()));
    }
    // Gone with the object, and the table and chain with it (the last nsnet rule went).
    CHECK_FALSE(nsnet_table_exists(w.router));
    check_ruleset(w.router, {}, {"nsnet", "masquerade"});
    CHECK(tcp_peer(w.inner, w.outside, "198.51.100.8", 9002, 9002).empty());
}

TEST_CASE("nat: SNAT to an address") {
    World w;
    w.out_pair.first().add_address("198.51.100.2/24");
    Snat s = Snat::create(w.router, {.saddr = pfx("172.17.0.0/16"), .to = ip("198.51.100.2"), .oif = "ens41"});
    check_ruleset(w.router, {"ip saddr 172.17.0.0/16 oifname \"ens41\" snat to 198.51.100.2"});
    CHECK(tcp_peer(w.inner, w.outside, "198.51.100.8", 9010, 9010) == "198.51.100.2");
    auto r = udp_send(w.inner, "198.51.100.8", 7010, w.outside, 7010, 3);
    CHECK(r.first == 3);
    CHECK(r.second == "198.51.100.2");
}

TEST_CASE("nat: DNAT port forwards from outside (tcp, iifname, daddr, udp) and for the router's own traffic") {
    World w;
    HttpServer web = HttpServer::serve(w.inner, 80, {{"/nginx.file", "hello from nginx\n"}});
    // Without a forward nothing listens on the router's 8080.
    CHECK_FALSE(http_get(w.outside, "198.51.100.1", 8080, "/nginx.file", std::chrono::milliseconds(700)).ok());

    firewall::Batch b(w.router);
    Dnat tcp = b.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 8080, .to = ip("172.17.0.2"), .to_port = 80,
                                 .iif = "ens41"});
    Dnat daddr = b.add(DnatOptions{.dport = 8081, .to = ip("172.17.0.2"), .to_port = 80,
                                   .daddr = pfx("198.51.100.1")});
    Dnat udp = b.add(DnatOptions{.protocol = Protocol::Udp, .dport = 5353, .to = ip("172.17.0.2"), .to_port = 53});
    Dnat local = b.add(DnatOptions{.dport = 8080, .to = ip("172.17.0.2"), .to_port = 80,
                                   .daddr = pfx("198.51.100.1"), .hook = Hook::Output});
    b.commit();
    for (auto* d : {&tcp, &daddr, &udp, &local}) CHECK(d->active());
    check_ruleset(w.router, {"iifname \"ens41\" tcp dport 8080 dnat to 172.17.0.2:80",
                             "ip daddr 198.51.100.1 tcp dport 8081 dnat to 172.17.0.2:80",
                             "udp dport 5353 dnat to 172.17.0.2:53",
                             "type nat hook output priority -100; policy accept;",
                             "type nat hook prerouting priority dstnat; policy accept;"});

    auto r = http_get(w.outside, "198.51.100.1", 8080, "/nginx.file");
    CHECK_MESSAGE(r.ok(), r.error);
    CHECK(r.body == "hello from nginx\n");
    CHECK(r.peer_seen_by_server == "198.51.100.8");  // DNAT keeps the client's address
    CHECK(http_get(w.outside, "198.51.100.1", 8081, "/nginx.file").ok());
    auto u = udp_send(w.outside, "198.51.100.1", 5353, w.inner, 53, 2);
    CHECK(u.first == 2);
    // The router's own connection to its outside address and port 8080 goes through the output hook.
    auto own = http_get(w.router, "198.51.100.1", 8080, "/nginx.file");
    CHECK_MESSAGE(own.ok(), own.error);

    // Removing one forward leaves the others.
    local.remove();
    CHECK_FALSE(local.active());
    CHECK_FALSE(http_get(w.router, "198.51.100.1", 8080, "/nginx.file", std::chrono::milliseconds(700)).ok());
    CHECK(http_get(w.outside, "198.51.100.1", 8080, "/nginx.file").ok());
    check_ruleset(w.router, {"udp dport 5353 dnat to 172.17.0.2:53"}, {"chain output"});
}

TEST_CASE("filter: forward policy drop, accept rules, and counters that count") {
    World w;
    Masquerade m = Masquerade::create(w.router, {.saddr = pfx("172.17.0.0/16"), .oif = "docker0", .oif_negate = true});
    CHECK(udp_send(w.inner, "198.51.100.8", 7020, w.outside, 7020, 1).first == 1);
    {
        ForwardPolicy drop = ForwardPolicy::create(w.router, Verdict::Drop);
        CHECK(drop.policy() == Verdict::Drop);
        check_ruleset(w.router, {"type filter hook forward priority filter; policy drop;"});
        CHECK(udp_send(w.inner, "198.51.100.8", 7021, w.outside, 7021, 1, 100, std::chrono::milliseconds(400)).first == 0);

        // .iif given as the link (DeviceArg): matched by its name in the router, `iifname "docker0"`.
        FilterRule ok = FilterRule::create(w.router, {.iif = w.in_pair.first(), .saddr = pfx("172.17.0.0/16"),
                                                   .protocol = Protocol::Udp, .dport = 7022, .counter = true});
        check_ruleset(w.router, {"iifname \"docker0\" ip saddr 172.17.0.0/16 udp dport 7022 counter packets 0 bytes 0 accept"});
        auto c0 = ok.counters();
        CHECK(c0.packets == 0);
        CHECK(c0.bytes == 0);
        CHECK(udp_send(w.inner, "198.51.100.8", 7022, w.outside, 7022, 5, 100).first == 5);
        auto c = ok.counters();
        CHECK(c.packets == 5);
        CHECK(c.bytes == 5 * (20 + 8 + 100));  // IPv4 + UDP headers + payload
        check_ruleset(w.router, {"counter packets 5 bytes 640 accept"});
        // Still dropped: another port.
        CHECK(udp_send(w.inner, "198.51.100.8", 7023, w.outside, 7023, 1, 100, std::chrono::milliseconds(400)).first == 0);

        // A drop rule before the policy, also counted.
        FilterRule no = FilterRule::create(w.router, {.saddr = pfx("172.17.0.0/16"), .verdict = Verdict::Drop, .counter = true});
        CHECK(udp_send(w.inner, "198.51.100.8", 7023, w.outside, 7023, 2, 100, std::chrono::milliseconds(400)).first == 0);
        CHECK(no.counters().packets == 2);
        CHECK_THROWS_AS((void)FilterRule().counters(), Error);
    }
    // The policy went back to accept with its object, the forward chain with its last rule.
    check_ruleset(w.router, {"masquerade"}, {"chain forward", "policy drop"});
    CHECK(udp_send(w.inner, "198.51.100.8", 7024, w.outside, 7024, 1).first == 1);
    // A counter on a NAT rule counts the first packet of each connection (NAT chains see only those).
    Masquerade counted = Masquerade::create(w.router, {.saddr = pfx("172.17.0.2/32"), .counter = true});
    m.remove();
    CHECK(udp_send(w.inner, "198.51.100.8", 7025, w.outside, 7025, 3).first == 3);
    CHECK(counted.counters().packets == 1);
}

TEST_CASE("a batch with one bad rule changes nothing, and the error names that rule") {
    Netns ns = Netns::create(unique_name("nb"));
    auto bad_batch = [&](firewall::Batch& b) {
        Masquerade m = b.add(MasqueradeOptions{.saddr = pfx("10.0.0.0/8")});
        Dnat d = b.add(DnatOptions{.dport = 80, .to = ip("10.0.0.5")});
        // masq is only valid in nat chains: the kernel refuses it in the filter chain `forward`.
        FilterRule bad = b.add(RawRuleOptions{.exprs = nft::masquerade(), .description = "masquerade in a filter chain"});
        try {
            b.commit();
            FAIL("the kernel accepted a masquerade in a filter chain");
        } catch (const Error& e) {
            CHECK(e.object() == "ip nsnet forward: masquerade in a filter chain");
            CHECK(e.operation() == "add rule");
            CHECK(e.errnum() == EOPNOTSUPP);
            CHECK(contains(e.detail(), "nothing was applied"));
            MESSAGE("kernel refusal: " << std::string(e.what()));
        }
        CHECK_FALSE(m.active());
        CHECK_FALSE(d.active());
        CHECK_FALSE(bad.active());
    };
    {
        firewall::Batch b(ns);
        bad_batch(b);
    }
    // Not even the table was created.
    CHECK_FALSE(nsnet_table_exists(ns));
    check_ruleset(ns, {}, {"nsnet"});

    // With rules already there: they stay exactly as they were.
    Dnat keep = Dnat::create(ns, {.dport = 8080, .to = ip("10.0.0.9"), .to_port = 80});
    auto before = nsnet_rules(ns);
    auto text_before = nft_ruleset(ns);
    {
        firewall::Batch b(ns);
        bad_batch(b);
    }
    auto after = nsnet_rules(ns);
    REQUIRE(after.size() == before.size());
    CHECK(after[0].handle == before[0].handle);
    CHECK(after[0].exprs == before[0].exprs);
    CHECK(nft_ruleset(ns) == text_before);
}

TEST_CASE("destruction removes exactly its own rule; persist keeps it; removals can be batched") {
    Netns ns = Netns::create(unique_name("nd"));
    std::optional<Masquerade> masq =
        Masquerade::create(ns, {.saddr = pfx("172.17.0.0/16"), .oif = "docker0", .oif_negate = true});
    std::optional<Dnat> web = Dnat::create(ns, {.dport = 8080, .to = ip("172.17.10.10"), .to_port = 80});
    std::optional<Dnat> git = Dnat::create(ns, {.dport = 9090, .to = ip("172.17.10.20"), .to_port = 80});
    check_ruleset(ns, {"ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade",
                       "tcp dport 8080 dnat to 172.17.10.10:80", "tcp dport 9090 dnat to 172.17.10.20:80"});
    CHECK(nsnet_rules(ns).size() == 3);
    std::uint64_t git_handle = git->handle();

    web.reset();  // destroys the 8080 forward only
    auto rules = nsnet_rules(ns);
    REQUIRE(rules.size() == 2);
    check_ruleset(ns, {"masquerade", "tcp dport 9090 dnat to 172.17.10.20:80", "chain prerouting"},
                  {"tcp dport 8080"});
    CHECK(nsnet_rules(ns)[1].handle == std::optional<std::uint64_t>(git_handle));

    // Two removals in one batch: the table goes with its last rule.
    {
        firewall::Batch b(ns);
        b.remove(*masq);
        b.remove(*git);
        b.commit();
    }
    CHECK_FALSE(masq->active());
    CHECK_FALSE(git->active());
    CHECK_FALSE(nsnet_table_exists(ns));

    // A persisted rule outlives its object (and keeps its table).
    {
        Dnat p = Dnat::create(ns, {.dport = 7070, .to = ip("172.17.10.30")});
        p.persist();
    }
    check_ruleset(ns, {"tcp dport 7070 dnat to 172.17.10.30"});
    CHECK(nsnet_rules(ns).size() == 1);
}

TEST_CASE("a rule deleted or a table re-created behind nsnet's back is handled without collateral damage") {
    Netns ns = Netns::create(unique_name("nx"));
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    // Someone deletes the rule: the object's destructor must not fail nor remove anything else.
    {
        Dnat a = Dnat::create(ns, {.dport = 1000, .to = ip("10.0.0.1")});
        Dnat b = Dnat::create(ns, {.dport = 1001, .to = ip("10.0.0.1")});
        nft::Batch del;
        del.add(nft::rule_del(nft::TableFamily::Ip, "nsnet", "prerouting", a.handle()), "delete rule", "a");
        del.run_or_throw(s);
        CHECK_NOTHROW(a.remove());
        CHECK(nsnet_rules(ns).size() == 1);
        CHECK(b.active());
    }
    CHECK_FALSE(nsnet_table_exists(ns));

    // Someone deletes the whole table and nsnet re-creates it for new rules: the handles start over,
    // but an old object must not delete the new rule that now has its handle.
    Dnat old_rule = Dnat::create(ns, {.dport = 2000, .to = ip("10.0.0.1")});
    nft::Batch drop_table;
    drop_table.add(nft::table_del(nft::TableFamily::Ip, "nsnet"), "delete table", "ip nsnet");
    drop_table.run_or_throw(s);
    Dnat new_rule = Dnat::create(ns, {.dport = 2000, .to = ip("10.0.0.1")});
    CHECK(new_rule.handle() == old_rule.handle());  // same history, same handle in the new table
    old_rule.remove();
    REQUIRE(nsnet_rules(ns).size() == 1);
    CHECK(new_rule.active());
}

TEST_CASE("a table `ip nsnet` nsnet did not create is never touched") {
    Netns ns = Netns::create(unique_name("nf"));
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    nft::Table foreign;
    foreign.name = "nsnet";  // no "managed by nsnet" comment: someone else's
    nft::Batch b;
    b.add(nft::table_new(foreign), "add table", "ip nsnet");
    b.run_or_throw(s);
    try {
        Masquerade::create(ns, {.saddr = pfx("10.0.0.0/8")});
        FAIL("nsnet used a foreign table");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(contains(e.detail(), "did not create"));
    }
    auto t = detail::find_nsnet_table(s);
    REQUIRE(t);
    CHECK(t->use == 0);  // no chain was added to it
    CHECK_FALSE(t->comment);
    // Other tables are left alone entirely by nsnet's own table's life cycle.
    nft::Table other;
    other.name = "mine";
    nft::Batch b2;
    b2.add(nft::table_del(nft::TableFamily::Ip, "nsnet"), "delete table", "ip nsnet");
    b2.add(nft::table_new(other), "add table", "ip mine");
    b2.run_or_throw(s);
    {
        Masquerade m = Masquerade::create(ns, {.saddr = pfx("10.0.0.0/8")});
    }
    check_ruleset(ns, {"table ip mine"}, {"table ip nsnet"});
}

// --- firewall::Rule (nsnet/firewall/rule.hpp): portmap as a CNI plugin writes it ---------------

TEST_CASE("firewall: portmap rules (fib daddr type local, hairpin mark, shared masquerade), found and removed by owner from another process") {
    using namespace nsnet::firewall;
    World w;
    Route::create(w.outside, {.dst = "172.17.0.0/16", .via = "198.51.100.1"}).persist();  // so a non-NATed reply can return
    const std::string id = "ctr-" + unique_name("c");
    // Mark hairpin traffic (from the containers' network), then the port forward, only to local addresses.
    Rule mark = Rule::create(w.router, {.hook = Hook::Prerouting, .type = ChainType::Nat,
                                        .match = {.saddr = "172.17.0.0/16", .daddr_local = true,
                                                  .protocol = Protocol::Tcp, .dport = 8080},
                                        .set_meta_mark = MarkSet{.value = 0x2000, .mask = 0x2000},
                                        .owner = id});
    Rule dnat = Rule::create(w.router, {.hook = Hook::Prerouting,
                                        .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                                        .action = Action::Dnat, .to = "172.17.0.2", .to_ports = 80, .owner = id});
    RuleRef masq = Rule::ensure(w.router, {.hook = Hook::Postrouting,
                                           .match = {.meta_mark = MarkMatch{.value = 0x2000, .mask = 0x2000}},
                                           .action = Action::Masquerade});
    RuleRef again = Rule::ensure(w.router, {.hook = Hook::Postrouting,
                                            .match = {.meta_mark = MarkMatch{.value = 0x2000, .mask = 0x2000}},
                                            .action = Action::Masquerade});
    CHECK(again.handle == masq.handle);  // reused, not duplicated
    CHECK(dnat.to_string() == "meta nfproto ipv4 fib daddr type local tcp dport 8080 counter dnat ip to 172.17.0.2:80");
    CHECK(mark.to_string() ==
          "ip saddr 172.17.0.0/16 fib daddr type local tcp dport 8080 counter meta mark set meta mark | 0x00002000");
    check_ruleset(w.router, {"table inet nsnet",
                             "ip saddr 172.17.0.0/16 fib daddr type local tcp dport 8080 counter packets",
                             "meta mark set meta mark | 0x00002000 comment \"owner:" + id + " nsnet:",
                             "fib daddr type local tcp dport 8080 counter packets",
                             "dnat ip to 172.17.0.2:80 comment \"owner:" + id,
                             "meta mark & 0x00002000 == 0x00002000 counter packets"});

    // Outside -> the router's address:8080 -> the container:80, source preserved.
    CHECK(tcp_peer(w.outside, w.inner, "198.51.100.1", 80, 8080) == "198.51.100.8");
    // The container -> a remote host's port 8080: not redirected (not a local address).
    CHECK(tcp_peer(w.inner, w.outside, "198.51.100.8", 8080, 8080) == "172.17.0.2");
    // Hairpin: the container -> the gateway's address:8080 -> itself, masqueraded (marked).
    CHECK(tcp_peer(w.inner, w.inner, "172.17.0.1", 80, 8080) == "172.17.0.1");

    // Listed by owner, with nft's text read back from the kernel.
    auto mine = Rule::list(w.router, {.owner = id});
    REQUIRE(mine.size() == 2);
    CAPTURE(mine[0].text);
    CAPTURE(mine[1].text);
    CHECK(mine[0].text.find("ip saddr 172.17.0.0/16 fib daddr type local tcp dport 8080 counter packets") == 0);
    CHECK(mine[1].text.find("dnat ip to 172.17.0.2:80 comment \"owner:" + id + " nsnet:" + mine[1].tag + "\"") !=
          std::string::npos);
    CHECK(Rule::list(w.router, {}).size() == 3);
    mark.persist();
    dnat.persist();
    mark = Rule();
    dnat = Rule();

    // DEL in another process: every rule of that owner, nothing else.
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 100;
        try {
            code = static_cast<int>(Rule::remove_owned(w.router, id));
        } catch (...) {
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    CHECK(Rule::list(w.router, {.owner = id}).empty());
    CHECK(Rule::remove_owned(w.router, id) == 0);  // twice: already gone is success
    auto left = Rule::list(w.router);
    REQUIRE(left.size() == 1);
    CHECK(left[0].ref.handle == masq.handle);
    CHECK(tcp_peer(w.outside, w.inner, "198.51.100.1", 80, 8080).empty());  // the forward is gone
    // The shared rule goes only when asked; then the chains and the table go too.
    Rule::remove(w.router, masq);
    Rule::remove(w.router, masq);  // already gone: success
    CHECK(Rule::list(w.router).empty());
    nl::Socket s = w.router.netlink_socket(NETLINK_NETFILTER);
    CHECK_FALSE(nsnet::detail::find_nsnet_table(s, nft::TableFamily::Inet).has_value());
}

TEST_CASE("nf_tables generation: a batch for a ruleset that moved on is refused whole (ERESTART)") {
    Netns ns = Netns::create_anonymous();
    nl::Socket s = ns.ref().netlink_socket(NETLINK_NETFILTER);
    const std::uint32_t looked_at = nft::read_generation(s);
    nft::Batch late;
    late.add(nft::table_new(nft::Table{.name = "late"}, NLM_F_EXCL), "add table", "ip late");
    late.set_generation(looked_at);
    nft::Batch first;
    first.add(nft::table_new(nft::Table{.name = "first"}), "add table", "ip first");
    first.run_or_throw(s);  // another change commits in between
    CHECK(nft::read_generation(s) != looked_at);
    nft::BatchResult r = late.run(s);
    CHECK_FALSE(r.applied);
    REQUIRE(r.batch_error);
    CHECK(r.batch_error->error == ERESTART);
    CHECK(r.error().errnum() == ERESTART);
    // Nothing of it was applied: the same batch (NLM_F_EXCL) for the current generation succeeds.
    late.set_generation(nft::read_generation(s));
    CHECK(late.run(s).applied);
}

TEST_CASE("firewall: Rule::ensure from 8 threads at once makes one rule, which all of them get") {
    using namespace nsnet::firewall;
    Netns ns = Netns::create_anonymous();
    constexpr int threads = 8;
    for (std::uint32_t round = 0; round < 4; ++round) {
        CAPTURE(round);
        const RuleOptions shared{.hook = Hook::Postrouting,
                                 .match = {.meta_mark = MarkMatch{.value = 0x100u << round, .mask = 0x100u << round}},
                                 .action = Action::Masquerade};
        std::vector<std::optional<RuleRef>> refs(threads);
        auto errors = test::at_once(threads, [&](int i) { refs[static_cast<std::size_t>(i)] = Rule::ensure(ns, shared); });
        for (const auto& e : errors) CHECK(e == "");
        std::vector<RuleInfo> rules = Rule::list(ns);
        CHECK(rules.size() == round + 1);  // one per round: no thread added a second copy
        for (const auto& ref : refs) {
            REQUIRE(ref);
            CHECK(ref->handle == refs[0]->handle);
        }
    }
}

TEST_CASE("firewall: rules created and removed from 8 threads at once in a fresh namespace: all made, one table, then none") {
    // Parallel CNI ADDs on a fresh host: every one finds no nsnet table and creates it (NLM_F_EXCL,
    // so that a foreign table is never adopted); all but one are refused with EEXIST and must look
    // again. Then parallel DELs: each removal sweeps empty chains and the table while the others'
    // rules may still be in them. Several rounds, each in a new namespace, to meet the race often.
    using namespace nsnet::firewall;
    constexpr int threads = 8;
    for (int round = 0; round < 5; ++round) {
        CAPTURE(round);
        Netns ns = Netns::create_anonymous();
        std::vector<std::optional<Rule>> rules(threads);
        auto errors = test::at_once(threads, [&](int i) {
            const auto mark = 1u << i;
            rules[static_cast<std::size_t>(i)] =
                Rule::create(ns, {.hook = Hook::Postrouting, .match = {.meta_mark = MarkMatch{.value = mark, .mask = mark}},
                                  .action = Action::Masquerade, .owner = "ctr" + std::to_string(i)});
        });
        for (const auto& e : errors) CHECK(e == "");
        CHECK(Rule::list(ns).size() == threads);
        for (int i = 0; i < threads; ++i) {
            REQUIRE(rules[static_cast<std::size_t>(i)]);
            CHECK(Rule::list(ns, {.owner = "ctr" + std::to_string(i)}).size() == 1);
        }
        errors = test::at_once(threads, [&](int i) {
            if (auto n = Rule::remove_owned(ns, "ctr" + std::to_string(i)); n != 1)
                throw std::runtime_error("remove_owned removed " + std::to_string(n) + " rules, not 1");
        });
        for (const auto& e : errors) CHECK(e == "");
        CHECK(Rule::list(ns).empty());
        CHECK_FALSE(nsnet_table_exists(ns));  // the last removal took the table (whichever it was)
        for (auto& r : rules) r->persist();  // removed by owner already
    }
}

namespace {

// Runs `between` on another thread when the watched thread makes its n-th sendmsg: a process that
// changes the ruleset in the gap between a batch's look-ups and the batch itself.
struct RaceAtSendmsg : nsnet::detail::FaultInjector {
    std::thread::id watched = std::this_thread::get_id();
    int n = 0, seen = 0;
    std::function<void()> between;
    bool fired = false;
    int before(nsnet::detail::Call c) override {
        if (c != nsnet::detail::Call::sendmsg || std::this_thread::get_id() != watched || fired) return 0;
        if (++seen == n) {
            fired = true;
            std::thread(between).join();
        }
        return 0;
    }
};

}  // namespace

TEST_CASE("firewall: a chain swept between a batch's look-up and the batch: the batch is sent again, declaring it") {
    // A CNI ADD and the DEL of the network's last other container at the same moment. The ADD's
    // TableBatch looks up the table (sendmsg 1) and its chains (sendmsg 2) and, seeing postrouting,
    // does not declare it again (that would cost a grace period when its socket closes). The DEL
    // removes the chain's last rule and sweeps the chain and the table before the ADD's batch
    // (sendmsg 3) arrives: its rule then finds no chain (ENOENT, the whole batch refused), and the
    // batch must be sent again with every chain declared.
    using namespace nsnet::firewall;
    Netns ns = Netns::create_anonymous();
    auto masquerade = [](const std::string& owner, std::uint32_t mark) {
        return RuleOptions{.hook = Hook::Postrouting, .match = {.meta_mark = MarkMatch{.value = mark, .mask = mark}},
                           .action = Action::Masquerade, .owner = owner};
    };
    Rule::create(ns, masquerade("old", 1)).persist();
    RaceAtSendmsg race;
    race.n = 3;
    bool swept = false;
    race.between = [&] {
        CHECK(Rule::remove_owned(ns, "old") == 1);
        swept = !nsnet_table_exists(ns);
    };
    std::optional<Rule> made;
    {
        nsnet::detail::ScopedFaultInjector on(race);
        made = Rule::create(ns, masquerade("new", 2));
    }
    CHECK(race.fired);
    CHECK(swept);  // the DEL took the chain and the table while the ADD was between look-up and batch
    CHECK(Rule::list(ns, {.owner = "new"}).size() == 1);
    made.reset();
    CHECK_FALSE(nsnet_table_exists(ns));
}

TEST_CASE("firewall: IPv6 and the other statements are accepted by the kernel and read back as nft shows them") {
    using namespace nsnet::firewall;
    Netns ns = Netns::create(unique_name("f6"));
    const std::string id = "ctr-" + unique_name("6");
    std::vector<Rule> rules;
    rules.push_back(Rule::create(ns, {.hook = Hook::Prerouting,
                                      .match = {.daddr = "fd00::1", .protocol = Protocol::Udp, .dport = PortRange{5000, 5010}},
                                      .action = Action::Dnat, .to = "fd00::2", .to_ports = PortRange{6000, 6010}, .owner = id}));
    rules.push_back(Rule::create(ns, {.family = firewall::Family::Ip6, .hook = Hook::Postrouting,
                                      .match = {.oif = "eth0", .saddr = "fd00::/64"},
                                      .action = Action::Snat, .to = "fd00::9", .owner = id}));
    rules.push_back(Rule::create(ns, {.chain = "cni-ctr", .match = {.meta_mark = MarkMatch{.value = 7}},
                                      .set_meta_mark = MarkSet{.value = 7}, .action = Action::Return, .owner = id}));
    rules.push_back(Rule::create(ns, {.hook = Hook::Forward, .match = {.iif = "cni0", .iif_negate = true,
                                                                       .ct_mark = MarkMatch{.value = 0x10}},
                                      .set_ct_mark = MarkSet{.value = 5}, .action = Action::Jump, .target = "cni-ctr",
                                      .owner = id}));
    rules.push_back(Rule::create(ns, {.hook = Hook::Forward, .match = {.ct_state = CtState::Established | CtState::Related},
                                      .action = Action::Accept, .owner = id}));
    rules.push_back(Rule::create(ns, {.hook = Hook::Prerouting, .match = {.protocol = Protocol::Tcp, .dport = 80},
                                      .action = Action::Redirect, .to_ports = 8080, .owner = id}));
    rules.push_back(Rule::create(ns, {.family = firewall::Family::Ip, .hook = Hook::Postrouting,
                                      .match = {.saddr = "10.88.0.0/16", .daddr = "10.88.0.0/16", .daddr_negate = true,
                                                .protocol = Protocol::Tcp},
                                      .action = Action::Masquerade, .to_ports = PortRange{1024, 65535}, .owner = id}));
    std::vector<std::string> texts;
    for (const auto& r : rules) texts.push_back(r.to_string());
    CHECK(texts[0] == "ip6 daddr fd00::1 udp dport 5000-5010 counter dnat ip6 to [fd00::2]:6000-6010");
    CHECK(texts[1] == "oifname \"eth0\" ip6 saddr fd00::/64 counter snat to fd00::9");
    CHECK(texts[3] == "iifname != \"cni0\" ct mark 0x00000010 counter ct mark set 0x00000005 jump cni-ctr");
    CHECK(texts[4] == "ct state established,related counter accept");
    CHECK(texts[6] == "ip saddr 10.88.0.0/16 ip daddr != 10.88.0.0/16 meta l4proto tcp counter masquerade to :1024-65535");
    // What the kernel holds reads back as the same text (plus counter values and the comment).
    auto listed = Rule::list(ns, {.owner = id});
    REQUIRE(listed.size() == rules.size());
    for (const auto& want : texts) {
        bool found = false;
        for (const auto& l : listed) {
            std::string t = l.text;
            auto c = t.find(" comment \"");
            if (c != std::string::npos) t.resize(c);
            t = std::regex_replace(t, std::regex("counter packets [0-9]+ bytes [0-9]+"), "counter");
            if (t == want) found = true;
        }
        std::string all;
        for (const auto& l : listed) all += l.text + "\n";
        CHECK_MESSAGE(found, "not read back: " << want << " in:\n" << all);
    }
    check_ruleset(ns, {"dnat ip6 to [fd00::2]:6000-6010", "ct state established,related", "jump cni-ctr",
                       "redirect to :8080", "masquerade to :1024-65535", "comment \"owner:" + id});
    // Bad input names the field and changes nothing.
    CHECK_THROWS_WITH_AS(Rule::create(ns, {.hook = Hook::Postrouting, .action = Action::Masquerade}),
                         doctest::Contains("match_all"), InvalidArgument);
    CHECK_THROWS_WITH_AS(Rule::create(ns, {.family = firewall::Family::Ip, .match = {.saddr = "fd00::/64"}, .action = Action::Drop}),
                         doctest::Contains("Match.saddr"), InvalidArgument);
    CHECK_THROWS_WITH_AS(Rule::create(ns, {.match = {.daddr = "1.2.3.400"}, .action = Action::Drop}),
                         doctest::Contains("Match.daddr"), InvalidArgument);
    CHECK_THROWS_AS(Masquerade::create(ns, {}), InvalidArgument);
    for (auto& r : rules) r.persist();
    CHECK(Rule::remove_owned(ns, id) == rules.size());
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    CHECK_FALSE(nsnet::detail::find_nsnet_table(s, nft::TableFamily::Inet).has_value());
    CHECK_FALSE(nsnet::detail::find_nsnet_table(s, nft::TableFamily::Ip6).has_value());
    CHECK_FALSE(nsnet::detail::find_nsnet_table(s, nft::TableFamily::Ip).has_value());
}

TEST_CASE("firewall: Rule::create of a list sends one batch: every rule, in the order given, or none") {
    using namespace nsnet::firewall;
    Netns ns = Netns::create(unique_name("fl"));
    const std::string id = "ctr-" + unique_name("l");
    // A container's portmap and masquerade rules, as nsnet-bridge makes them.
    std::vector<RuleOptions> opts;
    for (Hook hook : {Hook::Prerouting, Hook::Output}) {
        opts.push_back({.hook = hook,
                        .match = {.saddr = "10.88.0.0/24", .daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                        .set_meta_mark = MarkSet{.value = 0x2000, .mask = 0x2000},
                        .action = Action::Dnat, .to = "10.88.0.2", .to_ports = 80, .owner = id});
        opts.push_back({.hook = hook, .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                        .action = Action::Dnat, .to = "10.88.0.2", .to_ports = 80, .owner = id});
    }
    opts.push_back({.hook = Hook::Postrouting, .match = {.saddr = "10.88.0.2", .daddr = "10.88.0.0/24", .daddr_negate = true},
                    .action = Action::Masquerade, .owner = id});
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    auto nothing_there = [&] {
        CHECK(Rule::list(ns).empty());
        CHECK_FALSE(nsnet::detail::find_nsnet_table(s, nft::TableFamily::Inet).has_value());
    };

    CHECK(Rule::create(ns, std::vector<RuleOptions>{}).empty());
    nothing_there();
    // Bad input anywhere in the list: InvalidArgument naming it, before anything is sent.
    auto bad = opts;
    bad[3].match.daddr = "10.88.0.400";
    CHECK_THROWS_WITH_AS(Rule::create(ns, bad), doctest::Contains("10.88.0.400"), InvalidArgument);
    nothing_there();
    auto mixed = opts;
    mixed[4].family = firewall::Family::Ip;
    CHECK_THROWS_WITH_AS(Rule::create(ns, mixed), doctest::Contains("options[4].family"), InvalidArgument);
    nothing_there();
    // The kernel refuses the last rule (a jump to a chain that does not exist): the batch is rolled
    // back, the rules before it are not there either.
    auto refused = opts;
    refused.push_back({.hook = Hook::Forward, .action = Action::Jump, .target = "no-such-chain", .owner = id});
    CHECK_THROWS_AS(Rule::create(ns, refused), Error);
    nothing_there();

    std::vector<Rule> rules = Rule::create(ns, opts);
    REQUIRE(rules.size() == opts.size());
    for (std::size_t i = 0; i < rules.size(); ++i) {
        CAPTURE(i);
        CHECK(rules[i].active());
        CHECK(rules[i].owner() == id);
        CHECK(Rule::get(ns, rules[i].ref()).owner == id);
    }
    CHECK(rules[1].to_string() == "meta nfproto ipv4 fib daddr type local tcp dport 8080 counter dnat ip to 10.88.0.2:80");
    // In the kernel in the order given: chain by chain, the listed handles are those of the list.
    auto listed = Rule::list(ns, {.owner = id});
    REQUIRE(listed.size() == rules.size());
    for (const char* chain : {"prerouting", "output", "postrouting"}) {
        std::vector<std::uint64_t> want, have;
        for (const auto& r : rules)
            if (r.ref().chain == chain) want.push_back(r.ref().handle);
        for (const auto& l : listed)
            if (l.ref.chain == chain) have.push_back(l.ref.handle);
        CAPTURE(chain);
        CHECK(have == want);
        CHECK_FALSE(want.empty());
    }
    // The owners remove their rules on destruction (then the chains and the table go).
    rules.clear();
    nothing_there();
}

TEST_CASE("nat: a rule one process persisted is listed, found, adopted and removed by another (a fork child), by handle, tag or owner") {
    Netns ns = Netns::create(unique_name("nf"));
    const std::string id = "ctr-" + std::to_string(::getpid());
    Dnat web = Dnat::create(ns, {.dport = 8080, .to = "172.17.10.10", .to_port = 80, .owner = id});
    Dnat other = Dnat::create(ns, {.dport = 9090, .to = "172.17.10.20", .to_port = 80, .owner = "someone-else"});
    Masquerade masq = Masquerade::create(ns, {.saddr = "172.17.0.0/16", .oif = "docker0", .oif_negate = true, .owner = id});
    FilterRule filter = FilterRule::create(ns, {.iif = "docker0", .protocol = Protocol::Udp, .dport = 53, .owner = id});
    const std::uint64_t web_handle = web.release();  // persisted: only its handle is left here
    const std::string masq_tag = masq.tag();
    masq.persist();
    filter.persist();
    other.persist();
    REQUIRE(web_handle != 0);
    CHECK(masq_tag.size() == 16);

    // The later process (as a CNI DEL is): nothing but the namespace, a handle, a tag and the owner.
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        try {
            auto mine = Dnat::list(ns, {.owner = id});
            if (mine.size() != 1 || mine[0].handle != web_handle || mine[0].owner != id ||
                mine[0].text.find("dnat to 172.17.10.10:80") == std::string::npos)
                code = 10;
            else if (Dnat::list(ns).size() != 2 || !Dnat::find(ns, web_handle) || Masquerade::find(ns, web_handle))
                code = 11;  // a Dnat's handle is not a masquerade's
            else if (Masquerade::get(ns, std::string_view(masq_tag)).chain != "postrouting")
                code = 12;
            if (!code) {
                Dnat::remove(ns, web_handle);
                Dnat::remove(ns, web_handle);  // already gone: success
                if (Dnat::find(ns, web_handle)) code = 13;
            }
            if (!code && Masquerade::remove_owned(ns, id) != 1) code = 14;
            if (!code) {
                FilterRule f = FilterRule::adopt(ns, FilterRule::list(ns, {.owner = id}).at(0).handle);
                if (!f.active() || f.owner() != id) code = 15;
            }  // the adopted owner removes it here
            if (!code && !FilterRule::list(ns).empty()) code = 16;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fork child: %s\n", e.what());
            code = 20;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    // The parent sees what the child did; someone else's rule is left alone.
    CHECK_FALSE(Dnat::find(ns, web_handle));
    CHECK(Masquerade::list(ns).empty());
    CHECK(FilterRule::list(ns).empty());
    auto left = Dnat::list(ns);
    REQUIRE(left.size() == 1);
    CHECK(left[0].owner == "someone-else");
    CHECK_THROWS_WITH_AS(Dnat::get(ns, std::uint64_t{999999}), doctest::Contains("handle 999999"), Error);
    CHECK_THROWS_AS(Masquerade::adopt(ns, left[0].handle), Error);  // checked to be of the right kind
    CHECK(Dnat::remove_owned(ns, "someone-else") == 1);
    CHECK_FALSE(nsnet_table_exists(ns));  // the last removal took the chains and the table
}
