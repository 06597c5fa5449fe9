// Unit tests for include/nsnet/rtnl/macvlan.hpp (and the stacked-link layout of rtnl/link_kind.hpp):
// requests equal iproute2's bytes (tests/unit/golden/macvlan_*, macvtap_*), decoding reads back.
#include "nsnet/rtnl/macvlan.hpp"

#include <doctest/doctest.h>

#include "../golden.hpp"

using namespace nsnet;
using rtnl::MacvlanMode;

namespace {

void check_golden(const char* name, const nl::MessageBuilder& m) {
    CAPTURE(name);
    auto g = golden::load(name);
    INFO("golden cmd: " << g.cmd);
    NSNET_CHECK_GOLDEN(golden::as_sent(m), g);
}

std::vector<std::byte> info_data(const nl::MessageBuilder& m) {
    nl::MessageView v(m.bytes());
    for (nl::Attr a : v.attrs<ifinfomsg>())
        if (a.type() == IFLA_LINKINFO)
            for (nl::Attr i : a.nested())
                if (i.type() == IFLA_INFO_DATA) return {i.payload().begin(), i.payload().end()};
    return {};
}

}  // namespace

TEST_CASE("macvlan_new equals `ip link add ens41m1 link ens41 type macvlan mode MODE` for every mode") {
    // ens41 is ifindex 3 in the capture namespace.
    struct Case {
        const char* golden;
        MacvlanMode mode;
    } cases[] = {{"macvlan_bridge", MacvlanMode::Bridge},
                 {"macvlan_vepa", MacvlanMode::Vepa},
                 {"macvlan_private", MacvlanMode::Private},
                 {"macvlan_passthru", MacvlanMode::Passthru},
                 {"macvlan_source", MacvlanMode::Source}};
    for (const auto& c : cases) check_golden(c.golden, rtnl::macvlan_new({.name = "ens41m1", .parent = 3}, {.mode = c.mode}));
}

TEST_CASE("macvlan_new with netns, address and mtu puts them where ip does") {
    // ip link add m1 link ens41 netns NS type macvlan mode bridge: IFLA_NET_NS_FD first (fd masked)
    check_golden("macvlan_netns",
                 rtnl::macvlan_new({.name = "m1", .parent = 3, .netns_fd = 4}, {.mode = MacvlanMode::Bridge}));
    check_golden("macvlan_address_mtu",
                 rtnl::macvlan_new({.name = "m2", .parent = 3, .mac = MacAddress::parse("02:00:00:00:00:47"), .mtu = 1400},
                                   {.mode = MacvlanMode::Bridge}));
    check_golden("macvlan_netns_address",
                 rtnl::macvlan_new({.name = "m3", .parent = 3, .netns_fd = 9, .mac = MacAddress::parse("02:00:00:00:00:48")},
                                   {.mode = MacvlanMode::Private}));
}

TEST_CASE("macvlan_new: nopromisc, source MAC list, macvtap") {
    check_golden("macvlan_passthru_nopromisc",
                 rtnl::macvlan_new({.name = "m4", .parent = 3}, {.mode = MacvlanMode::Passthru, .nopromisc = true}));
    check_golden("macvlan_source_macs",
                 rtnl::macvlan_new({.name = "m5", .parent = 3},
                                   {.mode = MacvlanMode::Source,
                                    .source_macs = {MacAddress::parse("02:00:00:00:00:0a"), MacAddress::parse("02:00:00:00:00:0b")}}));
    check_golden("macvtap_bridge", rtnl::macvlan_new({.name = "mt0", .parent = 3}, {.mode = MacvlanMode::Bridge}, true));
}

TEST_CASE("macvlan_change equals `ip link set ens41m1 type macvlan mode vepa`") {
    check_golden("macvlan_set_mode", rtnl::macvlan_change(4, {.mode = MacvlanMode::Vepa}));
}

TEST_CASE("a macvlan without options sends no IFLA_INFO_DATA (the kernel's default mode, vepa)") {
    auto m = rtnl::macvlan_new({.name = "m0", .parent = 3}, {});
    CHECK(info_data(m).empty());
    nl::MessageView v(m.bytes());
    auto li = v.attrs<ifinfomsg>().find(IFLA_LINKINFO);
    REQUIRE(li);
    CHECK_FALSE(li->nested().find(IFLA_INFO_DATA));
}

TEST_CASE("decode_macvlan reads mode, flags and the source list back") {
    rtnl::LinkInfo l{};
    l.kind = "macvlan";
    l.info_data = info_data(rtnl::macvlan_new(
        {.name = "m5", .parent = 3},
        {.mode = MacvlanMode::Source, .source_macs = {MacAddress::parse("02:00:00:00:00:0a"), MacAddress::parse("02:00:00:00:00:0b")}}));
    auto v = rtnl::decode_macvlan(l);
    REQUIRE(v);
    CHECK(v->mode == MacvlanMode::Source);
    CHECK_FALSE(v->tap);
    REQUIRE(v->source_macs.size() == 2);
    CHECK(v->source_macs[1] == MacAddress::parse("02:00:00:00:00:0b"));
    CHECK(v->to_string() == "mode source remotes (2) 02:00:00:00:00:0a 02:00:00:00:00:0b");

    l.kind = "macvtap";
    l.info_data = info_data(rtnl::macvlan_new({.name = "m4", .parent = 3}, {.mode = MacvlanMode::Passthru, .nopromisc = true}, true));
    v = rtnl::decode_macvlan(l);
    REQUIRE(v);
    CHECK(v->tap);
    CHECK(v->mode == MacvlanMode::Passthru);
    CHECK(v->nopromisc);
    CHECK(v->to_string() == "mode passthru nopromisc");

    l.kind = "ipvlan";
    CHECK_FALSE(rtnl::decode_macvlan(l));
    for (auto m : {MacvlanMode::Private, MacvlanMode::Vepa, MacvlanMode::Bridge, MacvlanMode::Passthru, MacvlanMode::Source})
        CHECK(std::string(rtnl::to_string(m)) != "unknown");
}
