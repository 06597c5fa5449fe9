// Unit tests for include/nsnet/nft/rule.hpp (and the match/statement builders of expr.hpp): every rule
// of the tutorial and of the golden captures, framed in a batch, equals what `nft` 1.0.6 sent, byte
// for byte; its expressions print as `nft --debug=netlink` printed them; decoding the captured message
// and encoding it again gives the same bytes.
//
// Nothing is masked: nft numbers a batch's messages 0, 1, 2 and sets nlmsg_pid 0, so the batch is
// framed here with first_seq 0. At run time nsnet numbers from its socket's counter and sets
// NLM_F_ACK on every message and NLM_F_ECHO on new rules (batch_test.cpp checks that those flag bits
// are the only other difference).
#include "nsnet/nft/rule.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

#include "golden.hpp"
#include "nsnet/nft/batch.hpp"

using namespace nsnet;
using namespace nsnet::test;

namespace {

ByteVec framed(const nl::MessageBuilder& m) {
    nft::Batch b;
    b.add(m, "test", "test");
    return to_vec(b.encode(0, /*ack=*/false));
}

nft::Rule rule(const std::string& chain, std::initializer_list<nft::Exprs> parts) {
    nft::Rule r;
    r.family = nft::TableFamily::Ip;
    r.table = "nsnet";
    r.chain = chain;
    for (const auto& p : parts) nft::detail::append(r.exprs, p);
    return r;
}

IpAddress ip(const char* s) { return IpAddress::parse(s); }
Prefix pfx(const char* s) { return Prefix::parse(s); }

struct Case {
    const char* golden;
    nft::Rule rule;
};

std::vector<Case> cases() {
    using namespace nsnet::nft;
    return {
        // The tutorial's three rules.
        {"nft_rule_masquerade", rule("postrouting", {match_saddr(pfx("172.17.0.0/16")), match_oifname("docker0", true), masquerade()})},
        {"nft_rule_dnat", rule("prerouting", {match_dport(IPPROTO_TCP, 8080), dnat_to(ip("172.17.10.10"), 80)})},
        {"nft_rule_dnat_9090", rule("prerouting", {match_dport(IPPROTO_TCP, 9090), dnat_to(ip("172.17.10.20"), 80)})},
        // Variants nsnet offers.
        {"nft_rule_dnat_iifname",
         rule("prerouting", {match_iifname("ens41"), match_dport(IPPROTO_TCP, 8080), dnat_to(ip("172.17.10.10"), 80)})},
        {"nft_rule_dnat_daddr", rule("prerouting", {match_daddr(pfx("192.168.54.230/32")), match_dport(IPPROTO_TCP, 8080),
                                                    dnat_to(ip("172.17.10.10"), 80)})},
        {"nft_rule_output_dnat", rule("output", {match_daddr(pfx("192.168.54.230")), match_dport(IPPROTO_TCP, 8080),
                                                 dnat_to(ip("172.17.10.10"), 80)})},
        {"nft_rule_dnat_udp", rule("prerouting", {match_dport(IPPROTO_UDP, 5353), dnat_to(ip("172.17.10.10"), 53)})},
        {"nft_rule_snat", rule("postrouting", {match_saddr(pfx("10.0.0.0/8")), snat_to(ip("192.168.54.230"))})},
        {"nft_rule_forward_counter",
         rule("forward", {match_saddr(pfx("10.0.0.0/8")), {counter()}, {verdict(Verdict::Accept)}})},
    };
}

}  // namespace

TEST_CASE("rule_new: the tutorial's rules and their variants equal nft's batches byte for byte") {
    for (const Case& c : cases()) {
        CAPTURE(c.golden);
        ByteVec want = golden_bytes(c.golden);
        ByteVec got = framed(nft::rule_new(c.rule));
        CHECK_MESSAGE(got == want, first_difference(got, want));
    }
}

TEST_CASE("rule expressions print as nft --debug=netlink printed them") {
    for (const Case& c : cases()) {
        CAPTURE(c.golden);
        CHECK(nft::to_debug_string(c.rule) + "\n" == golden_debug(c.golden));
    }
}

TEST_CASE("decode_rule of a captured NEWRULE gives the same rule, and re-encodes to the same bytes") {
    for (const Case& c : cases()) {
        CAPTURE(c.golden);
        ByteVec want = golden_bytes(c.golden);
        // Skip BATCH_BEGIN (20 bytes); the NEWRULE follows.
        nl::MessageView m(as_bytes(want).subspan(20));
        REQUIRE(nft::nft_message(m) == NFT_MSG_NEWRULE);
        nft::Rule r = nft::decode_rule(m);
        CHECK(r.family == nft::TableFamily::Ip);
        CHECK(r.table == "nsnet");
        CHECK(r.chain == c.rule.chain);
        CHECK(r.exprs == c.rule.exprs);
        CHECK_FALSE(r.handle);
        CHECK(framed(nft::rule_new(r)) == want);
    }
}

TEST_CASE("rule_del by handle equals `nft delete rule ip nsnet forward handle 11`") {
    // nft_ruleset_handles.txt shows the counter rule in chain forward as handle 11.
    ByteVec want = golden_bytes("nft_delete_rule");
    ByteVec got = framed(nft::rule_del(nft::TableFamily::Ip, "nsnet", "forward", 11));
    CHECK_MESSAGE(got == want, first_difference(got, want));
}

TEST_CASE("rule_new options: echo, insert, position, comment") {
    nft::Rule r = rule("forward", {{nft::verdict(nft::Verdict::Drop)}});
    CHECK(nft::rule_new(r).flags() == (NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND));
    CHECK(nft::rule_new(r, {.echo = true}).flags() == (NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND | NLM_F_ECHO));
    CHECK(nft::rule_new(r, {.append = false}).flags() == (NLM_F_REQUEST | NLM_F_CREATE));

    r.comment = "hello";
    auto m = nft::rule_new(r, {.position = 7});
    nl::MessageView v(m.bytes());
    nl::AttrTable<NFTA_RULE_MAX> a(v.attrs<nfgenmsg>());
    REQUIRE(a[NFTA_RULE_POSITION]);
    CHECK(__builtin_bswap64(a[NFTA_RULE_POSITION]->u64()) == 7);
    nft::Rule back = nft::decode_rule(v);
    REQUIRE(back.comment);
    CHECK(*back.comment == "hello");
    CHECK(back.exprs == r.exprs);
}

TEST_CASE("rule encoders reject bad names before building anything") {
    nft::Rule r = rule("", {});
    CHECK_THROWS_AS(nft::rule_new(r), InvalidArgument);
    r.chain = std::string(256, 'c');
    CHECK_THROWS_AS(nft::rule_new(r), InvalidArgument);
    CHECK_THROWS_AS(nft::rule_del(nft::TableFamily::Ip, "", "x", 1), InvalidArgument);
    CHECK_THROWS_AS(nft::rule_get(nft::TableFamily::Ip, "t", std::string("a\0b", 3), 1), InvalidArgument);
}

TEST_CASE("rule_get and rule_dump address one rule / one table") {
    auto g = nft::rule_get(nft::TableFamily::Ip, "nsnet", "postrouting", 3);
    nl::MessageView v(g.bytes());
    CHECK(v.type() == nft::message_type(NFT_MSG_GETRULE));
    nft::Rule r = nft::decode_rule(v);
    CHECK(r.table == "nsnet");
    CHECK(r.chain == "postrouting");
    CHECK(r.handle == std::optional<std::uint64_t>(3));

    auto d = nft::rule_dump(nft::TableFamily::Ip, "nsnet");
    nl::MessageView dv(d.bytes());
    nl::AttrTable<NFTA_RULE_MAX> a(dv.attrs<nfgenmsg>());
    CHECK(a.has(NFTA_RULE_TABLE));
    CHECK_FALSE(a.has(NFTA_RULE_CHAIN));
}
