// Unit tests for include/nsnet/nft/expr.hpp: each expression encodes to nft's attribute layout,
// decodes back to itself and prints like `nft --debug=netlink`; the match builders reproduce nft's
// choices (byte-aligned prefixes load only their bytes, others are masked); unknown expressions
// survive a round trip; malformed input throws instead of being misread.
#include "nsnet/nft/expr.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include "golden.hpp"
#include "nsnet/nft/batch.hpp"

using namespace nsnet;
using namespace nsnet::nft;
using nsnet::test::ByteVec;
using nsnet::test::to_vec;

namespace {

// Encodes one expression inside a dummy message and decodes it back.
Expr round_trip(const Expr& e, ByteVec* elem_bytes = nullptr) {
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    encode_exprs(m, {e});
    nl::MessageView v(m.bytes());
    auto list = v.attrs<nfgenmsg>().find(NFTA_RULE_EXPRESSIONS);
    REQUIRE(list);
    CHECK(list->nested_flag());
    Exprs out = decode_exprs(*list);
    REQUIRE(out.size() == 1);
    if (elem_bytes) *elem_bytes = to_vec(list->payload());
    return out[0];
}

}  // namespace

TEST_CASE("every modelled expression round-trips") {
    Nat n;
    n.type = NatType::Snat;
    n.reg_addr_min = reg1;
    n.reg_addr_max = reg2;
    n.reg_proto_min = 3;
    n.reg_proto_max = 4;
    n.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
    Masq q;
    q.flags = NF_NAT_RANGE_PROTO_RANDOM;
    q.reg_proto_min = reg1;
    const Expr all[] = {
        Payload{PayloadBase::Transport, 2, 2, reg1},
        Meta{MetaKey::Oifname, reg2},
        Cmp{reg1, CmpOp::Neq, Data{1, 2, 3}},
        Bitwise{reg1, reg1, 4, Data{0xff, 0xff, 0xf0, 0}, Data{0, 0, 0, 0}},
        Immediate{reg1, Data{10, 0, 0, 1}, std::nullopt},
        Immediate{reg_verdict, {}, Verdict::Drop},
        n,
        q,
        Masq{},
        Counter{},
        Counter{5, 700},
    };
    for (const Expr& e : all) {
        CAPTURE(to_debug_string(e));
        CHECK(round_trip(e) == e);
    }
}

TEST_CASE("debug notation matches libnftnl's") {
    CHECK(to_debug_string(Payload{PayloadBase::Network, 12, 2, reg1}) == "[ payload load 2b @ network header + 12 => reg 1 ]");
    CHECK(to_debug_string(Cmp{reg1, CmpOp::Eq, Data{0xac, 0x11}}) == "[ cmp eq reg 1 0x000011ac ]");
    CHECK(to_debug_string(Meta{MetaKey::L4proto, reg1}) == "[ meta load l4proto => reg 1 ]");
    CHECK(to_debug_string(Bitwise{reg1, reg1, 4, Data{0xff, 0xff, 0xf0, 0}, Data{0, 0, 0, 0}}) ==
          "[ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]");
    CHECK(to_debug_string(verdict(Verdict::Accept)) == "[ immediate reg 0 accept ]");
    CHECK(to_debug_string(Counter{}) == "[ counter pkts 0 bytes 0 ]");
    CHECK(to_debug_string(Masq{}) == "[ masq ]");
    CHECK(to_debug_string(Masq{4, std::nullopt, std::nullopt}) == "[ masq flags 0x4 ]");
}

TEST_CASE("address matches: byte-aligned prefixes load their bytes, others are masked, /0 matches all") {
    // 172.17.0.0/16 (what nft does): 2 bytes at network header + 12.
    Exprs e = match_saddr(Prefix::parse("172.17.0.0/16"));
    REQUIRE(e.size() == 2);
    CHECK(std::get<Payload>(e[0]) == Payload{PayloadBase::Network, 12, 2, reg1});
    CHECK(std::get<Cmp>(e[1]).data == Data{172, 17});
    // Host bits are cleared, as nft requires a network address: 10.1.2.3/8 matches 10/8.
    e = match_saddr(Prefix::parse("10.1.2.3/8"));
    CHECK(std::get<Cmp>(e[1]).data == Data{10});
    // /20: the whole address, masked (nft: payload 4b, bitwise, cmp).
    e = match_daddr(Prefix::parse("172.17.16.0/20"));
    REQUIRE(e.size() == 3);
    CHECK(std::get<Payload>(e[0]) == Payload{PayloadBase::Network, 16, 4, reg1});
    CHECK(std::get<Bitwise>(e[1]).mask == Data{0xff, 0xff, 0xf0, 0x00});
    CHECK(std::get<Cmp>(e[2]).data == Data{172, 17, 16, 0});
    // A host address: all 4 bytes.
    e = match_daddr(Prefix::parse("192.168.54.230"));
    CHECK(std::get<Payload>(e[0]).len == 4);
    // 0.0.0.0/0 matches everything: no expressions at all.
    CHECK(match_saddr(Prefix::parse("0.0.0.0/0")).empty());
    // IPv6 offsets (ip6 tables): saddr at 8, daddr at 24.
    CHECK(std::get<Payload>(match_saddr(Prefix::parse("2001:db8::/32"))[0]).offset == 8);
    CHECK(std::get<Payload>(match_daddr(Prefix::parse("2001:db8::/32"))[0]).offset == 24);
}

TEST_CASE("interface, protocol and port matches") {
    Exprs e = match_oifname("docker0", true);
    REQUIRE(e.size() == 2);
    CHECK(std::get<Meta>(e[0]).key == MetaKey::Oifname);
    const Cmp& c = std::get<Cmp>(e[1]);
    CHECK(c.op == CmpOp::Neq);
    REQUIRE(c.data.size() == 16);  // IFNAMSIZ, zero padded
    CHECK(c.data[0] == 'd');
    CHECK(c.data[7] == 0);
    CHECK_THROWS_AS(match_iifname("has/slash"), InvalidArgument);
    CHECK_THROWS_AS(match_iifname("sixteen-chars-xx"), InvalidArgument);

    e = match_dport(IPPROTO_UDP, 53);
    REQUIRE(e.size() == 4);
    CHECK(std::get<Cmp>(e[1]).data == Data{IPPROTO_UDP});
    CHECK(std::get<Payload>(e[2]) == Payload{PayloadBase::Transport, 2, 2, reg1});
    CHECK(std::get<Cmp>(e[3]).data == Data{0, 53});
    CHECK(std::get<Payload>(match_sport(IPPROTO_TCP, 1)[2]).offset == 0);
}

TEST_CASE("nat statements: address in reg 1, port in reg 2, PROTO_SPECIFIED only with a port") {
    Exprs e = dnat_to(IpAddress::parse("172.17.10.10"), 80);
    REQUIRE(e.size() == 3);
    CHECK(std::get<Immediate>(e[0]).data == Data{172, 17, 10, 10});
    CHECK(std::get<Immediate>(e[1]).data == Data{0, 80});
    const Nat& n = std::get<Nat>(e[2]);
    CHECK(n.type == NatType::Dnat);
    CHECK(n.reg_proto_min == std::optional<Reg>(reg2));
    CHECK(n.flags == NF_NAT_RANGE_PROTO_SPECIFIED);
    e = snat_to(IpAddress::parse("192.168.54.230"));
    REQUIRE(e.size() == 2);
    CHECK(std::get<Nat>(e[1]).flags == 0);
    CHECK(to_debug_string(e[1]) == "[ nat snat ip addr_min reg 1 ]");
}

TEST_CASE("an unknown expression decodes as Other and re-encodes to the same bytes") {
    // [ limit rate 10/second ] as some other tool would have written it.
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    {
        auto list = m.nest(NFTA_RULE_EXPRESSIONS);
        auto elem = m.nest(NFTA_LIST_ELEM);
        m.put_string(NFTA_EXPR_NAME, "limit");
        auto data = m.nest(NFTA_EXPR_DATA);
        m.put(1, __builtin_bswap64(10));
        m.put_be32(3, 0);
    }
    nl::MessageView v(m.bytes());
    auto list = v.attrs<nfgenmsg>().find(NFTA_RULE_EXPRESSIONS);
    Exprs out = decode_exprs(*list);
    REQUIRE(out.size() == 1);
    REQUIRE(std::holds_alternative<Other>(out[0]));
    CHECK(std::get<Other>(out[0]).name == "limit");
    CHECK(to_debug_string(out[0]) == "[ limit ]");
    nl::MessageBuilder again = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    encode_exprs(again, out);
    CHECK(to_vec(again.bytes()) == to_vec(m.bytes()));
}

TEST_CASE("an Other whose name holds a NUL byte is never sent cut short") {
    // Found by tests/fuzz/nft_decode: expr_name() returned o.name.c_str(), so "lim\0it" was sent
    // back as "lim". Since issue 12 the builder refuses a NUL inside any string attribute (the
    // kernel would read a shorter name than the one given), naming the value.
    using namespace std::string_literals;
    Other o{"lim\0it"s, {}};
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    auto list = m.nest(NFTA_RULE_EXPRESSIONS);
    CHECK_THROWS_WITH_AS(encode_exprs(m, {o}), doctest::Contains("'lim\\0...'"), InvalidArgument);
}

TEST_CASE("malformed expressions throw EBADMSG") {
    // An element without NFTA_EXPR_NAME.
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    {
        auto list = m.nest(NFTA_RULE_EXPRESSIONS);
        auto elem = m.nest(NFTA_LIST_ELEM);
        auto data = m.nest(NFTA_EXPR_DATA);
    }
    nl::MessageView v(m.bytes());
    auto list = v.attrs<nfgenmsg>().find(NFTA_RULE_EXPRESSIONS);
    CHECK_THROWS_AS(decode_exprs(*list), Error);

    // A register attribute of the wrong size.
    nl::MessageBuilder b = make_message(NFT_MSG_NEWRULE, 0, TableFamily::Ip);
    {
        auto l = b.nest(NFTA_RULE_EXPRESSIONS);
        auto elem = b.nest(NFTA_LIST_ELEM);
        b.put_string(NFTA_EXPR_NAME, "payload");
        auto data = b.nest(NFTA_EXPR_DATA);
        b.put_u16(NFTA_PAYLOAD_DREG, 1);
    }
    nl::MessageView bv(b.bytes());
    try {
        decode_exprs(*bv.attrs<nfgenmsg>().find(NFTA_RULE_EXPRESSIONS));
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.errnum() == EBADMSG);
    }
}

TEST_CASE("find_counter") {
    CHECK_FALSE(find_counter(masquerade()));
    Exprs e = match_saddr(Prefix::parse("10.0.0.0/8"));
    e.push_back(Counter{3, 300});
    auto c = find_counter(e);
    REQUIRE(c);
    CHECK(c->packets == 3);
    CHECK(c->bytes == 300);
}
