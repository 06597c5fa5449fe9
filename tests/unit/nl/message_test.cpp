// Unit tests for include/nsnet/nl/message.hpp and attr.hpp: the writer's bytes, and a parser that
// rejects malformed and truncated input instead of reading past the buffer.
#include "nsnet/ip.hpp"  // first: glibc's <net/if.h> must precede the uapi headers

#include <doctest/doctest.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "nsnet/error.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/macvlan.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

using namespace nsnet;
using nl::Bytes;

namespace {
std::vector<std::uint8_t> to_u8(Bytes b) {
    std::vector<std::uint8_t> v(b.size());
    std::memcpy(v.data(), b.data(), b.size());
    return v;
}
Bytes as_bytes(const std::vector<std::uint8_t>& v) { return {reinterpret_cast<const std::byte*>(v.data()), v.size()}; }
}  // namespace

TEST_CASE("MessageBuilder writes header, family header, padded attributes and nests") {
    nl::MessageBuilder m(RTM_NEWLINK, NLM_F_CREATE);
    ifinfomsg ifi{};
    ifi.ifi_index = 7;
    m.put_header(ifi);
    m.put_u32(IFLA_MTU, 1400);
    m.put_string(IFLA_IFNAME, "ab");  // 4 + 3 bytes, padded to 8
    {
        auto n = m.nest(IFLA_LINKINFO, false);
        m.put(IFLA_INFO_KIND, "veth", 4);
    }
    auto b = to_u8(m.bytes());
    REQUIRE(b.size() == 16 + 16 + 8 + 8 + 12);
    nlmsghdr h;
    std::memcpy(&h, b.data(), sizeof h);
    CHECK(h.nlmsg_len == b.size());
    CHECK(h.nlmsg_type == RTM_NEWLINK);
    CHECK(h.nlmsg_flags == (NLM_F_REQUEST | NLM_F_CREATE));
    // IFLA_MTU at offset 32: len 8, type 4, value 1400 little-endian
    CHECK(b[32] == 8);
    CHECK(b[34] == IFLA_MTU);
    CHECK(b[36] == (1400 & 0xff));
    CHECK(b[37] == (1400 >> 8));
    // IFLA_IFNAME: len 7 (unpadded), "ab\0", one pad byte
    CHECK(b[40] == 7);
    CHECK(b[44] == 'a');
    CHECK(b[46] == 0);
    // nest: len covers its child (4 + 8), no NLA_F_NESTED bit as requested
    CHECK(b[48] == 12);
    CHECK(b[50] == IFLA_LINKINFO);
    CHECK(b[51] == 0);
}

TEST_CASE("nested flag is set by default") {
    nl::MessageBuilder m(1, 0);
    { auto n = m.nest(5); }
    auto b = to_u8(m.bytes());
    CHECK(b[16 + 2] == 5);
    CHECK(b[16 + 3] == (NLA_F_NESTED >> 8));
}

TEST_CASE("MessageView and AttrRange read back what the builder wrote") {
    nl::MessageBuilder m(RTM_NEWADDR, 0);
    ifaddrmsg ifa{};
    ifa.ifa_prefixlen = 24;
    m.put_header(ifa);
    m.put_ip(IFA_LOCAL, IpAddress::parse("10.0.0.1"));
    m.put_string(IFA_LABEL, "eth0");
    {
        auto n = m.nest(IFA_CACHEINFO);
        m.put_u16(1, 0xbeef);
    }
    nl::MessageView v(m.bytes());
    CHECK(v.type() == RTM_NEWADDR);
    CHECK(v.family_header<ifaddrmsg>().ifa_prefixlen == 24);
    nl::AttrTable<IFA_MAX> t(v.attrs<ifaddrmsg>());
    REQUIRE(t.has(IFA_LOCAL));
    CHECK(t[IFA_LOCAL]->ip().to_string() == "10.0.0.1");
    CHECK(t[IFA_LABEL]->str() == "eth0");
    REQUIRE(t.has(IFA_CACHEINFO));
    CHECK(t[IFA_CACHEINFO]->nested_flag());
    auto inner = t[IFA_CACHEINFO]->nested().find(1);
    REQUIRE(inner);
    CHECK(inner->u16() == 0xbeef);
}

TEST_CASE("typed getters refuse payloads of the wrong size") {
    std::vector<std::uint8_t> raw = {6, 0, 1, 0, 0xaa, 0xbb, 0, 0};  // a 2-byte attribute
    nl::AttrRange r(as_bytes(raw));
    auto a = *r.begin();
    CHECK(a.u16() == 0xbbaa);
    CHECK_THROWS_AS(a.u32(), Error);
    CHECK_THROWS_AS(a.u8(), Error);
    CHECK_THROWS_AS(a.ip(), Error);
    CHECK_THROWS_AS(a.mac(), Error);
    try {
        a.u32();
    } catch (const Error& e) {
        CHECK(e.errnum() == EBADMSG);
    }
}

TEST_CASE("malformed attributes throw EBADMSG instead of reading past the buffer") {
    SUBCASE("length beyond the buffer") {
        std::vector<std::uint8_t> raw = {200, 0, 1, 0, 1, 2, 3, 4};
        nl::AttrRange r(as_bytes(raw));
        CHECK_THROWS_AS((void)r.begin(), Error);
    }
    SUBCASE("length smaller than the header") {
        std::vector<std::uint8_t> raw = {2, 0, 1, 0, 0, 0, 0, 0};
        CHECK_THROWS_AS((void)nl::AttrRange(as_bytes(raw)).begin(), Error);
    }
    SUBCASE("truncated header after a good attribute") {
        std::vector<std::uint8_t> raw = {4, 0, 1, 0, 8, 0};
        nl::AttrRange r(as_bytes(raw));
        auto it = r.begin();
        CHECK((*it).type() == 1);
        CHECK_THROWS_AS(++it, Error);
    }
    SUBCASE("an unpadded last attribute is accepted") {
        std::vector<std::uint8_t> raw = {5, 0, 3, 0, 9};
        int n = 0;
        for (nl::Attr a : nl::AttrRange(as_bytes(raw))) {
            CHECK(a.u8() == 9);
            ++n;
        }
        CHECK(n == 1);
    }
}

TEST_CASE("malformed messages throw EBADMSG") {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    m.put_header(ifi);
    m.put_u32(IFLA_MTU, 1);
    auto b = to_u8(m.bytes());
    SUBCASE("shorter than nlmsghdr") {
        CHECK_THROWS_AS(nl::MessageView(as_bytes(b).first(10)), Error);
    }
    SUBCASE("nlmsg_len larger than the datagram") {
        CHECK_THROWS_AS(nl::MessageView(as_bytes(b).first(b.size() - 4)), Error);
    }
    SUBCASE("nlmsg_len smaller than the header") {
        b[0] = 8;
        CHECK_THROWS_AS(nl::MessageView(as_bytes(b)), Error);
    }
    SUBCASE("payload too short for the family header") {
        nl::MessageBuilder tiny(RTM_NEWLINK, 0);
        nl::MessageView v(tiny.bytes());
        CHECK_THROWS_AS(v.family_header<ifinfomsg>(), Error);
        CHECK_THROWS_AS((void)v.attrs<ifinfomsg>(), Error);
    }
    SUBCASE("every truncation of a valid two-message datagram is either parsed or rejected") {
        std::vector<std::uint8_t> two = b;
        two.insert(two.end(), b.begin(), b.end());
        for (std::size_t cut = 0; cut <= two.size(); ++cut) {
            auto part = as_bytes(two).first(cut);
            try {
                for (nl::MessageView v : nl::MessageRange(part))
                    for (nl::Attr a : v.attrs<ifinfomsg>()) (void)a.payload();
            } catch (const Error& e) {
                CHECK(e.errnum() == EBADMSG);
            }
        }
    }
}

TEST_CASE("MessageRange walks several messages in one datagram") {
    nl::MessageBuilder a(1, 0), b(2, 0);
    b.put_u8(1, 1);
    std::vector<std::uint8_t> buf = to_u8(a.bytes());
    auto bb = to_u8(b.bytes());
    buf.insert(buf.end(), bb.begin(), bb.end());
    std::vector<int> types;
    for (nl::MessageView v : nl::MessageRange(as_bytes(buf))) types.push_back(v.type());
    CHECK(types == std::vector<int>{1, 2});
}

// Issue 12 item 1: nla_len is 16 bits. Before the fix put_string and Nest::close truncated the length
// (a 65,536-byte alias became a 1-byte one; a crafted tail was parsed as further attributes).
namespace {
bool refused(const std::function<void()>& f, const std::string& want1, const std::string& want2 = {}) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        std::string w = e.what();
        INFO(w);
        CHECK(w.find(want1) != std::string::npos);
        if (!want2.empty()) CHECK(w.find(want2) != std::string::npos);
        return e.errnum() == EINVAL;
    }
    return false;
}
}  // namespace

TEST_CASE("MessageBuilder refuses an attribute longer than nla_len instead of wrapping it") {
    const std::size_t max = nl::MessageBuilder::max_attr_payload;
    CHECK(max == 65531);
    for (std::size_t n : {max + 1, std::size_t{65532}, std::size_t{65536}, std::size_t{65539}, std::size_t{200000}}) {
        std::string big(n, 'x');
        nl::MessageBuilder m(RTM_NEWLINK, 0);
        m.put_header(ifinfomsg{});
        const auto before = to_u8(m.bytes());
        CHECK(refused([&] { m.put(IFLA_IFALIAS, big.data(), big.size()); }, "attribute type 20", std::to_string(n)));
        // put_string adds a NUL: 65,531 bytes no longer fit.
        CHECK(refused([&] { m.put_string(IFLA_IFALIAS, big); }, "attribute type 20", std::to_string(n)));
        CHECK(to_u8(m.bytes()) == before);  // nothing was written
    }
    // The largest that fits is written exactly, and reads back whole.
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    m.put_header(ifinfomsg{});
    std::string s(max - 1, 'y');
    m.put_string(IFLA_IFALIAS, s);
    std::string p(max, 'z');
    m.put(IFLA_IFNAME, p.data(), p.size());
    nl::MessageView v(m.bytes());
    std::vector<std::size_t> sizes;
    for (nl::Attr a : v.attrs<ifinfomsg>()) sizes.push_back(a.size());
    CHECK(sizes == std::vector<std::size_t>{max, max});
    CHECK(v.attrs<ifinfomsg>().find(IFLA_IFALIAS)->str() == s);
}

TEST_CASE("MessageBuilder refuses a crafted alias whose tail would parse as attributes") {
    // 65,539 bytes + the NUL: nla_len would wrap to 8, so the kernel would read the alias as "ab" and
    // the rest as IFLA_MTU 1280, IFLA_IFNAME "pwn" and one filler attribute up to the end.
    auto attr = [](std::uint16_t type, const std::string& payload) {
        std::string a(4, '\0');
        std::uint16_t len = static_cast<std::uint16_t>(4 + payload.size());
        std::memcpy(a.data(), &len, 2);
        std::memcpy(a.data() + 2, &type, 2);
        return a + payload;
    };
    std::uint32_t mtu = 1280;
    std::string alias = std::string("ab\0\0", 4) + attr(IFLA_MTU, std::string(reinterpret_cast<char*>(&mtu), 4)) +
                        attr(IFLA_IFNAME, std::string("pwn\0", 4));
    // The filler runs to the end of the 65,544-byte attribute; its last byte is the NUL put_string adds.
    alias += attr(0, std::string(65544 - 4 - alias.size() - 4, 'A')).substr(0, 65544 - 4 - alias.size() - 1);
    REQUIRE(alias.size() == 65539);
    REQUIRE(static_cast<std::uint16_t>(4 + alias.size() + 1) == 8);
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    m.put_header(ifinfomsg{});
    CHECK(refused([&] { m.put_string(IFLA_IFALIAS, alias); }, "attribute type 20", "65539"));
    CHECK(m.size() == 32);
    CHECK(refused([&] { m.put(IFLA_IFALIAS, alias.data(), alias.size() + 1); }, "attribute type 20", "65540"));
    CHECK(m.size() == 32);
}

TEST_CASE("MessageBuilder refuses a NUL byte inside a string attribute") {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    m.put_header(ifinfomsg{});
    CHECK(refused([&] { m.put_string(IFLA_IFNAME, std::string("eth0\0x", 6)); }, "attribute type 3", "offset 4"));
    CHECK(m.size() == 32);
    m.put_string(IFLA_IFNAME, "");  // an empty string is one NUL, which is fine
    CHECK(m.size() == 40);
}

TEST_CASE("MessageBuilder refuses a nest that would outgrow nla_len, at the write that overflows it") {
    // RTA_MULTIPATH with 8,193 IPv4 nexthops (8-byte rtnexthop + 8-byte RTA_GATEWAY) is 131,092 bytes.
    nl::MessageBuilder m(RTM_NEWROUTE, 0);
    m.put_header(rtmsg{});
    std::size_t written = 0;
    bool threw = false;
    try {
        auto mp = m.nest(RTA_MULTIPATH, false);
        for (int i = 0; i < 8193; ++i) {
            rtnexthop nh{};
            nh.rtnh_len = 16;
            m.put_header(nh);
            m.put_u32(RTA_GATEWAY, 0x0100000a);
            ++written;
        }
    } catch (const InvalidArgument& e) {
        threw = true;
        CHECK(std::string(e.what()).find("nested attribute type 9") != std::string::npos);
        CHECK(std::string(e.what()).find("65535") != std::string::npos);
    }
    CHECK(threw);
    CHECK(written == (65535 - 4) / 16);
    // What was written before the refusal (4,095 nexthops and the 4,096th's rtnexthop, whose gateway
    // was refused) is still a well-formed message whose nest length is exact (the caller drops it;
    // it is never a wrapped one).
    nl::MessageView v(m.bytes());
    auto mp = v.attrs<rtmsg>().find(RTA_MULTIPATH);
    REQUIRE(mp);
    CHECK(mp->size() == written * 16 + 8);

    // Deep nests: the outermost one is the one that overflows, whichever level the write is at.
    nl::MessageBuilder d(RTM_NEWLINK, 0);
    auto a = d.nest(1);
    auto b = d.nest(2);
    auto c = d.nest(3);
    std::string chunk(30000, 'q');
    d.put(4, chunk.data(), chunk.size());
    d.put(4, chunk.data(), chunk.size());
    CHECK(refused([&] { d.put(4, chunk.data(), chunk.size()); }, "nested attribute type 1", "attribute type 4"));
    CHECK(refused([&] { auto e = d.nest(5); d.put(6, chunk.data(), 6000); }, "nested attribute type 1"));
}

TEST_CASE("MessageBuilder refuses a message over max_message_size") {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    std::string chunk(nl::MessageBuilder::max_attr_payload, 'm');
    std::size_t n = 0;
    CHECK(refused(
        [&] {
            for (;;) {
                m.put(1, chunk.data(), chunk.size());
                ++n;
            }
        },
        "would grow the message to"));
    CHECK(n == (nl::MessageBuilder::max_message_size - 16) / nl::align(chunk.size() + 4));
    CHECK(m.size() <= nl::MessageBuilder::max_message_size);
    nlmsghdr h;
    std::memcpy(&h, m.bytes().data(), sizeof h);
    CHECK(h.nlmsg_len == m.size());
}

// The callers named in issue 12: each used to produce a wrapped length; each now throws
// InvalidArgument before a byte is sent.
TEST_CASE("encoders refuse what would wrap: alias, label, rule iif, multipath, macvlan source MACs, nft names") {
    auto invalid = [](auto&& f) {
        try {
            f();
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string("(accepted)");
    };
    auto has = [](const std::string& text, const std::string& part) {
        INFO(text);
        return text.find(part) != std::string::npos;
    };
    CHECK(has(invalid([] { rtnl::link_set({.index = 2, .alias = std::string(65536, 'a')}); }), "65536"));
    CHECK(has(invalid([] { rtnl::link_set({.index = 2, .alias = std::string("a\0b", 3)}); }), "NUL"));
    CHECK(has(invalid([] {
              rtnl::address_new({.index = 2, .prefix = Prefix::parse("10.0.0.1/24"), .label = std::string(65536, 'l')});
          }),
          "65536"));
    CHECK(has(invalid([] { rtnl::address_new({.index = 2, .prefix = Prefix::parse("10.0.0.1/24"), .label = "eth0:sixteen-byt"}); }),
              "15"));
    CHECK(has(invalid([] { rtnl::rule_new({.iif = std::string(65536, 'i')}); }), "65536"));
    CHECK(has(invalid([] { rtnl::rule_new({.oif = std::string("o\0", 2)}); }), "\\0"));

    rtnl::RouteSpec r{.dst = Prefix::parse("10.1.0.0/16")};
    r.paths.assign(8193, rtnl::RoutePath{.gateway = IpAddress::parse("10.0.0.1")});
    CHECK(has(invalid([&] { rtnl::route_new(r); }), "nested attribute type 9"));  // RTA_MULTIPATH
    r.paths.resize(4000);  // 64,004 bytes: fits
    CHECK(rtnl::route_new(r).size() > 64000);

    rtnl::MacvlanConfig mv{.mode = rtnl::MacvlanMode::Source};
    mv.source_macs.assign(6000, MacAddress::parse("02:00:00:00:00:01"));
    CHECK(has(invalid([&] { rtnl::macvlan_new({.name = "m0", .parent = 2}, mv); }), "nested attribute type 18"));  // IFLA_LINKINFO

    CHECK(has(invalid([] { nft::table_new({.family = nft::TableFamily::Inet, .name = std::string(70000, 't')}); }), "70000"));
    CHECK(has(invalid([] { nft::table_new({.family = nft::TableFamily::Inet, .name = std::string("t\0x", 3)}); }), "NUL"));
}
