// Unit tests for include/nsnet/nft/rule.hpp (and the match/statement builders of expr.hpp): every rule
// of the tutorial and of the golden captures, framed in a batch, equals what `nft` 1.0.6 sent, byte
// for byte; its expressions print as `nft --debug=netlink` printed them; decoding the captured message
// and encoding it again gives the same bytes.
//
// Nothing is masked: nft numbers a batch's messages 0, 1, 2 and sets nlmsg_pid 0, so the batch is
// framed here with first_seq 0. At run time nsnet numbers from its socket's counter and sets
// NLM_F_ACK on every message and NLM_F_ECHO on new rules (batch_test.cpp checks that those flag bits
// are the only other difference).
// firewall/rule.hpp first: it brings <net/if.h>, which must precede <linux/if.h> (DEVELOPERS.md).
#include "nsnet/firewall/rule.hpp"
#include "nsnet/nft/rule.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

#include "../../support/errors.hpp"
#include "golden.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/text.hpp"

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
         rule("forward", {match_saddr(pfx("10.0.0.0/8")), {counter()}, {verdict(nft::Verdict::Accept)}})},
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

// --- nsnet::firewall::Rule's encoders (firewall/rule.hpp) against nft, from capture_firewall.py ----

namespace {

struct FirewallCase {
    const char* golden;
    firewall::RuleOptions options;
    const char* text;  // nft::to_text of the captured rule (as `nft list ruleset` prints it)
};

std::vector<FirewallCase> firewall_cases() {
    using namespace nsnet::firewall;
    using firewall::Family;
    const std::string o = "ctr1";
    return {
        {"fw_portmap_mark",
         {.hook = Hook::Prerouting, .type = ChainType::Nat,
          .match = {.saddr = "10.88.0.0/16", .daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
          .set_meta_mark = MarkSet{.value = 0x2000, .mask = 0x2000}, .owner = o},
         "ip saddr 10.88.0.0/16 fib daddr type local tcp dport 8080 counter packets 0 bytes 0 meta mark set meta mark | "
         "0x00002000"},
        {"fw_portmap_dnat",
         {.hook = Hook::Prerouting, .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
          .action = Action::Dnat, .to = "10.88.0.2", .to_ports = 80, .owner = o},
         "meta nfproto ipv4 fib daddr type local tcp dport 8080 counter packets 0 bytes 0 dnat ip to 10.88.0.2:80"},
        {"fw_portmap_dnat6",
         {.hook = Hook::Prerouting, .match = {.daddr = "fd00::1", .protocol = Protocol::Udp, .dport = PortRange{5000, 5010}},
          .action = Action::Dnat, .to = "fd00::2", .to_ports = PortRange{6000, 6010}, .owner = o},
         "ip6 daddr fd00::1 udp dport 5000-5010 counter packets 0 bytes 0 dnat ip6 to [fd00::2]:6000-6010"},
        {"fw_masq_marked",
         {.hook = Hook::Postrouting, .match = {.meta_mark = MarkMatch{.value = 0x2000, .mask = 0x2000}},
          .action = Action::Masquerade, .owner = o},
         "meta mark & 0x00002000 == 0x00002000 counter packets 0 bytes 0 masquerade"},
        {"fw_masq_ports",
         {.hook = Hook::Postrouting,
          .match = {.saddr = "10.88.0.0/16", .daddr = "10.88.0.0/16", .daddr_negate = true, .protocol = Protocol::Tcp},
          .action = Action::Masquerade, .to_ports = PortRange{1024, 65535}, .owner = o},
         "ip saddr 10.88.0.0/16 ip daddr != 10.88.0.0/16 meta l4proto tcp counter packets 0 bytes 0 masquerade to "
         ":1024-65535"},
        {"fw_ct_accept",
         {.hook = Hook::Forward, .match = {.ct_state = CtState::Established | CtState::Related}, .action = Action::Accept,
          .owner = o},
         "ct state established,related counter packets 0 bytes 0 accept"},
        {"fw_jump",
         {.hook = Hook::Forward, .match = {.iif = "cni0", .iif_negate = true, .ct_mark = MarkMatch{.value = 0x10}},
          .set_ct_mark = MarkSet{.value = 5}, .action = Action::Jump, .target = "cni-ctr", .owner = o},
         "iifname != \"cni0\" ct mark 0x00000010 counter packets 0 bytes 0 ct mark set 0x00000005 jump cni-ctr"},
        {"fw_redirect",
         {.hook = Hook::Prerouting, .match = {.protocol = Protocol::Tcp, .dport = 80}, .action = Action::Redirect,
          .to_ports = 8080, .owner = o},
         "tcp dport 80 counter packets 0 bytes 0 redirect to :8080"},
    };
}

nft::Rule firewall_rule(const firewall::RuleOptions& o) {
    auto st = firewall::detail::rule_state(NetnsRef{}, o);
    nft::Rule r;
    r.family = st->family;
    r.table = "nsnet";
    r.chain = st->chain.name;
    r.exprs = st->exprs;
    r.comment = nsnet::detail::rule_comment("0123456789abcdef", st->owner);
    return r;
}

// The golden .debug.txt without its `userdata = { ... }` line (to_debug_string prints expressions only).
std::string debug_without_userdata(const std::string& d) {
    std::string out;
    std::size_t at = 0;
    while (at < d.size()) {
        std::size_t nl = d.find('\n', at);
        std::string line = d.substr(at, nl == std::string::npos ? std::string::npos : nl - at + 1);
        if (line.find("userdata = {") == std::string::npos && line != "\n") out += line;
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("firewall::Rule encodes portmap's rules (inet table, comment with owner and tag) as nft does, byte for byte") {
    for (const FirewallCase& c : firewall_cases()) {
        CAPTURE(c.golden);
        nft::Rule r = firewall_rule(c.options);
        ByteVec want = golden_bytes(c.golden);
        ByteVec got = framed(nft::rule_new(r));
        CHECK_MESSAGE(got == want, first_difference(got, want));
        CHECK(nft::to_debug_string(r) == debug_without_userdata(golden_debug(c.golden)));
    }
}

TEST_CASE("firewall::Match: interfaces by name or link (DeviceArg), addresses as text or typed; errors name the field") {
    namespace fw = nsnet::firewall;
    auto message_of = [](const fw::RuleOptions& o) {
        return nsnet::test::rejection([&] { (void)fw::detail::rule_state(NetnsRef{}, o); });
    };
    // A name is matched as given; it need not exist (nothing is looked up).
    auto st = fw::detail::rule_state(NetnsRef{}, {.match = {.iif = "not-there-yet", .oif = std::string("cni0"), .oif_negate = true},
                                                  .action = fw::Action::Accept});
    CHECK(st->description.find("iifname \"not-there-yet\" oifname != \"cni0\"") != std::string::npos);
    CHECK(message_of({.match = {.iif = "a/b"}, .action = fw::Action::Drop}).find("Match.iif: interface name 'a/b'") != std::string::npos);
    CHECK(message_of({.match = {.oif = -2}, .action = fw::Action::Drop}).find("Match.oif: device index -2") != std::string::npos);
    CHECK(message_of({.match = {.iif = Link()}, .action = fw::Action::Drop}).find("Match.iif '' is an empty or removed link handle") !=
          std::string::npos);
    CHECK(message_of({.match = {.iif_negate = true}, .action = fw::Action::Drop}).find("Match.iif_negate without Match.iif") !=
          std::string::npos);
    CHECK(message_of({.match = {.saddr = "10.0.0.300"}, .action = fw::Action::Drop}).find("Match.saddr '10.0.0.300'") !=
          std::string::npos);
    CHECK(message_of({.hook = fw::Hook::Prerouting, .match = {.protocol = fw::Protocol::Tcp, .dport = 80},
                      .action = fw::Action::Dnat, .to = "10.0.0.0/24"})
              .find("RuleOptions.to '10.0.0.0/24' is not an IPv4 or IPv6 address") != std::string::npos);
    // Typed values give the same rule as text.
    auto typed = fw::detail::rule_state(NetnsRef{}, {.match = {.saddr = Prefix::parse("10.88.0.0/16"), .daddr = IpAddress::parse("10.88.0.2")},
                                                     .action = fw::Action::Accept});
    auto text = fw::detail::rule_state(NetnsRef{}, {.match = {.saddr = "10.88.0.0/16", .daddr = "10.88.0.2"}, .action = fw::Action::Accept});
    CHECK(typed->description == text->description);
}

TEST_CASE("firewall::RuleOptions.owner is checked as the other rule kinds' owners are, and shown escaped") {
    namespace fw = nsnet::firewall;
    auto message_of = [](const std::string& owner) {
        return nsnet::test::rejection(
            [&] { (void)fw::detail::rule_state(NetnsRef{}, {.action = fw::Action::Accept, .owner = owner}); });
    };
    CHECK(message_of("a\"b").find("RuleOptions.owner 'a\"b' has a control character or a double quote") != std::string::npos);
    CHECK(message_of(std::string("a\0b", 3)).find("RuleOptions.owner 'a\\0b'") != std::string::npos);
    const std::string huge(100000, 'x');
    const std::string m = message_of(huge);
    CHECK(m.find("RuleOptions.owner is 100000 bytes; at most 200") != std::string::npos);
    CHECK(m.size() < 400);  // the value is cut, not echoed whole
    CHECK(fw::detail::rule_state(NetnsRef{}, {.action = fw::Action::Accept, .owner = std::string(200, 'o')})->owner.size() == 200);
}

TEST_CASE("to_text renders a captured rule as `nft list ruleset` does, and the decoded rule re-encodes to the same bytes") {
    for (const FirewallCase& c : firewall_cases()) {
        CAPTURE(c.golden);
        ByteVec want = golden_bytes(c.golden);
        nl::MessageView m(as_bytes(want).subspan(20));
        nft::Rule r = nft::decode_rule(m);
        CHECK(r.family == nft::TableFamily::Inet);
        CHECK(nft::to_text(r) == std::string(c.text) + " comment \"owner:ctr1 nsnet:0123456789abcdef\"");
        CHECK(nft::to_text(r, false).find("counter packets") == std::string::npos);
        CHECK(framed(nft::rule_new(r)) == want);
        auto parsed = nsnet::detail::parse_rule_comment(*r.comment);
        REQUIRE(parsed);
        CHECK(parsed->owner == "ctr1");
        CHECK(parsed->tag == "0123456789abcdef");
    }
}
