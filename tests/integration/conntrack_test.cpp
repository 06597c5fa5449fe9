// Integration tests of include/nsnet/conntrack.hpp (root): UDP datagrams between two throwaway
// namespaces create conntrack entries; Conntrack::list shows them with the right tuples and filters
// them; Conntrack::remove by destination port deletes exactly those, and what is gone already is
// not an error. The kernel filters dumps as ctnl::ct_dump asks (raw dumps checked on their own),
// IPv6 address filters give the right entries, Conntrack::count counts, and a table of thousands
// of entries (the per-family filtered dumps) gives the same answers.
#include "nsnet/conntrack.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/firewall/nat.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/veth.hpp"
#include "nsnet_probe/probe.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::firewall::Masquerade;
using nsnet::test::unique_name;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }

// One datagram from a fresh socket (a fresh source port: a new conntrack entry) inside `from`, to
// an IPv4 or IPv6 address.
void send_udp(const NetnsRef& from, const char* to, std::uint16_t port) {
    const auto sa = nsnet::detail::make_sockaddr(IpAddress::parse(to), port);
    auto fd = from.socket(sa.storage.ss_family, SOCK_DGRAM);
    REQUIRE(::sendto(fd.get(), "x", 1, 0, sa.get(), sa.length) == 1);
}

// Conntrack::count once it has come down to `expected` (up to 3 s). It is the kernel's number of
// allocated entries (conntrack -C): a removed entry that a packet still holds, such as an IPv6 one
// whose packet waits for neighbour discovery on a slow VM, is counted until that packet is gone
// (seen once: 2 more than expected right after a removal, in the TCG VM stage).
std::size_t count_settled(const NetnsRef& ns, std::size_t expected) {
    std::size_t n = Conntrack::count(ns);
    for (int i = 0; i < 60 && n != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        n = Conntrack::count(ns);
    }
    return n;
}

// Two namespaces joined by a veth (10.77.0.1/24, fd77::1/64 in `a`), `a` tracking connections of
// both families (an inet rule with a ct match registers the hooks of both). Skips without
// nf_tables or ctnetlink.
struct Tracked {
    Netns a = Netns::create_anonymous();
    Netns b = Netns::create_anonymous();
    VethPair veth = VethPair::create(a, {.name = "ct0", .peer = {.name = "ct1", .netns = b}});
    std::optional<firewall::Rule> tracking{};
    bool ok = false;

    Tracked() {
        veth.first().add_address("10.77.0.1/24");
        veth.second().add_address("10.77.0.2/24");
        veth.first().add_address("fd77::1/64", {.nodad = true});
        veth.second().add_address("fd77::2/64", {.nodad = true});
        veth.first().up();
        veth.second().up();
        try {
            tracking = firewall::Rule::create(a, {.hook = firewall::Hook::Forward,
                                                  .match = {.ct_state = firewall::CtState::New},
                                                  .action = firewall::Action::Accept});
            (void)Conntrack::count(a);
            ok = true;
        } catch (const Error& e) {
            if (e.errnum() != EINVAL && e.errnum() != EOPNOTSUPP && e.errnum() != ENOENT && e.errnum() != EPROTONOSUPPORT)
                throw;
            MESSAGE("no nf_tables ct match or no ctnetlink in this kernel: " << e.what());
        }
    }
};

// What a dump filtered by the kernel returns, undecided by nsnet's own matching.
std::vector<ConntrackEntry> raw_dump(const NetnsRef& ns, const ctnl::DumpFilter& f) {
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    auto msg = ctnl::ct_dump(f);
    return nl::dump_collect(s, msg, "dump", [](const nl::MessageView& m) { return ctnl::decode_entry(m); });
}

}  // namespace

TEST_CASE("conntrack: UDP entries between two namespaces are listed, filtered and deleted by port") {
    Netns a = Netns::create(unique_name("cta"));
    Netns b = Netns::create(unique_name("ctb"));
    auto veth = VethPair::create(a, {.name = "ct0", .peer = {.name = "ct1", .netns = b}});
    veth.first().add_address("10.77.0.1/24");
    veth.second().add_address("10.77.0.2/24");
    veth.first().up();
    veth.second().up();
    // Connection tracking runs in a namespace once something needs it: a NAT rule (that matches none
    // of this traffic) registers the hooks.
    Masquerade nat;
    try {
        nat = Masquerade::create(a, {.saddr = Prefix::parse("10.99.0.0/16")});
        CHECK(Conntrack::list(a).empty());
    } catch (const Error& e) {
        if (e.errnum() == EINVAL || e.errnum() == EOPNOTSUPP || e.errnum() == ENOENT || e.errnum() == EPROTONOSUPPORT)
            NSNET_SKIP("no nf_tables NAT or no ctnetlink (nf_conntrack_netlink) in this kernel: " << e.what());
        throw;
    }
    send_udp(a, "10.77.0.2", 5353);
    send_udp(a, "10.77.0.2", 5353);
    send_udp(a, "10.77.0.2", 5354);

    auto all = Conntrack::list(a, {.protocol = IPPROTO_UDP});
    if (all.empty()) NSNET_SKIP("no conntrack entries appeared (nf_conntrack_netlink missing?)");
    REQUIRE(all.size() == 3);
    for (const auto& e : all) {
        INFO(e.to_string());
        CHECK(e.family == AF_INET);
        CHECK(e.orig.src == ip("10.77.0.1"));
        CHECK(e.orig.dst == ip("10.77.0.2"));
        REQUIRE(e.reply);
        CHECK(e.reply->src == ip("10.77.0.2"));
        CHECK(e.reply->dst_port == e.orig.src_port);
        CHECK(e.id.has_value());
    }
    CHECK(Conntrack::list(a, {.orig_dst_port = 5353}).size() == 2);
    CHECK(Conntrack::list(a, {.orig_dst = ip("10.77.0.2"), .orig_dst_port = 5354}).size() == 1);
    CHECK(Conntrack::list(a, {.orig_dst = ip("10.77.0.3")}).empty());
    CHECK(Conntrack::list(a, {.orig_src = "10.77.0.1", .orig_dst = "10.77.0.2"}).size() == 3);  // text
    CHECK_THROWS_AS(Conntrack::list(a, {.orig_dst = "10.77.0.300"}), InvalidArgument);
    CHECK(Conntrack::list(a, {.family = Family::V6}).empty());
    CHECK(Conntrack::list(a, {.protocol = IPPROTO_TCP}).empty());
    CHECK(Conntrack::list(a, {.zone = 0, .mark = 0}).size() == 3);
    CHECK(Conntrack::list(a, {.zone = 3}).empty());
    CHECK(Conntrack::list(a, {.mark = 1}).empty());
    CHECK(Conntrack::list(b).empty());  // b tracks nothing: each namespace has its own table

    // conntrack -D -p udp --orig-port-dst 5353: exactly the two entries to 5353 go.
    CHECK(Conntrack::remove(a, {.family = Family::V4, .protocol = IPPROTO_UDP, .orig_dst_port = 5353}) == 2);
    auto left = Conntrack::list(a);
    REQUIRE(left.size() == 1);
    CHECK(left[0].orig.dst_port == 5354);
    CHECK(Conntrack::remove(a, {.protocol = IPPROTO_UDP, .orig_dst_port = 5353}) == 0);

    // One entry by value; a second delete finds it gone, which is not an error.
    CHECK(Conntrack::remove(a, left[0]));
    CHECK_FALSE(Conntrack::remove(a, left[0]));
    CHECK(Conntrack::list(a).empty());

    // Traffic again after the delete makes a new entry (a moved port mapping is reached anew).
    send_udp(a, "10.77.0.2", 5353);
    CHECK(Conntrack::list(a, {.orig_dst_port = 5353}).size() == 1);
}

TEST_CASE("conntrack: bad input is rejected before anything is sent") {
    Netns a = Netns::create(unique_name("ctx"));
    ConntrackEntry mixed{.family = AF_INET, .orig = {.src = ip("10.0.0.1"), .dst = ip("::1"), .protocol = IPPROTO_UDP}};
    CHECK_THROWS_AS(Conntrack::remove(a, mixed), InvalidArgument);
    ConntrackEntry nofamily{.family = 0, .orig = {.src = ip("10.0.0.1"), .dst = ip("10.0.0.2"), .protocol = IPPROTO_UDP}};
    CHECK_THROWS_AS(Conntrack::remove(a, nofamily), InvalidArgument);
    CHECK_THROWS_AS(Conntrack::list(NetnsRef{}), InvalidArgument);
}

TEST_CASE("conntrack: the kernel filters dumps; IPv6 addresses, which it compares wrong, are matched by nsnet") {
    Tracked t;
    if (!t.ok) NSNET_SKIP("no connection tracking here");
    send_udp(t.a, "10.77.0.2", 5353);
    send_udp(t.a, "10.77.0.2", 5354);
    send_udp(t.a, "10.77.0.3", 5353);  // no neighbour answers: still tracked (the datagram was sent)
    send_udp(t.a, "fd77::2", 5353);
    send_udp(t.a, "fd77::3", 5353);
    REQUIRE(Conntrack::list(t.a).size() == 5);
    CHECK(Conntrack::count(t.a) == 5);
    CHECK(Conntrack::count(t.b) == 0);

    // The kernel leaves out what does not match (nothing of nsnet's matching involved).
    auto v4 = raw_dump(t.a, {.family = AF_INET, .protocol = IPPROTO_UDP, .orig_dst = ip("10.77.0.2"), .orig_dst_port = 5353});
    REQUIRE(v4.size() == 1);
    CHECK(v4[0].orig.dst == ip("10.77.0.2"));
    CHECK(v4[0].orig.dst_port == 5353);
    CHECK(raw_dump(t.a, {.family = AF_INET6, .protocol = IPPROTO_UDP, .orig_dst_port = 5353}).size() == 2);
    CHECK(raw_dump(t.a, {.family = AF_INET, .protocol = IPPROTO_TCP}).empty());
    CHECK(raw_dump(t.a, {.mark = 0}).size() == 5);
    CHECK(raw_dump(t.a, {.mark = 1}).empty());

    // Through nsnet, every filter gives exactly its entries, IPv6 addresses included.
    CHECK(Conntrack::list(t.a, {.orig_dst = "fd77::2"}).size() == 1);
    CHECK(Conntrack::list(t.a, {.orig_src = "fd77::1"}).size() == 2);
    CHECK(Conntrack::list(t.a, {.protocol = IPPROTO_UDP, .orig_dst_port = 5353}).size() == 4);
    CHECK(Conntrack::list(t.a, {.orig_src = "10.77.0.1", .orig_dst = "fd77::2"}).empty());
    CHECK(Conntrack::remove(t.a, {.protocol = IPPROTO_UDP, .orig_dst = "fd77::3", .orig_dst_port = 5353}) == 1);
    auto left = Conntrack::list(t.a, {.family = Family::V6});
    REQUIRE(left.size() == 1);
    CHECK(left[0].orig.dst == ip("fd77::2"));
}

TEST_CASE("conntrack: with a table of thousands of entries, remove by port takes exactly its entries") {
    // Above detail::conntrack_split_threshold a filter with a protocol but no family is dumped per
    // family with the kernel filtering; below it, in one dump matched by nsnet. Both give the same.
    Tracked t;
    if (!t.ok) NSNET_SKIP("no connection tracking here");
    const int flows = static_cast<int>(detail::conntrack_split_threshold) + 500;
    {
        auto fd = t.a.socket(AF_INET, SOCK_DGRAM);  // one socket: one source port, a flow per destination port
        int sent = 0;
        for (int i = 0; i < flows; ++i) {
            const auto sa = nsnet::detail::make_sockaddr(ip("10.77.0.2"), static_cast<std::uint16_t>(20000 + i));
            sent += ::sendto(fd.get(), "x", 1, 0, sa.get(), sa.length) == 1;
        }
        REQUIRE(sent == flows);
    }
    send_udp(t.a, "10.77.0.2", 5353);
    send_udp(t.a, "fd77::2", 5353);
    send_udp(t.a, "fd77::2", 5353);
    REQUIRE(Conntrack::count(t.a) == static_cast<std::size_t>(flows) + 3);
    CHECK(Conntrack::list(t.a, {.protocol = IPPROTO_UDP, .orig_dst_port = 5353}).size() == 3);
    CHECK(Conntrack::remove(t.a, {.protocol = IPPROTO_UDP, .orig_dst_port = 5353}) == 3);
    CHECK(count_settled(t.a, static_cast<std::size_t>(flows)) == static_cast<std::size_t>(flows));
    CHECK(Conntrack::remove(t.a, {.protocol = IPPROTO_UDP, .orig_dst_port = 20007}) == 1);
    CHECK(Conntrack::list(t.a, {.family = Family::V4, .protocol = IPPROTO_UDP}).size() == static_cast<std::size_t>(flows) - 1);
}
