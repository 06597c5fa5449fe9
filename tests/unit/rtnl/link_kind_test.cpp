// Unit tests of include/nsnet/rtnl/link_kind.hpp's namespace ids: nsid_get() is the RTM_GETNSID
// that `ip netns list-id` / `ip link` send to learn which namespace an IFLA_LINK_NETNSID names
// (what Macvlan/Vlan/Ipvlan::adopt use to find a parent in another namespace), decode_nsid() reads
// the answer. (The stacked-link layout is checked against ip's bytes in macvlan/vlan/ipvlan_test.)
#include "nsnet/rtnl/link_kind.hpp"

#include <doctest/doctest.h>

using namespace nsnet;

TEST_CASE("nsid_get is RTM_GETNSID with the namespace's fd as NETNSA_FD") {
    nl::MessageBuilder m = rtnl::nsid_get(7);
    nl::MessageView v(m.bytes());
    CHECK(v.type() == RTM_GETNSID);
    CHECK((v.header().nlmsg_flags & NLM_F_REQUEST) != 0);
    CHECK((v.header().nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_DUMP)) == 0);
    CHECK(v.header().nlmsg_len == sizeof(nlmsghdr) + 4 /* rtgenmsg, padded */ + 8 /* NETNSA_FD u32 */);
    auto fd = v.attrs(sizeof(rtgenmsg)).find(NETNSA_FD);
    REQUIRE(fd);
    CHECK(fd->u32() == 7);
}

TEST_CASE("decode_nsid reads NETNSA_NSID of RTM_NEWNSID; not assigned (-1) and other messages are nullopt") {
    auto answer = [](std::uint16_t type, std::int32_t id) {
        nl::MessageBuilder m(type, 0);
        rtgenmsg g{};
        m.put_header(g);
        m.put_s32(NETNSA_NSID, id);
        return m;
    };
    auto three = answer(RTM_NEWNSID, 3);
    CHECK(rtnl::decode_nsid(nl::MessageView(three.bytes())) == 3);
    auto zero = answer(RTM_NEWNSID, 0);
    CHECK(rtnl::decode_nsid(nl::MessageView(zero.bytes())) == 0);
    auto unassigned = answer(RTM_NEWNSID, -1);
    CHECK_FALSE(rtnl::decode_nsid(nl::MessageView(unassigned.bytes())));
    auto other = answer(RTM_NEWLINK, 3);
    CHECK_FALSE(rtnl::decode_nsid(nl::MessageView(other.bytes())));
}
