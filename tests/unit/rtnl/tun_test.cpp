// Unit tests for include/nsnet/rtnl/tun.hpp (and Tun's checks before any I/O): the TUNSETIFF
// request carries the flags `ip tuntap add` uses (tests/unit/golden/tuntap_ioctl.txt) and the
// decoder reads the kernel's RTM_NEWLINK of a tun and a multi-queue tap (tun_reply_*.txt).
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "../golden.hpp"
#include "nsnet/rtnl/tun.hpp"
#include "nsnet/tun.hpp"

namespace {

using namespace nsnet::rtnl;
namespace golden = nsnet::golden;

std::string find_line(const char* file, const std::string& prefix) {
    std::ifstream in(std::string(NSNET_GOLDEN_DIR) + "/" + file + ".txt");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    return {};
}

// "# tun_flags of tun0 afterwards: 0x1801" (sysfs, after TUNSETPERSIST added IFF_PERSIST 0x0800)
unsigned captured_flags(const char* dev) {
    std::string v = find_line("tuntap_ioctl", std::string("# tun_flags of ") + dev + " afterwards: ");
    REQUIRE_FALSE(v.empty());
    return static_cast<unsigned>(std::stoul(v, nullptr, 16));
}

LinkInfo reply_link(const char* file) {
    auto g = golden::load(file);
    for (nsnet::nl::MessageView m : nsnet::nl::MessageRange(golden::as_bytes(g.block(1).bytes)))
        if (auto l = decode_link(m)) return *l;
    FAIL("no RTM_NEWLINK in " << file);
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

TEST_CASE("tun_request carries the flags of `ip tuntap add NAME mode tun|tap`") {
    constexpr unsigned persist = 0x0800;  // IFF_PERSIST: added by the kernel after TUNSETPERSIST
    ifreq tun = tun_request({.name = "tun0"});
    CHECK(std::string(tun.ifr_name) == "tun0");
    CHECK(static_cast<unsigned>(static_cast<unsigned short>(tun.ifr_flags)) == (captured_flags("tun0") & ~persist));
    CHECK(static_cast<unsigned short>(tun.ifr_flags) == (IFF_TUN | IFF_NO_PI));

    ifreq tap = tun_request({.name = "tap0", .mode = TunMode::Tap});
    CHECK(static_cast<unsigned>(static_cast<unsigned short>(tap.ifr_flags)) == (captured_flags("tap0") & ~persist));

    ifreq mq = tun_request({.name = "tap1", .mode = TunMode::Tap, .packet_info = true, .vnet_hdr = true, .multi_queue = true});
    CHECK(static_cast<unsigned short>(mq.ifr_flags) == (IFF_TAP | IFF_VNET_HDR | IFF_MULTI_QUEUE));

    ifreq anon = tun_request({});
    CHECK(anon.ifr_name[0] == '\0');  // the kernel picks tun%d
}

TEST_CASE("bad tun settings are refused naming the value") {
    CHECK(refusal([] { tun_request({.name = "a-name-that-is-too-long"}); }).find("a-name-that-is-too-long") != std::string::npos);
    CHECK(refusal([] { nsnet::Tun::create(nsnet::NetnsRef{}, {.name = "tun0", .queues = 0}); }).find("TunOptions.queues: 0 is outside 1..256") !=
          std::string::npos);
    CHECK(refusal([] { nsnet::Tun::create(nsnet::NetnsRef{}, {.name = "tun/0"}); }).find("tun/0") != std::string::npos);
    CHECK(refusal([] { nsnet::Tun::create(nsnet::NetnsRef{}, {.name = "tun0"}); }).find("no namespace") != std::string::npos);
}

TEST_CASE("decode_tun reads the kernel's RTM_NEWLINK of tun/tap devices") {
    SUBCASE("ip tuntap add tun0 mode tun") {
        LinkInfo l = reply_link("tun_reply_link");
        CHECK(l.name == "tun0");
        auto t = decode_tun(l);
        REQUIRE(t);
        CHECK(t->mode == TunMode::Tun);
        CHECK(t->outlives_fds);
        CHECK_FALSE(t->packet_info);
        CHECK_FALSE(t->vnet_hdr);
        CHECK_FALSE(t->multi_queue);
        CHECK(t->queues == 0);  // no fd attached: ip closed it
        CHECK(find_line("tun_reply_link", "# output: ").find("tun " + t->to_string() + " addrgenmode") != std::string::npos);
    }
    SUBCASE("ip tuntap add tap0 mode tap multi_queue") {
        auto t = decode_tun(reply_link("tun_reply_tap_mq"));
        REQUIRE(t);
        CHECK(t->mode == TunMode::Tap);
        CHECK(t->multi_queue);
        CHECK(t->outlives_fds);
        CHECK(find_line("tun_reply_tap_mq", "# output: ").find("tun " + t->to_string() + " addrgenmode") != std::string::npos);
    }
    SUBCASE("not a tun") { CHECK_FALSE(decode_tun(reply_link("vxlan_reply_link"))); }
}
