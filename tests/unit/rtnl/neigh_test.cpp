// Unit tests for include/nsnet/rtnl/neigh.hpp (and the option parsing of nsnet/neighbor.hpp):
// requests equal iproute2's bytes (tests/unit/golden/neigh_*, dump_neigh), the decoder reads the
// kernel's dump replies (reply_neigh*, capture_objects.sh) and ip's own flush messages, malformed
// input throws, bad input is refused naming the value.
#include "nsnet/rtnl/neigh.hpp"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "../golden.hpp"
#include "nsnet/neighbor.hpp"

using namespace nsnet;
using rtnl::NeighborState;

namespace {

void check_golden(const char* name, const nl::MessageBuilder& m) {
    CAPTURE(name);
    auto g = golden::load(name);
    INFO("golden cmd: " << g.cmd);
    NSNET_CHECK_GOLDEN(golden::as_sent(m), g);
}

std::vector<NeighborInfo> decode_all(const golden::ByteVec& bytes) {
    std::vector<NeighborInfo> out;
    for (nl::MessageView m : nl::MessageRange(golden::as_bytes(bytes)))
        if (auto n = rtnl::decode_neighbor(m)) out.push_back(*n);
    return out;
}

const MacAddress mac9 = MacAddress::parse("02:00:00:00:00:09");

}  // namespace

TEST_CASE("neighbor_new / neighbor_del equal `ip neigh add|replace|del`") {
    check_golden("neigh_add_permanent",
                 rtnl::neighbor_new({.index = 3, .address = IpAddress::parse("10.10.10.9"), .lladdr = mac9,
                                     .state = NeighborState::Permanent}));
    check_golden("neigh_add_proxy",
                 rtnl::neighbor_new({.index = 3, .address = IpAddress::parse("10.10.10.50"), .proxy = true}));
    check_golden("neigh_add_v6_router",
                 rtnl::neighbor_new({.index = 3, .address = IpAddress::parse("2001:db8::9"), .lladdr = mac9,
                                     .router = true}));
    check_golden("neigh_replace_reachable",
                 rtnl::neighbor_new({.index = 3, .address = IpAddress::parse("10.10.10.9"), .lladdr = mac9,
                                     .state = NeighborState::Reachable},
                                    true));
    check_golden("neigh_del", rtnl::neighbor_del({.index = 3, .address = IpAddress::parse("10.10.10.9")}));
}

TEST_CASE("NeighborOptions give the same bytes") {
    Link dev(NetnsRef{}, 3, "veth-n1");
    auto n = detail::resolve_neighbor(NetnsRef{}, {.dev = dev, .address = "10.10.10.9", .lladdr = "02:00:00:00:00:09"},
                                      "create neighbor");
    CHECK(n.shown == "10.10.10.9 dev veth-n1");
    check_golden("neigh_add_permanent", rtnl::neighbor_new(n.entry));
    auto p = detail::resolve_neighbor(NetnsRef{}, {.dev = dev, .address = "10.10.10.50", .proxy = true}, "create neighbor");
    CHECK(p.shown == "proxy 10.10.10.50 dev veth-n1");
    check_golden("neigh_add_proxy", rtnl::neighbor_new(p.entry));
    // typed values give the same request as text
    auto r = detail::resolve_neighbor(NetnsRef{},
                                      {.dev = dev, .address = IpAddress::parse("2001:db8::9"), .lladdr = mac9, .router = true},
                                      "create neighbor");
    check_golden("neigh_add_v6_router", rtnl::neighbor_new(r.entry));
    check_golden("neigh_del", rtnl::neighbor_del(detail::resolve_neighbor(NetnsRef{}, {.dev = dev, .address = "10.10.10.9"},
                                                                          "remove neighbor").entry));
}

TEST_CASE("neighbor_dump equals `ip neigh show` and the filtered dump of `ip neigh flush dev`") {
    auto show = golden::load("dump_neigh");
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::neighbor_dump()), show.block(2));
    auto flush = golden::load("neigh_flush");
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::neighbor_dump(AF_UNSPEC, 3)), flush.block(2));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::neighbor_dump(AF_UNSPEC, 3)), flush.block(4));
    auto proxy_dump = rtnl::neighbor_dump(AF_UNSPEC, 0, true);  // the view reads its buffer: keep it alive
    nl::MessageView proxy(proxy_dump.bytes());
    CHECK(proxy.family_header<ndmsg>().ndm_flags == NTF_PROXY);
}

TEST_CASE("flush: a delete built from a dumped entry matches ip's (header and NDA_DST)") {
    // ip neigh flush sends the kernel's dump replies back with the type changed; nsnet sends only
    // what the kernel looks at. Decode ip's messages, rebuild the delete, compare the common part.
    auto flush = golden::load("neigh_flush").block(3);
    auto entries = decode_all(flush.bytes);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].address == IpAddress::parse("10.10.10.11"));
    CHECK(entries[0].state == NeighborState::Reachable);
    CHECK(entries[1].address == IpAddress::parse("10.10.10.12"));
    CHECK(entries[1].state == NeighborState::Stale);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto mine = golden::to_vec(rtnl::neighbor_del(entries[i]).bytes());
        REQUIRE(mine.size() == 36);
        const std::size_t at = i * 76;
        for (std::size_t b = 4; b < 8; ++b) CHECK(mine[b] == flush.bytes[at + b]);   // type, flags (no ack yet)
        for (std::size_t b = 16; b < 36; ++b)  // ndmsg (but ndm_type, which the kernel ignores) + NDA_DST
            if (b != 27) CHECK(mine[b] == flush.bytes[at + b]);
    }
}

TEST_CASE("decode_neighbor reads the kernel's neighbour dump (reply_neigh)") {
    auto all = decode_all(golden::load("reply_neigh").block(1).bytes);
    REQUIRE(all.size() == 7);  // the order follows the kernel's hash: look entries up by address
    auto find = [&](const char* address) -> const NeighborInfo& {
        for (const auto& n : all)
            if (n.address == IpAddress::parse(address)) return n;
        FAIL("no entry for " << address);
        return all.front();
    };
    CHECK(find("10.10.10.9").index == 3);
    CHECK(find("10.10.10.9").lladdr == mac9);
    CHECK(find("10.10.10.9").state == NeighborState::Permanent);
    CHECK(find("10.10.10.12").state == NeighborState::Stale);
    CHECK(find("10.10.10.11").state == NeighborState::Reachable);
    CHECK(find("10.10.10.11").lladdr == MacAddress::parse("02:00:00:00:00:0b"));
    const NeighborInfo& r = find("2001:db8::9");
    CHECK(r.router);
    CHECK(r.state == NeighborState::Permanent);
    CHECK(rtnl::describe(r) == "2001:db8::9 dev #3 lladdr 02:00:00:00:00:09 router permanent");
    // the kernel's own IPv6 multicast entries (ff02::...) are noarp
    int multicast = 0;
    for (const auto& n : all) {
        CHECK_FALSE(n.proxy);
        if (n.family() == Family::V6 && n.address.data()[0] == 0xff) {
            ++multicast;
            CHECK(n.state == NeighborState::Noarp);
            CHECK_FALSE(n.router);
        }
    }
    CHECK(multicast == 3);
}

TEST_CASE("decode_neighbor reads a proxy entry (reply_neigh_proxy)") {
    auto all = decode_all(golden::load("reply_neigh_proxy").block(1).bytes);
    REQUIRE(all.size() == 1);
    CHECK(all[0].proxy);
    CHECK(all[0].address == IpAddress::parse("10.10.10.50"));
    CHECK_FALSE(all[0].lladdr);
    CHECK(all[0].index == 3);
}

TEST_CASE("to_string of states") {
    CHECK(rtnl::to_string(NeighborState::Reachable) == "reachable");
    CHECK(rtnl::to_string(static_cast<NeighborState>(NUD_NOARP | NUD_PERMANENT)) == "noarp|permanent");
    CHECK(rtnl::to_string(NeighborState::None) == "none");
}

TEST_CASE("decode_neighbor rejects malformed messages and skips bridge FDB entries") {
    auto good = golden::to_vec(rtnl::neighbor_new({.index = 3, .address = IpAddress::parse("10.10.10.9"), .lladdr = mac9}).bytes());
    SUBCASE("NDA_DST of the wrong size for the family") {
        auto b = good;
        b[16] = AF_INET6;
        CHECK_THROWS_AS(rtnl::decode_neighbor(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("no NDA_DST") {
        auto b = good;
        b[30] = NDA_VLAN;  // rename NDA_DST
        CHECK_THROWS_AS(rtnl::decode_neighbor(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("attribute running past the end") {
        auto b = good;
        b[36] = 0x30;
        CHECK_THROWS_AS(rtnl::decode_neighbor(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("message shorter than ndmsg") {
        auto b = good;
        b.resize(20);
        b[0] = 20;
        CHECK_THROWS_AS(rtnl::decode_neighbor(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("AF_BRIDGE (an FDB entry) is not a neighbour") {
        auto b = good;
        b[16] = AF_BRIDGE;
        CHECK_FALSE(rtnl::decode_neighbor(nl::MessageView(golden::as_bytes(b))).has_value());
    }
}

TEST_CASE("bad neighbours are refused before anything is sent, naming the field and the value") {
    Link dev(NetnsRef{}, 3, "veth-n1");
    auto rejects = [&](NeighborOptions o, const std::string& needle) {
        try {
            detail::resolve_neighbor(NetnsRef{}, o, "create neighbor");
            FAIL("accepted: " << needle);
        } catch (const InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, std::string(e.what()));
            CHECK(e.errnum() == EINVAL);
        }
    };
    rejects({.dev = dev, .address = "10.10.10.300", .lladdr = "02:00:00:00:00:01"},
            "NeighborOptions.address '10.10.10.300' is not an IPv4 or IPv6 address");
    rejects({.dev = dev, .address = "10.10.10.3", .lladdr = "02:00:00:00:01"},
            "NeighborOptions.lladdr '02:00:00:00:01' is not a MAC address");
    rejects({.dev = dev, .address = "10.10.10.3", .lladdr = "zz:00:00:00:00:01"}, "NeighborOptions.lladdr 'zz:00:00:00:00:01'");
    rejects({.dev = dev, .address = "10.10.10.3", .lladdr = "02:00:00:00:00:01", .proxy = true},
            "NeighborOptions.lladdr '02:00:00:00:00:01' given for a proxy entry");
    rejects({.dev = dev, .address = "10.10.10.3", .lladdr = "02:00:00:00:00:01", .router = true},
            "NeighborOptions.router applies to IPv6 neighbours only, NeighborOptions.address 10.10.10.3 is IPv4");
    rejects({.dev = dev}, "NeighborOptions.address is not set");
    rejects({.address = "10.10.10.3"}, "NeighborOptions.dev is not set");
    rejects({.dev = "bad/name", .address = "10.10.10.3"}, "bad/name");
    rejects({.dev = -1, .address = "10.10.10.3"}, "device index -1");
    // the value is checked before the device, which would need a namespace to look up
    rejects({.dev = "nosuchdev0", .address = "10.0.0.x"}, "NeighborOptions.address '10.0.0.x'");
    CHECK_THROWS_AS(rtnl::neighbor_new({.index = 0, .address = IpAddress::parse("10.0.0.1")}), InvalidArgument);
}

TEST_CASE("NeighborInfo is a move-only owner; a default one owns nothing") {
    static_assert(!std::is_copy_constructible_v<nsnet::Neighbor>);
    static_assert(std::is_nothrow_move_constructible_v<nsnet::Neighbor>);
    static_assert(!std::is_convertible_v<nsnet::Neighbor&, NeighborRef&>);
    nsnet::Neighbor none;
    CHECK_FALSE(none.owned());
    none.remove();  // nothing to remove: no kernel call
    none.persist();
    CHECK(none.release().description().empty());
}
