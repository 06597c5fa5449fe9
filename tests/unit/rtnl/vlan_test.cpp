// Unit tests for include/nsnet/rtnl/vlan.hpp: requests equal iproute2's bytes (tests/unit/golden/vlan*,
// captured on a kernel without 8021q, which then refused them), ids outside 1..4094 are refused
// naming the value before any message exists, decoding reads back.
#include "nsnet/rtnl/vlan.hpp"

#include <doctest/doctest.h>

#include <string>

#include "../golden.hpp"

using namespace nsnet;
using rtnl::VlanProtocol;

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

TEST_CASE("vlan_new equals `ip link add NAME link PARENT type vlan [protocol P] id ID`") {
    check_golden("vlan", rtnl::vlan_new({.name = "veth-ns1.100", .parent = 3}, {.id = 100}));
    check_golden("vlan_8021ad", rtnl::vlan_new({.name = "veth-ns1.200", .parent = 3}, {.id = 200, .protocol = VlanProtocol::Dot1AD}));
    check_golden("vlan_8021q_netns",
                 rtnl::vlan_new({.name = "ens41.300", .parent = 3, .netns_fd = 7}, {.id = 300, .protocol = VlanProtocol::Dot1Q}));
}

TEST_CASE("VLAN ids outside 1..4094 are refused before a message exists, naming the id") {
    for (int bad : {0, 4095, -1, 4096, 70000}) {
        CAPTURE(bad);
        try {
            (void)rtnl::vlan_new({.name = "veth-ns1.x", .parent = 3}, {.id = bad});
            FAIL("VLAN id " << bad << " was accepted");
        } catch (const InvalidArgument& e) {
            std::string what = e.what();
            CHECK(e.errnum() == EINVAL);
            CHECK(what.find("VLAN id " + std::to_string(bad) + " ") != std::string::npos);
            CHECK(what.find("1..4094") != std::string::npos);
            CHECK(e.object() == "veth-ns1.x");
        }
    }
    CHECK_NOTHROW((void)rtnl::vlan_new({.name = "v1", .parent = 3}, {.id = 1}));
    CHECK_NOTHROW((void)rtnl::vlan_new({.name = "v4094", .parent = 3}, {.id = 4094}));
    // the reserved values say why
    try {
        rtnl::validate_vlan({.id = 4095}, "create vlan", "v");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("reserved") != std::string::npos);
    }
}

TEST_CASE("decode_vlan reads id, protocol and flags back") {
    rtnl::LinkInfo l{};
    l.kind = "vlan";
    std::vector<std::byte> data = info_data(rtnl::vlan_new({.name = "a.200", .parent = 3}, {.id = 200, .protocol = VlanProtocol::Dot1AD}));
    // the kernel adds IFLA_VLAN_FLAGS {flags, mask}
    nl::MessageBuilder extra(0, 0);
    ifla_vlan_flags f{};
    f.flags = VLAN_FLAG_REORDER_HDR | VLAN_FLAG_MVRP;
    f.mask = 0xffffffff;
    extra.put(IFLA_VLAN_FLAGS, f);
    auto eb = extra.bytes().subspan(sizeof(nlmsghdr));
    data.insert(data.end(), eb.begin(), eb.end());
    l.info_data = data;
    auto v = rtnl::decode_vlan(l);
    REQUIRE(v);
    CHECK(v->id == 200);
    CHECK(v->protocol == VlanProtocol::Dot1AD);
    CHECK(v->reorder_hdr);
    CHECK(v->mvrp);
    CHECK_FALSE(v->gvrp);
    CHECK(v->to_string() == "protocol 802.1ad id 200 <REORDER_HDR,MVRP>");
    l.kind = "veth";
    CHECK_FALSE(rtnl::decode_vlan(l));
}
