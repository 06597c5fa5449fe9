// Unit tests for include/nsnet/rtnl/ipvlan.hpp: requests equal iproute2's bytes
// (tests/unit/golden/ipvlan_*, captured on a kernel that then refused them), decoding reads back.
#include "nsnet/rtnl/ipvlan.hpp"

#include <doctest/doctest.h>

#include "../golden.hpp"

using namespace nsnet;
using rtnl::IpvlanFlag;
using rtnl::IpvlanMode;

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

TEST_CASE("ipvlan_new equals `ip link add ipvlan1 link ens41 type ipvlan mode MODE [FLAG]`") {
    struct Case {
        const char* golden;
        IpvlanMode mode;
        IpvlanFlag flag;
    } cases[] = {{"ipvlan_l2", IpvlanMode::L2, IpvlanFlag::Bridge},
                 {"ipvlan_l3", IpvlanMode::L3, IpvlanFlag::Bridge},
                 {"ipvlan_l3s", IpvlanMode::L3S, IpvlanFlag::Bridge},
                 {"ipvlan_l2_bridge", IpvlanMode::L2, IpvlanFlag::Bridge},
                 {"ipvlan_l2_private", IpvlanMode::L2, IpvlanFlag::Private},
                 {"ipvlan_l2_vepa", IpvlanMode::L2, IpvlanFlag::Vepa}};
    for (const auto& c : cases)
        check_golden(c.golden, rtnl::ipvlan_new({.name = "ipvlan1", .parent = 3}, {.mode = c.mode, .flag = c.flag}));
    // ... with netns (IFLA_NET_NS_FD first, its fd value masked)
    check_golden("ipvlan_netns_l3s_private", rtnl::ipvlan_new({.name = "ipv1", .parent = 3, .netns_fd = 4},
                                                              {.mode = IpvlanMode::L3S, .flag = IpvlanFlag::Private}));
}

TEST_CASE("decode_ipvlan reads mode and flag back") {
    rtnl::LinkInfo l{};
    l.kind = "ipvlan";
    for (auto mode : {IpvlanMode::L2, IpvlanMode::L3, IpvlanMode::L3S})
        for (auto flag : {IpvlanFlag::Bridge, IpvlanFlag::Private, IpvlanFlag::Vepa}) {
            l.info_data = info_data(rtnl::ipvlan_new({.name = "x", .parent = 3}, {.mode = mode, .flag = flag}));
            auto v = rtnl::decode_ipvlan(l);
            REQUIRE(v);
            CHECK(v->mode == mode);
            CHECK(v->flag == flag);
        }
    l.info_data = info_data(rtnl::ipvlan_new({.name = "x", .parent = 3}, {.mode = IpvlanMode::L3S, .flag = IpvlanFlag::Vepa}));
    CHECK(rtnl::decode_ipvlan(l)->to_string() == "mode l3s vepa");
    l.kind = "macvlan";
    CHECK_FALSE(rtnl::decode_ipvlan(l));
}

TEST_CASE("ipvlan_change is `ip link set NAME type ipvlan mode l3 private`") {
    auto m = rtnl::ipvlan_change(5, {.mode = IpvlanMode::L3, .flag = IpvlanFlag::Private});
    nl::MessageView v(m.bytes());
    CHECK(v.type() == RTM_NEWLINK);
    CHECK(v.flags() == NLM_F_REQUEST);
    CHECK(v.family_header<ifinfomsg>().ifi_index == 5);
    auto li = v.attrs<ifinfomsg>().find(IFLA_LINKINFO);
    REQUIRE(li);
    auto kind = li->nested().find(IFLA_INFO_KIND);
    REQUIRE(kind);
    CHECK(kind->size() == 6);  // "ipvlan", no NUL (as ip sends it)
    rtnl::LinkInfo l{};
    l.kind = "ipvlan";
    l.info_data = info_data(m);
    CHECK(rtnl::decode_ipvlan(l)->to_string() == "mode l3 private");
}
