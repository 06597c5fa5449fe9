// Unit tests of include/nsnet/ip.hpp: parsing, formatting and validation of addresses, prefixes,
// MAC addresses and interface names. Every rejection must name the bad value.
#include "nsnet/ip.hpp"

#include <doctest/doctest.h>

#include <string>

using nsnet::Family;
using nsnet::IpAddress;
using nsnet::MacAddress;
using nsnet::Prefix;

namespace {

// The message of the InvalidArgument that fn throws ("" if it throws nothing or something else).
template <class Fn>
std::string rejection(Fn&& fn) {
    try {
        fn();
    } catch (const nsnet::InvalidArgument& e) {
        CHECK(e.code() == std::errc::invalid_argument);
        return e.what();
    } catch (...) {
        FAIL("threw something other than nsnet::InvalidArgument");
    }
    return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("IpAddress parses and formats IPv4") {
    auto a = IpAddress::parse("10.10.10.1");
    CHECK(a.is_v4());
    CHECK(a.family() == Family::V4);
    CHECK(a.af() == AF_INET);
    CHECK(a.size() == 4);
    CHECK(a.to_string() == "10.10.10.1");
    CHECK(a.v4_host_order() == 0x0a0a0a01u);
    CHECK(a.data()[0] == 10);
    CHECK(a.data()[3] == 1);
    CHECK(IpAddress::v4(0xc6336408u).to_string() == "198.51.100.8");
    CHECK(IpAddress::parse("0.0.0.0").is_unspecified());
    CHECK_FALSE(a.is_unspecified());
    CHECK(IpAddress{}.is_unspecified());
    CHECK(IpAddress{}.is_v4());
}

TEST_CASE("IpAddress parses and formats IPv6 in canonical form") {
    auto a = IpAddress::parse("2001:DB8:0:0::1");
    CHECK(a.is_v6());
    CHECK(a.af() == AF_INET6);
    CHECK(a.size() == 16);
    CHECK(a.to_string() == "2001:db8::1");
    CHECK(IpAddress::parse("::").is_unspecified());
    CHECK(IpAddress::parse("::1").to_string() == "::1");
    CHECK(IpAddress::parse("::ffff:192.0.2.1").is_v6());
}

TEST_CASE("IpAddress rejects malformed text, naming it") {
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "300.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "0x1.2.3.4",
                            "1::2::3", "fe80::1%eth0", "12345::", "abc", "10.0.0.1/24"}) {
        CAPTURE(bad);
        CHECK_FALSE(IpAddress::try_parse(bad).has_value());
        std::string msg = rejection([&] { (void)IpAddress::parse(bad); });
        CHECK(contains(msg, "'" + std::string(bad) + "'"));
    }
    // inet_pton stops at a NUL byte; the parser must not (found by tests/fuzz/ip_parse).
    using namespace std::string_literals;
    for (std::string bad : {"10.0.0.1\0junk"s, "10.0.0.1\0"s, "::1\0:2"s}) {
        CHECK_FALSE(IpAddress::try_parse(bad).has_value());
        CHECK_FALSE(rejection([&] { (void)IpAddress::parse(bad); }).empty());
        CHECK_FALSE(Prefix::try_parse(bad + "/8").has_value());
    }
}

TEST_CASE("IpAddress::from_bytes takes exactly 4 or 16 bytes") {
    const std::uint8_t v4[4] = {192, 0, 2, 7};
    CHECK(IpAddress::from_bytes(v4, 4)->to_string() == "192.0.2.7");
    std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    v6[15] = 2;
    CHECK(IpAddress::from_bytes(v6, 16)->to_string() == "2001:db8::2");
    CHECK_FALSE(IpAddress::from_bytes(v4, 3).has_value());
    CHECK_FALSE(IpAddress::from_bytes(v6, 15).has_value());
    CHECK_FALSE(IpAddress::from_bytes(v6, 0).has_value());
}

TEST_CASE("IpAddress compares by family, then bytes") {
    CHECK(IpAddress::parse("10.0.0.1") == IpAddress::parse("10.0.0.1"));
    CHECK(IpAddress::parse("10.0.0.1") != IpAddress::parse("10.0.0.2"));
    CHECK(IpAddress::parse("10.0.0.1") < IpAddress::parse("10.0.0.2"));
    CHECK(IpAddress::parse("9.255.255.255") < IpAddress::parse("10.0.0.0"));
    CHECK(IpAddress::parse("0.0.0.0") != IpAddress::parse("::"));
    // Every IPv4 address before every IPv6 one, whatever the bytes.
    CHECK(IpAddress::parse("255.255.255.255") < IpAddress::parse("::"));
    CHECK(IpAddress::parse("::") > IpAddress::parse("255.255.255.255"));
    CHECK(IpAddress::parse("::1") < IpAddress::parse("2001:db8::"));
    CHECK((IpAddress::parse("10.0.0.1") <=> IpAddress::parse("10.0.0.1")) == std::strong_ordering::equal);
}

TEST_CASE("Prefix parses address/length and keeps the host bits") {
    auto p = Prefix::parse("10.10.10.1/24");
    CHECK(p.address().to_string() == "10.10.10.1");
    CHECK(p.length() == 24);
    CHECK(p.family() == Family::V4);
    CHECK(p.to_string() == "10.10.10.1/24");
    CHECK(p.network().to_string() == "10.10.10.0/24");
    CHECK(p.broadcast().to_string() == "10.10.10.255");

    CHECK(Prefix::parse("10.0.0.7").length() == 32);  // a bare address is a host prefix
    CHECK(Prefix::parse("2001:db8::1").length() == 128);
    CHECK(Prefix::parse("2001:db8::1/64").network().to_string() == "2001:db8::/64");
    CHECK(Prefix::parse("0.0.0.0/0").is_default());
    CHECK(Prefix::parse("::/0").is_default());
    CHECK_FALSE(p.is_default());
}

TEST_CASE("Prefix::network clears host bits at every length") {
    CHECK(Prefix::parse("10.1.2.3/0").network().to_string() == "0.0.0.0/0");
    CHECK(Prefix::parse("10.1.2.3/8").network().to_string() == "10.0.0.0/8");
    CHECK(Prefix::parse("10.1.2.3/12").network().to_string() == "10.0.0.0/12");
    CHECK(Prefix::parse("10.255.2.3/12").network().to_string() == "10.240.0.0/12");
    CHECK(Prefix::parse("10.1.2.3/31").network().to_string() == "10.1.2.2/31");
    CHECK(Prefix::parse("10.1.2.3/32").network().to_string() == "10.1.2.3/32");
    CHECK(Prefix::parse("2001:db8:ffff::1/33").network().to_string() == "2001:db8:8000::/33");
    CHECK(Prefix::parse("2001:db8::1/128").network().to_string() == "2001:db8::1/128");
}

TEST_CASE("Prefix::broadcast sets the host bits, as `ip addr add ... brd +` does") {
    CHECK(Prefix::parse("192.168.1.10/24").broadcast().to_string() == "192.168.1.255");
    CHECK(Prefix::parse("172.17.0.1/16").broadcast().to_string() == "172.17.255.255");
    CHECK(Prefix::parse("10.0.0.1/30").broadcast().to_string() == "10.0.0.3");
    CHECK(Prefix::parse("10.0.0.1/32").broadcast().to_string() == "10.0.0.1");
    CHECK(Prefix::parse("10.0.0.1/0").broadcast().to_string() == "255.255.255.255");
}

TEST_CASE("Prefix::contains") {
    auto net = Prefix::parse("198.51.100.0/24");
    CHECK(net.contains(IpAddress::parse("198.51.100.8")));
    CHECK(net.contains(IpAddress::parse("198.51.100.255")));
    CHECK_FALSE(net.contains(IpAddress::parse("198.51.101.1")));
    CHECK_FALSE(net.contains(IpAddress::parse("::1")));  // another family
    CHECK(Prefix::parse("0.0.0.0/0").contains(IpAddress::parse("8.8.8.8")));
    CHECK(Prefix::parse("2001:db8::/32").contains(IpAddress::parse("2001:db8:1::5")));
}

TEST_CASE("Prefix rejects bad lengths and addresses, naming the value") {
    SUBCASE("length beyond the family's maximum") {
        std::string msg = rejection([] { (void)Prefix::parse("10.0.0.1/33"); });
        CHECK(contains(msg, "10.0.0.1/33"));
        CHECK(contains(msg, "33"));
        msg = rejection([] { (void)Prefix::parse("::1/129"); });
        CHECK(contains(msg, "::1/129"));
    }
    SUBCASE("an address that is not one") {
        std::string msg = rejection([] { (void)Prefix::parse("300.1.1.1/24"); });
        CHECK(contains(msg, "300.1.1.1"));
        msg = rejection([] { (void)Prefix::parse("/24"); });
        CHECK(contains(msg, "/24"));
    }
    SUBCASE("a length that is not a number") {
        for (const char* bad : {"10.0.0.1/", "10.0.0.1/-1", "10.0.0.1/+1", "10.0.0.1/ 8", "10.0.0.1/8a",
                                "10.0.0.1/1234", "10.0.0.1/24/8"}) {
            CAPTURE(bad);
            CHECK_FALSE(Prefix::try_parse(bad).has_value());
            CHECK(contains(rejection([&] { (void)Prefix::parse(bad); }), bad));
        }
    }
    SUBCASE("the constructor checks too") {
        std::string msg = rejection([] { (void)Prefix(IpAddress::parse("10.0.0.1"), 33); });
        CHECK(contains(msg, "10.0.0.1/33"));
        msg = rejection([] { (void)Prefix(IpAddress::parse("10.0.0.1"), 300); });
        CHECK(contains(msg, "300"));
        CHECK(Prefix(IpAddress::parse("::1"), 128).length() == 128);
    }
}

TEST_CASE("MacAddress parses, formats and classifies") {
    auto m = MacAddress::parse("02:00:5E:10:00:01");
    CHECK(m.to_string() == "02:00:5e:10:00:01");
    CHECK(MacAddress::parse("02-00-5e-10-00-01") == m);
    CHECK(m.data()[2] == 0x5e);
    CHECK(MacAddress::size() == 6);
    CHECK_FALSE(m.is_zero());
    CHECK_FALSE(m.is_multicast());
    CHECK(MacAddress{}.is_zero());
    CHECK(MacAddress::parse("ff:ff:ff:ff:ff:ff").is_multicast());
    CHECK(MacAddress::parse("01:00:5e:00:00:fb").is_multicast());
    const std::uint8_t raw[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    CHECK(MacAddress::from_bytes(raw, 6)->to_string() == "aa:bb:cc:dd:ee:ff");
    CHECK_FALSE(MacAddress::from_bytes(raw, 5).has_value());
}

TEST_CASE("MacAddress rejects malformed text, naming it") {
    for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:0g", "020000000001",
                            "02:00:00:00:00:1", "02.00.00.00.00.01", " 2:00:00:00:00:01", "02:00:00:00:00:01 "}) {
        CAPTURE(bad);
        CHECK(contains(rejection([&] { (void)MacAddress::parse(bad); }), "'" + std::string(bad) + "'"));
    }
}

TEST_CASE("validate_interface_name accepts what the kernel accepts") {
    for (const char* good : {"lo", "eth0", "veth-n1", "br.100", "a", "0123456789abcde", "ns1_eth0@x"}) {
        CAPTURE(good);
        CHECK_NOTHROW(nsnet::validate_interface_name(good));
    }
}

TEST_CASE("validate_interface_name rejects what the kernel rejects, naming the value") {
    SUBCASE("16 bytes") {
        std::string msg = rejection([] { nsnet::validate_interface_name("0123456789abcdef", "create veth"); });
        CHECK(contains(msg, "'0123456789abcdef'"));
        CHECK(contains(msg, "16"));
        CHECK(contains(msg, "create veth"));  // the operation given by the caller
    }
    SUBCASE("a long name is shown cut, not whole") {
        std::string msg = rejection([] { nsnet::validate_interface_name(std::string(100000, 'n'), "create veth"); });
        CHECK(contains(msg, "is 100000 bytes"));
        CHECK(msg.size() < 600);
    }
    SUBCASE("empty") {
        CHECK(contains(rejection([] { nsnet::validate_interface_name(""); }), "empty"));
    }
    SUBCASE("reserved and forbidden characters") {
        for (const char* bad : {".", "..", "a/b", "a:b", "a b"}) {
            CAPTURE(bad);
            CHECK(contains(rejection([&] { nsnet::validate_interface_name(bad); }), "'" + std::string(bad) + "'"));
        }
        // Control bytes are named escaped: the message stays one printable line.
        CHECK(contains(rejection([] { nsnet::validate_interface_name("a\tb"); }), "'a\\tb' contains '\\t'"));
        CHECK(contains(rejection([] { nsnet::validate_interface_name("a\nb"); }), "'a\\nb' contains '\\n'"));
        using namespace std::string_literals;
        CHECK(contains(rejection([] { nsnet::validate_interface_name("a\0b"s); }), "'a\\0b' contains '\\0'"));
        // The kernel's isspace() is true for 0xa0 too: `ip link add $'a\xa0b' ...` gets EINVAL
        // (found by tests/fuzz/ip_parse).
        CHECK_FALSE(rejection([] { nsnet::validate_interface_name("a\xa0" "b"); }).empty());
    }
}

TEST_CASE("AddressArg and PrefixArg take text or typed values; bad text names the field and the value") {
    using nsnet::AddressArg;
    using nsnet::PrefixArg;
    CHECK(AddressArg().empty());
    CHECK(AddressArg("").empty());
    CHECK(AddressArg("10.0.0.1").resolve("F", "op", "obj") == nsnet::IpAddress::parse("10.0.0.1"));
    CHECK(AddressArg(nsnet::IpAddress::parse("2001:db8::1")).resolve("F", "op", "obj").is_v6());
    CHECK(AddressArg(std::string("192.0.2.7")).to_string() == "192.0.2.7");
    CHECK(PrefixArg("10.1.0.0/16").resolve("F", "op", "obj") == nsnet::Prefix::parse("10.1.0.0/16"));
    CHECK(PrefixArg(nsnet::IpAddress::parse("10.0.0.9")).resolve("F", "op", "obj").length() == 32);
    CHECK(PrefixArg(nsnet::Prefix::parse("2001:db8::/64")).to_string() == "2001:db8::/64");
    try {
        (void)AddressArg("10.0.0.300").resolve("RouteOptions.via", "add route", "10.1.0.0/16");
        FAIL("accepted a bad address");
    } catch (const nsnet::Error& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(std::string(e.what()).find("RouteOptions.via '10.0.0.300' is not an IPv4 or IPv6 address") != std::string::npos);
        CHECK(std::string(e.what()).find("add route") != std::string::npos);
    }
    try {
        (void)PrefixArg("10.0.0.0/33").resolve("DnatOptions.destination", "add dnat", "tcp/80");
        FAIL("accepted a bad prefix");
    } catch (const nsnet::Error& e) {
        CHECK(std::string(e.what()).find("DnatOptions.destination '10.0.0.0/33' is not a prefix (prefix length 33 exceeds 32") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS((void)AddressArg().resolve("X.to", "op", "obj"), doctest::Contains("X.to is not set"), nsnet::Error);
}

TEST_CASE("MacArg takes text or a MacAddress; bad text names the field and the value") {
    using nsnet::MacArg;
    using nsnet::MacAddress;
    CHECK(MacArg().empty());
    CHECK(MacArg("").empty());
    CHECK(MacArg("02:00:00:00:00:09").resolve("F", "op", "obj") == MacAddress::parse("02:00:00:00:00:09"));
    CHECK(MacArg(MacAddress{}).resolve("F", "op", "obj").is_zero());
    CHECK(MacArg(std::string("02-00-00-00-00-0A")).to_string() == "02-00-00-00-00-0A");
    CHECK(MacArg(MacAddress::parse("02:00:00:00:00:0a")).to_string() == "02:00:00:00:00:0a");
    try {
        (void)MacArg("02:00:00:00:01").resolve("NeighborOptions.lladdr", "create neighbor", "10.0.0.2");
        FAIL("accepted a bad MAC");
    } catch (const nsnet::Error& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(std::string(e.what()).find("NeighborOptions.lladdr '02:00:00:00:01' is not a MAC address like 02:00:00:00:00:01") !=
              std::string::npos);
        CHECK(std::string(e.what()).find("create neighbor") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS((void)MacArg().resolve("FdbKey.mac", "op", "obj"), doctest::Contains("FdbKey.mac is not set"), nsnet::Error);
}
