// Unit tests for include/nsnet/rtnl/link.hpp: RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK requests equal
// the bytes `ip link` sends (tests/unit/golden/veth_*, link_*, dump_link), captured RTM_NEWLINK
// dumps decode to the right fields, and malformed or truncated input is Error(EBADMSG).
#include <doctest/doctest.h>
#include <linux/if_link.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "golden.hpp"
#include "nsnet/rtnl/link.hpp"

using namespace nsnet;
using rtnl::LinkChange;
using rtnl::LinkCreate;
using rtnl::VethPeer;

namespace {

std::vector<rtnl::LinkInfo> decode_all(const char* file) {
    std::vector<rtnl::LinkInfo> out;
    for (const auto& b : golden::load(file).blocks)
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes)))
            if (auto l = rtnl::decode_link(m)) out.push_back(*l);
    return out;
}

const rtnl::LinkInfo* by_name(const std::vector<rtnl::LinkInfo>& links, const std::string& name) {
    for (const auto& l : links)
        if (l.name == name) return &l;
    return nullptr;
}

}  // namespace

TEST_CASE("veth requests equal ip link add ... type veth peer ...") {
    SUBCASE("peer in another namespace (IFLA_NET_NS_FD inside VETH_INFO_PEER; the fd value is masked)") {
        auto msg = rtnl::veth_new(LinkCreate{.name = "eth0"}, VethPeer{.name = "eth0", .netns_fd = 77});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("veth_peer_netns"));
        auto bytes = golden::as_sent(msg);
        CHECK(bytes[84] == 77);  // ...and it is our fd at the place ip puts its own
    }
    SUBCASE("both ends in the request's namespace") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::veth_new(LinkCreate{.name = "veth-n1"}, VethPeer{.name = "veth-n2"})),
                           golden::load("veth_simple"));
    }
    SUBCASE("address, mtu and group on both ends, peer in another namespace") {
        auto msg = rtnl::veth_new(
            LinkCreate{.name = "va", .mac = MacAddress::parse("02:00:00:00:00:0a"), .mtu = 1400, .group = 5},
            VethPeer{.name = "vb", .netns_fd = 9, .mac = MacAddress::parse("02:00:00:00:00:0b"), .mtu = 1400, .group = 5});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("veth_options"));
    }
    SUBCASE("created up") {
        NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::veth_new(LinkCreate{.name = "vc", .up = true}, VethPeer{.name = "vd"})),
                           golden::load("veth_up"));
    }
}

TEST_CASE("other link kinds share the common attribute order (IFLA_NET_NS_FD, IFLA_LINK, IFLA_IFNAME)") {
    // ip -n NS link add m1 link ens41 netns NS2 type macvlan mode bridge
    LinkCreate c{.name = "m1", .kind = "macvlan", .parent = 3, .netns_fd = 5};
    c.info_data = [](nl::MessageBuilder& m) { m.put_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE); };
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_new(c)), golden::load("macvlan_netns"));
}

TEST_CASE("ip link set / del requests") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .up = true})), golden::load("link_up"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .up = false})), golden::load("link_down"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .mtu = 1400})), golden::load("link_mtu"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .mac = MacAddress::parse("02:00:00:00:00:01")})),
                       golden::load("link_address"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .netns_fd = 12})), golden::load("link_netns"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .master = 4})), golden::load("link_master"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .master = 0})), golden::load("link_nomaster"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .name = "vn1"})), golden::load("link_rename"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_del(3)), golden::load("link_del"));
}

TEST_CASE("link_set_alias sends what link_set({.index, .alias}) sends (no NUL; an empty alias is one NUL byte)") {
    for (std::string alias : {std::string("nsnet:owner=ctr-1"), std::string()}) {
        CAPTURE(alias);
        auto one = rtnl::link_set_alias(3, alias);
        auto all = rtnl::link_set({.index = 3, .alias = alias});
        CHECK(golden::as_sent(one) == golden::as_sent(all));
        auto a = nl::MessageView(one.bytes()).attrs<ifinfomsg>().find(IFLA_IFALIAS);
        REQUIRE(a);
        CHECK(a->payload().size() == (alias.empty() ? 1 : alias.size()));
    }
    CHECK_THROWS_AS(rtnl::link_set_alias(3, std::string(256, 'a')), InvalidArgument);
}

TEST_CASE("txqueuelen and promisc requests equal ip link add|set's (golden/capture_cni.py)") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .txqlen = 2000})), golden::load("link_set_txqlen"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .promisc = true})), golden::load("link_set_promisc_on"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_set({.index = 3, .promisc = false})), golden::load("link_set_promisc_off"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::veth_new(LinkCreate{.name = "vt0", .txqlen = 500}, VethPeer{.name = "vt1"})),
                       golden::load("veth_txqlen"));
    // up and promisc together: both bits in ifi_change, only the ones turned on in ifi_flags.
    auto m = rtnl::link_set({.index = 3, .up = true, .promisc = false});
    auto ifi = nl::MessageView(m.bytes()).family_header<ifinfomsg>();
    CHECK(ifi.ifi_change == (IFF_UP | IFF_PROMISC));
    CHECK(ifi.ifi_flags == IFF_UP);
}

TEST_CASE("RTM_GETLINK requests") {
    // The name lookup ip makes (ll_link_get): REQUEST only; nl::request() adds NLM_F_ACK.
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::link_get("veth-n1"), false), golden::load("link_get_name"));

    // Dumps differ from `ip link show` on purpose, in two fields (everything else is equal):
    //  - ifi_family: ip uses AF_PACKET (17), which the kernel handles exactly like AF_UNSPEC (it
    //    has no AF_PACKET link handler and falls back); nsnet sends AF_UNSPEC, as `ip addr show`
    //    does (dump_addr.txt send 1/2).
    //  - IFLA_EXT_MASK: nsnet adds RTEXT_FILTER_SKIP_STATS to ip's RTEXT_FILTER_VF, so the kernel
    //    leaves out IFLA_STATS/IFLA_STATS64 (~300 bytes per link) that nsnet never reads: dumps of
    //    thousands of links are much smaller. (ip's own single-link lookups send the same 9.)
    auto dump = golden::as_sent(rtnl::link_dump());
    NSNET_CHECK_GOLDEN(dump, golden::load("dump_link"), {{16, 16, "ifi_family"}, {36, 39, "IFLA_EXT_MASK value"}});
    CHECK(dump[16] == AF_UNSPEC);
    std::uint32_t mask;
    std::memcpy(&mask, dump.data() + 36, 4);
    CHECK(mask == (RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS));
    NSNET_CHECK_GOLDEN(dump, golden::load("dump_addr").block(1), {{36, 39, "IFLA_EXT_MASK value"}});
}

TEST_CASE("decode_link: a captured `ip link show` dump") {
    auto links = decode_all("reply_link");
    REQUIRE(links.size() >= 6);
    const auto* lo = by_name(links, "lo");
    REQUIRE(lo);
    CHECK(lo->index == 1);
    CHECK(lo->mtu == 65536);
    CHECK(lo->type == ARPHRD_LOOPBACK);
    CHECK(lo->is_up());
    CHECK(lo->kind.empty());

    const auto* n1 = by_name(links, "veth-n1");
    REQUIRE(n1);
    CHECK(n1->index == 3);
    CHECK(n1->kind == "veth");
    CHECK(n1->parent == 2);  // its peer veth-n2
    CHECK_FALSE(n1->link_netnsid);
    REQUIRE(n1->mac);
    CHECK(n1->mac->to_string() == "02:00:00:00:01:01");
    CHECK(n1->broadcast == MacAddress::parse("ff:ff:ff:ff:ff:ff"));
    CHECK(n1->mtu == 1500);
    CHECK(n1->is_up());
    CHECK(n1->has_carrier());
    CHECK(n1->operstate == IF_OPER_UP);
    CHECK(n1->type == ARPHRD_ETHER);

    const auto* va = by_name(links, "va");  // its peer vb was created in another namespace
    REQUIRE(va);
    CHECK(va->mtu == 1400);
    CHECK(va->group == 5);
    CHECK(va->mac == MacAddress::parse("02:00:00:00:00:0a"));
    CHECK(va->link_netnsid.has_value());
    CHECK_FALSE(va->is_up());

    const auto* vc = by_name(links, "vc");  // created up; its peer vd is down, so no carrier
    REQUIRE(vc);
    CHECK(vc->is_up());
    CHECK_FALSE(vc->has_carrier());
}

namespace {

void decode_or_ebadmsg(const golden::ByteVec& bytes) {
    try {
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(bytes))) (void)rtnl::decode_link(m);
    } catch (const Error& e) {
        CHECK_MESSAGE(e.errnum() == EBADMSG, std::string(e.what()));
    }
}

golden::ByteVec link_message(const std::vector<std::pair<std::uint16_t, golden::ByteVec>>& attrs) {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = 3;
    m.put_header(ifi);
    for (const auto& [type, payload] : attrs) m.put(type, payload.data(), payload.size());
    return golden::to_vec(m.bytes());
}

void check_ebadmsg(const golden::ByteVec& bytes, const char* what) {
    INFO(what);
    try {
        (void)rtnl::decode_link(nl::MessageView(golden::as_bytes(bytes)));
        FAIL("decoded malformed input: " << what);
    } catch (const Error& e) {
        CHECK(e.errnum() == EBADMSG);
    }
}

}  // namespace

TEST_CASE("malformed and truncated link messages throw Error(EBADMSG)") {
    check_ebadmsg(link_message({{IFLA_MTU, {0xdc, 0x05}}}), "2-byte IFLA_MTU");
    check_ebadmsg(link_message({{IFLA_MASTER, {1, 0, 0, 0, 0, 0, 0, 0}}}), "8-byte IFLA_MASTER");
    check_ebadmsg(link_message({{IFLA_OPERSTATE, {}}}), "empty IFLA_OPERSTATE");
    check_ebadmsg(link_message({{IFLA_LINKINFO, {12, 0, 1, 0, 'v', 'e', 't', 'h'}}}), "IFLA_INFO_KIND longer than its nest");
    check_ebadmsg(link_message({{IFLA_LINKINFO, {1, 0}}}), "nest holding half an attribute header");
    {
        auto m = link_message({{IFLA_IFNAME, {'e', 't', 'h', '0', 0}}});
        m[32] = 0xff;  // IFLA_IFNAME claims 255 bytes
        check_ebadmsg(m, "attribute length past the message");
    }
    {
        auto m = link_message({});
        m.resize(16 + 8);  // half an ifinfomsg
        std::uint32_t len = static_cast<std::uint32_t>(m.size());
        std::memcpy(m.data(), &len, 4);
        check_ebadmsg(m, "message shorter than ifinfomsg");
    }
    // A 4-byte IFLA_ADDRESS (an IP tunnel's) is not a MAC: skipped, not an error.
    auto tunnel = rtnl::decode_link(nl::MessageView(golden::as_bytes(link_message({{IFLA_ADDRESS, {10, 0, 0, 1}}}))));
    REQUIRE(tunnel);
    CHECK_FALSE(tunnel->mac);

    for (const auto& b : golden::load("reply_link").blocks) {
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes))) {
            auto whole = golden::to_vec(m.bytes());
            for (std::size_t cut = 16; cut < whole.size(); ++cut) {
                golden::ByteVec part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
                std::uint32_t len = static_cast<std::uint32_t>(cut);
                std::memcpy(part.data(), &len, 4);
                decode_or_ebadmsg(part);
            }
        }
    }
    std::mt19937 rng(7);
    for (const auto& b : golden::load("reply_link").blocks) {
        for (int round = 0; round < 200; ++round) {
            auto v = b.bytes;
            for (int k = 0; k < 4; ++k) v[rng() % v.size()] = static_cast<std::uint8_t>(rng());
            decode_or_ebadmsg(v);
        }
    }
}
