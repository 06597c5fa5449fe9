// Unit tests for include/nsnet/rtnl/vxlan.hpp (and the checks Vxlan::create makes before any I/O):
// request bytes equal `ip link add|set ... type vxlan` (tests/unit/golden/vxlan_*.txt), the decoder
// reads the kernel's replies (vxlan_reply_*.txt), bad values are refused naming the value.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "../golden.hpp"
#include "nsnet/rtnl/vxlan.hpp"
#include "nsnet/vxlan.hpp"

namespace {

using nsnet::IpAddress;
using namespace nsnet::rtnl;
namespace golden = nsnet::golden;

IpAddress ip(const char* s) { return IpAddress::parse(s); }

// The vx0 RTM_NEWLINK in a captured `ip -d link show` reply.
LinkInfo reply_link(const char* file) {
    auto g = golden::load(file);
    auto bytes = golden::as_bytes(g.block(1).bytes);
    for (nsnet::nl::MessageView m : nsnet::nl::MessageRange(bytes))
        if (auto l = decode_link(m)) return *l;
    FAIL("no RTM_NEWLINK in " << file);
    return {};
}

// The `# output:` line of a reply capture: what ip printed ("... vxlan id 100 ... ageing 300 udpcsum ...").
std::string ip_output(const char* file) {
    std::ifstream in(std::string(NSNET_GOLDEN_DIR) + "/" + file + ".txt");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("# output:", 0) == 0) return line;
    return {};
}

template <class Fn>
std::string refusal(Fn&& fn) {
    try {
        fn();
    } catch (const nsnet::InvalidArgument& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("vxlan_new: the tutorial's vx0 equals `ip link add vx0 type vxlan id 100 dstport 4789 local .. remote .. dev eth0`") {
    auto msg = vxlan_new({.name = "vx0"}, {.vni = 100, .device = 3, .local = ip("172.16.0.10"),
                                           .remote = ip("172.16.0.20"), .port = 4789});
    NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan"));
}

TEST_CASE("vxlan_new: every option against its capture") {
    SUBCASE("group 239.1.1.1 dev eth0") {
        auto msg = vxlan_new({.name = "vx1"}, {.vni = 200, .device = 3, .group = ip("239.1.1.1"), .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_group"));
    }
    SUBCASE("nolearning ttl 64 srcport 1000 2000") {
        auto msg = vxlan_new({.name = "vx2"}, {.vni = 300, .device = 3, .ttl = 64, .source_ports = VxlanPortRange{1000, 2000},
                                               .learning = false, .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_nolearning_ttl_ports"));
    }
    SUBCASE("no local, no remote") {
        auto msg = vxlan_new({.name = "vx3"}, {.vni = 400, .device = 3, .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_nolocal"));
    }
    SUBCASE("local without remote (the tutorial's learning 'Server A')") {
        auto msg = vxlan_new({.name = "vx4"}, {.vni = 700, .device = 3, .local = ip("172.16.0.10"), .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_local"));
    }
    SUBCASE("IPv6 local and remote, no device") {
        auto msg = vxlan_new({.name = "vx5"}, {.vni = 500, .local = ip("2001:db8::1"), .remote = ip("2001:db8::2"), .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_v6"));
    }
    SUBCASE("ttl 10 ageing 120") {
        auto msg = vxlan_new({.name = "vx6"}, {.vni = 600, .device = 3, .ttl = 10, .ageing = std::chrono::seconds(120), .port = 4789});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_ageing"));
    }
}

TEST_CASE("vxlan_change equals `ip link set vx0 type vxlan remote .. ttl 10 nolearning ageing 60`") {
    auto msg = vxlan_change(4, {.remote = ip("172.16.0.21"), .ttl = 10, .ageing = std::chrono::seconds(60), .learning = false});
    NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("vxlan_set"));
}

TEST_CASE("a VNI of 2^24 or more is refused before anything is sent, naming the value") {
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1u << 24}); }).find("VNI 16777216") != std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 0xffffffffu}); }).find("4294967295") != std::string::npos);
    CHECK(refusal([] { vxlan_change(4, {.vni = 1u << 24}); }).find("16777216") != std::string::npos);
    CHECK_NOTHROW(vxlan_new({.name = "vx0"}, {.vni = vxlan_vni_max}));
    CHECK_NOTHROW(vxlan_new({.name = "vx0"}, {.vni = 0}));
    // The typed object checks before it touches a namespace: an empty NetnsRef is never reached.
    std::string why = refusal([] { nsnet::Vxlan::create(nsnet::NetnsRef{}, {.name = "vx0", .vni = 16777216u}); });
    CHECK(why.find("create vxlan 'vx0'") != std::string::npos);
    CHECK(why.find("VxlanOptions.vni: 16777216 exceeds 2^24-1") != std::string::npos);
}

TEST_CASE("other bad vxlan settings are refused naming the value") {
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {}); }).find("no VNI") != std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .device = 3, .remote = ip("172.16.0.2"), .group = ip("239.1.1.1")}); })
              .find("both remote 172.16.0.2 and group 239.1.1.1") != std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .remote = ip("239.1.1.1")}); }).find("remote 239.1.1.1 is a multicast") !=
          std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .group = ip("10.0.0.1")}); }).find("group 10.0.0.1 is not a multicast") !=
          std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .group = ip("239.1.1.1")}); }).find("needs an underlay device") !=
          std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .local = ip("10.0.0.1"), .remote = ip("2001:db8::2")}); })
              .find("different address families") != std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .ttl = 256}); }).find("TTL 256") != std::string::npos);
    CHECK(refusal([] { vxlan_new({.name = "vx0"}, {.vni = 1, .source_ports = VxlanPortRange{2000, 1000}}); })
              .find("2000-1000") != std::string::npos);
    // A malformed device name is refused before it is looked up (no request: "eth/0" is no name).
    CHECK(refusal([] { nsnet::Vxlan::create(nsnet::NetnsRef::current(), {.name = "vx0", .vni = 1, .device = "eth/0"}); })
              .find("VxlanOptions.device: interface name 'eth/0'") != std::string::npos);
    CHECK(refusal([] { nsnet::Vxlan::create(nsnet::NetnsRef{}, {.name = "vx0", .vni = 1, .group = ip("239.1.1.1"), .device = "eth0"}); })
              .find("no namespace") != std::string::npos);  // group + device is fine; then the empty NetnsRef
}

TEST_CASE("decode_vxlan reads the kernel's RTM_NEWLINK replies") {
    SUBCASE("learning vxlan without a remote, every numeric option set") {
        LinkInfo l = reply_link("vxlan_reply_link");
        CHECK(l.name == "vx0");
        auto v = decode_vxlan(l);
        REQUIRE(v);
        CHECK(v->vni == 100);
        CHECK(v->local == ip("172.16.0.10"));
        CHECK_FALSE(v->remote);
        CHECK_FALSE(v->group);
        CHECK(v->device == 2);  // eth0 in nsgoldr-r1
        CHECK(v->port == 4789);
        CHECK(v->source_ports == VxlanPortRange{1000, 2000});
        CHECK(v->ttl == 64);
        CHECK(v->learning);
        CHECK(v->ageing == std::chrono::seconds(120));
        CHECK(v->udp_checksum);
        CHECK(ip_output("vxlan_reply_link").find("vxlan " + v->to_string("eth0") + " udpcsum") != std::string::npos);
    }
    SUBCASE("the tutorial's vx0 with a remote: kernel defaults") {
        auto v = decode_vxlan(reply_link("vxlan_reply_remote"));
        REQUIRE(v);
        CHECK(v->remote == ip("172.16.0.10"));
        CHECK(v->local == ip("172.16.0.20"));
        CHECK(v->ttl == 0);
        CHECK(v->ageing == std::chrono::seconds(300));
        CHECK(v->source_ports == VxlanPortRange{0, 0});
        CHECK(v->to_string("eth0") == "id 100 remote 172.16.0.10 local 172.16.0.20 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300");
        CHECK(ip_output("vxlan_reply_remote").find("vxlan " + v->to_string("eth0") + " udpcsum") != std::string::npos);
    }
    SUBCASE("multicast group, nolearning") {
        auto v = decode_vxlan(reply_link("vxlan_reply_group"));
        REQUIRE(v);
        CHECK(v->group == ip("239.1.1.1"));
        CHECK_FALSE(v->remote);
        CHECK_FALSE(v->learning);
        CHECK(ip_output("vxlan_reply_group").find("vxlan " + v->to_string("eth0") + " udpcsum") != std::string::npos);
    }
    SUBCASE("IPv6") {
        auto v = decode_vxlan(reply_link("vxlan_reply_v6"));
        REQUIRE(v);
        CHECK(v->local == ip("2001:db8::1"));
        CHECK(v->remote == ip("2001:db8::2"));
        CHECK(v->device == 0);
        CHECK(ip_output("vxlan_reply_v6").find("vxlan " + v->to_string() + " udpcsum") != std::string::npos);
    }
    SUBCASE("not a vxlan") {
        CHECK_FALSE(decode_vxlan(reply_link("tun_reply_link")));
        CHECK_FALSE(nsnet::vxlan_info(LinkInfo{}));
    }
}

TEST_CASE("decode_vxlan_data survives short and unknown attributes") {
    // IFLA_VXLAN_ID with 2 bytes instead of 4: a parse error, not garbage.
    std::vector<std::uint8_t> bad = {6, 0, IFLA_VXLAN_ID, 0, 1, 0, 0, 0};
    CHECK_THROWS_AS(decode_vxlan_data(nsnet::nl::AttrRange(golden::as_bytes(bad))), nsnet::Error);
    // An attribute type this build does not know (a newer kernel's) is skipped.
    std::vector<std::uint8_t> future = {8, 0, 200, 0, 1, 0, 0, 0, 8, 0, IFLA_VXLAN_ID, 0, 42, 0, 0, 0};
    CHECK(decode_vxlan_data(nsnet::nl::AttrRange(golden::as_bytes(future))).vni == 42);
}
