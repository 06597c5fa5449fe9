// Unit tests for include/nsnet/nl/message.hpp and attr.hpp: the writer's bytes, and a parser that
// rejects malformed and truncated input instead of reading past the buffer.
#include <doctest/doctest.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

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
