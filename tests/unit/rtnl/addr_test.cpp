// Unit tests for include/nsnet/rtnl/addr.hpp: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR requests equal
// the bytes `ip addr` sends (tests/unit/golden/addr_*, dump_addr), a captured `ip addr show` dump
// decodes to the right fields, and malformed or truncated input is Error(EBADMSG).
#include <doctest/doctest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "golden.hpp"
#include "nsnet/rtnl/addr.hpp"

using namespace nsnet;
using rtnl::AddressSpec;
using rtnl::Scope;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }
Prefix pfx(const char* s) { return Prefix::parse(s); }

std::vector<rtnl::AddressInfo> decode_all(const char* file) {
    std::vector<rtnl::AddressInfo> out;
    for (const auto& b : golden::load(file).blocks)
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes)))
            if (auto a = rtnl::decode_address(m)) out.push_back(*a);
    return out;
}

const rtnl::AddressInfo* find(const std::vector<rtnl::AddressInfo>& all, const char* prefix) {
    for (const auto& a : all)
        if (a.prefix == pfx(prefix)) return &a;
    return nullptr;
}

}  // namespace

TEST_CASE("address requests equal ip addr add|replace|del") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 3, .prefix = pfx("10.10.10.1/24")})),
                       golden::load("addr_add_v4"));
    // `brd +`: Link::add_address computes the broadcast as ip does, Prefix::broadcast().
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new(
                           {.index = 3, .prefix = pfx("10.10.10.1/24"), .broadcast = pfx("10.10.10.1/24").broadcast()})),
                       golden::load("addr_add_v4_brd"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 3, .prefix = pfx("2001:db8::1/64")})),
                       golden::load("addr_add_v6"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_del({.index = 3, .prefix = pfx("10.10.10.1/24")})),
                       golden::load("addr_del_v4"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_del({.index = 3, .prefix = pfx("2001:db8::1/64")})),
                       golden::load("addr_del_v6"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 3, .prefix = pfx("10.10.10.2/24")}, true)),
                       golden::load("addr_replace_v4"));
    // scope and label: IFA_LOCAL, IFA_LABEL, IFA_ADDRESS, IFA_BROADCAST in ip's order.
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 3, .prefix = pfx("10.10.20.2/24"),
                                                          .broadcast = ip("10.10.20.255"), .scope = Scope::Link,
                                                          .label = "veth-n1:x"})),
                       golden::load("addr_add_v4_opts"));
    // point-to-point: IFA_ADDRESS is the peer, before the label.
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new(
                           {.index = 3, .prefix = pfx("10.10.30.1/32"), .peer = ip("10.10.30.2"), .label = "veth-n1:p"})),
                       golden::load("addr_add_peer"));
    // 127.0.0.0/8 without a scope gets host scope, as ip gives it.
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 1, .prefix = pfx("127.0.0.2/8")})),
                       golden::load("addr_add_loopback"));
}

TEST_CASE("address flags: nodad in ifa_flags, larger flags in IFA_FLAGS, as ip addr add ... nodad [noprefixroute]") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new({.index = 3, .prefix = pfx("2001:db8::1/64"), .flags = IFA_F_NODAD})),
                       golden::load("addr_add_v6_nodad"));
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_new(
                           {.index = 3, .prefix = pfx("2001:db8::2/64"), .flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE})),
                       golden::load("addr_add_v6_nodad_noprefixroute"));
    // Both decode back with their flags (a request has the same layout as the kernel's report).
    auto m = rtnl::address_new({.index = 3, .prefix = pfx("2001:db8::2/64"), .flags = IFA_F_NODAD | IFA_F_NOPREFIXROUTE});
    auto a = rtnl::decode_address(nl::MessageView(m.bytes()));
    REQUIRE(a);
    CHECK(a->flags == (IFA_F_NODAD | IFA_F_NOPREFIXROUTE));
    CHECK(a->prefix == pfx("2001:db8::2/64"));
}

TEST_CASE("address dump request equals ip addr show's") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::address_dump()), golden::load("dump_addr").block(2));
}

TEST_CASE("decode_address: a captured `ip addr show` dump") {
    auto all = decode_all("reply_addr");
    const auto* lo = find(all, "127.0.0.1/8");
    REQUIRE(lo);
    CHECK(lo->index == 1);
    CHECK(lo->scope == Scope::Host);
    CHECK(lo->label == "lo");
    CHECK((lo->flags & IFA_F_PERMANENT) != 0);

    const auto* v4 = find(all, "10.10.10.1/24");
    REQUIRE(v4);
    CHECK(v4->index == 3);
    CHECK(v4->broadcast == ip("10.10.10.255"));
    CHECK(v4->scope == Scope::Universe);
    CHECK(v4->label == "veth-n1");
    CHECK_FALSE(v4->peer);
    CHECK((v4->flags & IFA_F_SECONDARY) == 0);

    const auto* secondary = find(all, "10.10.10.2/24");
    REQUIRE(secondary);
    CHECK((secondary->flags & IFA_F_SECONDARY) != 0);

    const auto* labelled = find(all, "10.10.20.2/24");
    REQUIRE(labelled);
    CHECK(labelled->scope == Scope::Link);
    CHECK(labelled->label == "veth-n1:x");

    const auto* ptp = find(all, "10.10.30.1/32");
    REQUIRE(ptp);
    CHECK(ptp->peer == ip("10.10.30.2"));

    const auto* v6 = find(all, "2001:db8::1/64");
    REQUIRE(v6);
    CHECK(v6->index == 3);
    CHECK((v6->flags & IFA_F_NODAD) != 0);
    CHECK(v6->label.empty());
    const auto* v6lo = find(all, "::1/128");
    REQUIRE(v6lo);
    CHECK(v6lo->scope == Scope::Host);
    bool link_local = false;
    for (const auto& a : all) link_local |= a.prefix.address().is_v6() && a.scope == Scope::Link && a.index == 3;
    CHECK(link_local);
}

namespace {

void decode_or_ebadmsg(const golden::ByteVec& bytes) {
    try {
        for (nl::MessageView m : nl::MessageRange(golden::as_bytes(bytes))) (void)rtnl::decode_address(m);
    } catch (const Error& e) {
        CHECK_MESSAGE(e.errnum() == EBADMSG, std::string(e.what()));
    }
}

golden::ByteVec addr_message(unsigned char family, unsigned char prefixlen,
                             const std::vector<std::pair<std::uint16_t, golden::ByteVec>>& attrs) {
    nl::MessageBuilder m(RTM_NEWADDR, 0);
    ifaddrmsg ifa{};
    ifa.ifa_family = family;
    ifa.ifa_prefixlen = prefixlen;
    ifa.ifa_index = 3;
    m.put_header(ifa);
    for (const auto& [type, payload] : attrs) m.put(type, payload.data(), payload.size());
    return golden::to_vec(m.bytes());
}

void check_ebadmsg(const golden::ByteVec& bytes, const char* what) {
    INFO(what);
    try {
        (void)rtnl::decode_address(nl::MessageView(golden::as_bytes(bytes)));
        FAIL("decoded malformed input: " << what);
    } catch (const Error& e) {
        CHECK(e.errnum() == EBADMSG);
    }
}

}  // namespace

TEST_CASE("malformed and truncated address messages throw Error(EBADMSG)") {
    check_ebadmsg(addr_message(AF_INET, 24, {{IFA_LOCAL, {10, 10, 10}}}), "3-byte IFA_LOCAL");
    check_ebadmsg(addr_message(AF_INET, 24, {{IFA_FLAGS, {1, 0}}}), "2-byte IFA_FLAGS");
    check_ebadmsg(addr_message(AF_INET, 24, {{IFA_BROADCAST, {1, 2, 3, 4, 5}}}), "5-byte IFA_BROADCAST");
    {
        auto m = addr_message(AF_INET, 24, {{IFA_LOCAL, {10, 10, 10, 1}}});
        m[24] = 64;  // IFA_LOCAL claims 64 bytes
        check_ebadmsg(m, "attribute length past the message");
    }
    {
        auto m = addr_message(AF_INET, 24, {});
        m.resize(16 + 4);  // half an ifaddrmsg
        std::uint32_t len = static_cast<std::uint32_t>(m.size());
        std::memcpy(m.data(), &len, 4);
        check_ebadmsg(m, "message shorter than ifaddrmsg");
    }

    for (const auto& b : golden::load("reply_addr").blocks) {
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
    std::mt19937 rng(11);
    for (const auto& b : golden::load("reply_addr").blocks) {
        for (int round = 0; round < 200; ++round) {
            auto v = b.bytes;
            for (int k = 0; k < 4; ++k) v[rng() % v.size()] = static_cast<std::uint8_t>(rng());
            decode_or_ebadmsg(v);
        }
    }
}
