// Unit tests for include/nsnet/rtnl/rule.hpp (and the option parsing of nsnet/rule.hpp): requests
// equal iproute2's bytes (tests/unit/golden/rule_*, dump_rule), the decoder reads the kernel's own
// dump replies (reply_rule*, capture_objects.sh), malformed input throws, bad input is refused
// naming the value before any message exists.
#include "nsnet/rtnl/rule.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../golden.hpp"
#include "nsnet/rule.hpp"

using namespace nsnet;
using RuleInfo = rtnl::Rule;  // nsnet::RuleInfo too; nsnet::Rule is the owner
using rtnl::RuleAction;

namespace {

void check_golden(const char* name, const nl::MessageBuilder& m) {
    CAPTURE(name);
    auto g = golden::load(name);
    INFO("golden cmd: " << g.cmd);
    NSNET_CHECK_GOLDEN(golden::as_sent(m), g);
}

std::vector<RuleInfo> decode_all(const golden::ByteVec& bytes) {
    std::vector<RuleInfo> out;
    for (nl::MessageView m : nl::MessageRange(golden::as_bytes(bytes)))
        if (auto r = rtnl::decode_rule(m)) out.push_back(*r);
    return out;
}

golden::ByteVec bytes_of(const nl::MessageBuilder& m) { return golden::to_vec(m.bytes()); }

// to_rule in the caller's namespace (devices given by name are not looked up).
RuleInfo typed(const RuleOptions& o) { return to_rule(NetnsRef::current(), o); }

}  // namespace

TEST_CASE("rule_new / rule_del equal `ip rule add|del`") {
    check_golden("rule_add_from", rtnl::rule_new({.from = Prefix::parse("192.168.1.10"), .table = 100}));
    check_golden("rule_add_prohibit",
                 rtnl::rule_new({.from = Prefix::parse("10.1.0.0/16"), .action = RuleAction::Prohibit}));
    check_golden("rule_add_to_iif_fwmark", rtnl::rule_new({.to = Prefix::parse("10.0.0.0/8"),
                                                           .iif = "veth-n1",
                                                           .fwmark = 0x10,
                                                           .fwmask = 0xff,
                                                           .priority = 1000,
                                                           .table = 200}));
    check_golden("rule_del", rtnl::rule_del({.from = Prefix::parse("192.168.1.10"), .table = 100}));
}

TEST_CASE("the tutorial's one-liner: RuleOptions {.from = \"192.168.1.10\", .table = 100}") {
    RuleInfo r = typed({.from = "192.168.1.10", .table = 100});
    CHECK(r.from == Prefix::parse("192.168.1.10/32"));
    CHECK(r.family == Family::V4);
    check_golden("rule_add_from", rtnl::rule_new(r));
    check_golden("rule_add_to_iif_fwmark",
                 rtnl::rule_new(typed({.to = "10.0.0.0/8", .iif = "veth-n1", .fwmark = 0x10, .fwmask = 0xff,
                                         .priority = 1000, .table = 200})));
    check_golden("rule_add_prohibit", rtnl::rule_new(typed({.from = "10.1.0.0/16", .action = RuleAction::Prohibit})));
    // "all" and "" mean no selector
    CHECK_FALSE(typed({.from = "all", .table = 5}).from.has_value());
    CHECK_FALSE(typed({.from = "", .table = 5}).from.has_value());
    // Typed values give the same rule as text.
    CHECK(typed({.from = IpAddress::parse("192.168.1.10"), .table = 100}) == r);
    CHECK(typed({.to = Prefix::parse("10.0.0.0/8"), .table = 100}) == typed({.to = "10.0.0.0/8", .table = 100}));
    CHECK(typed({.family = Family::V6}).family == Family::V6);
}

TEST_CASE("rule_dump equals `ip rule show`; AF_UNSPEC lists both families") {
    NSNET_CHECK_GOLDEN(golden::as_sent(rtnl::rule_dump(AF_INET)), golden::load("dump_rule"));
    auto dump = rtnl::rule_dump();  // the view reads the builder's buffer: keep it alive
    nl::MessageView v(dump.bytes());
    CHECK(v.flags() == (NLM_F_REQUEST | NLM_F_DUMP));
    CHECK(v.family_header<fib_rule_hdr>().family == AF_UNSPEC);
}

TEST_CASE("tables from 256 on go in FRA_TABLE with header table 0; lookup without a table is main") {
    auto m = rtnl::rule_new({.fwmark = 7, .table = 300});
    nl::MessageView v(m.bytes());
    auto h = v.family_header<fib_rule_hdr>();
    CHECK(h.table == 0);
    CHECK(h.action == FR_ACT_TO_TBL);
    nl::AttrTable<FRA_MAX> a(v.attrs<fib_rule_hdr>());
    REQUIRE(a[FRA_TABLE]);
    CHECK(a[FRA_TABLE]->u32() == 300);
    CHECK(a[FRA_FWMARK]->u32() == 7);

    auto main = rtnl::rule_new({.from = Prefix::parse("10.9.0.0/16")});
    CHECK(nl::MessageView(main.bytes()).family_header<fib_rule_hdr>().table == RT_TABLE_MAIN);
}

TEST_CASE("every selector round-trips through the decoder") {
    RuleInfo r{.family = Family::V6,
           .from = Prefix::parse("2001:db8::/32"),
           .to = Prefix::parse("2001:db8:1::/48"),
           .iif = "eth0",
           .oif = "eth1",
           .fwmark = 0x10,
           .fwmask = 0xff,
           .priority = 1234,
           .tos = 0x10,
           .ipproto = 6,
           .sport = rtnl::PortRange{1000, 2000},
           .dport = rtnl::PortRange{80, 80},
           .uidrange = rtnl::UidRange{1000, 1999},
           .suppress_prefixlen = 0,
           .invert = true,
           .action = RuleAction::Lookup,
           .table = 1000};
    auto m = rtnl::rule_new(r);
    auto back = rtnl::decode_rule(nl::MessageView(m.bytes()));
    REQUIRE(back);
    CHECK(*back == r);

    RuleInfo g{.priority = 50, .action = RuleAction::Goto, .goto_target = 100};
    auto gb = rtnl::decode_rule(nl::MessageView(rtnl::rule_new(g).bytes()));
    REQUIRE(gb);
    CHECK(gb->action == RuleAction::Goto);
    CHECK(gb->goto_target == 100u);
}

TEST_CASE("decode_rule reads the kernel's IPv4 rule dump (reply_rule)") {
    auto rules = decode_all(golden::load("reply_rule").block(1).bytes);
    REQUIRE(rules.size() == 8);
    // 0: from all lookup local
    CHECK(rules[0].priority == 0u);
    CHECK(rules[0].action == RuleAction::Lookup);
    CHECK(rules[0].table == RT_TABLE_LOCAL);
    CHECK_FALSE(rules[0].from);
    // 999: from 10.1.0.0/16 prohibit (kernel-picked priority)
    CHECK(rules[1].priority == 999u);
    CHECK(rules[1].action == RuleAction::Prohibit);
    CHECK(rules[1].from == Prefix::parse("10.1.0.0/16"));
    CHECK(rules[1].table == 0u);
    // 1000: to 10.0.0.0/8 fwmark 0x10/0xff iif veth-n1 lookup 200
    CHECK(rules[2].priority == 1000u);
    CHECK(rules[2].to == Prefix::parse("10.0.0.0/8"));
    CHECK(rules[2].iif == "veth-n1");
    CHECK(rules[2].fwmark == 0x10u);
    CHECK(rules[2].fwmask == 0xffu);
    CHECK(rules[2].table == 200u);
    // 1500: ipproto tcp dport 80 lookup 300 (FRA_TABLE overrides header table 252)
    CHECK(rules[3].priority == 1500u);
    CHECK(rules[3].ipproto == std::uint8_t{6});
    CHECK(rules[3].dport == rtnl::PortRange{80, 80});
    CHECK_FALSE(rules[3].sport);
    CHECK(rules[3].table == 300u);
    // 2000: not to 10.3.0.0/16 iif veth-n2 oif veth-n1 blackhole
    CHECK(rules[4].priority == 2000u);
    CHECK(rules[4].invert);
    CHECK(rules[4].to == Prefix::parse("10.3.0.0/16"));
    CHECK(rules[4].iif == "veth-n2");
    CHECK(rules[4].oif == "veth-n1");
    CHECK(rules[4].action == RuleAction::Blackhole);
    // 32765: from 192.168.1.10 lookup 100 — the tutorial's rule
    CHECK(rules[5].priority == 32765u);
    CHECK(rules[5].from == Prefix::parse("192.168.1.10/32"));
    CHECK(rules[5].table == 100u);
    CHECK(rtnl::describe(rules[5]) == "32765:\tfrom 192.168.1.10 lookup 100");
    CHECK(rules[6].table == RT_TABLE_MAIN);
    CHECK(rules[7].table == RT_TABLE_DEFAULT);
    for (const auto& r : rules) CHECK(r.family == Family::V4);
}

TEST_CASE("decode_rule reads the kernel's IPv6 rule dump (reply_rule6)") {
    auto rules = decode_all(golden::load("reply_rule6").block(1).bytes);
    REQUIRE(rules.size() == 3);
    CHECK(rules[1].family == Family::V6);
    CHECK(rules[1].from == Prefix::parse("2001:db8::/32"));
    CHECK(rules[1].table == 100u);
    CHECK(rules[1].priority == 32765u);
}

TEST_CASE("a decoded rule deletes itself: rule_del of it matches what the kernel compares") {
    auto rules = decode_all(golden::load("reply_rule").block(1).bytes);
    REQUIRE(rules.size() == 8);
    auto del = rtnl::rule_del(rules[2]);
    nl::MessageView v(del.bytes());
    CHECK(v.type() == RTM_DELRULE);
    auto h = v.family_header<fib_rule_hdr>();
    CHECK(h.action == 0);  // lookup: like ip, no action on delete
    CHECK(h.table == 200);
    nl::AttrTable<FRA_MAX> a(v.attrs<fib_rule_hdr>());
    CHECK(a[FRA_PRIORITY]->u32() == 1000u);
    CHECK(a[FRA_IIFNAME]->str() == "veth-n1");
}

TEST_CASE("decode_rule rejects malformed messages") {
    auto good = bytes_of(rtnl::rule_new({.from = Prefix::parse("192.168.1.10"), .table = 100}));
    SUBCASE("FRA_SRC of the wrong size") {
        auto b = good;
        b[28] = 7;  // FRA_SRC len 8 -> 7 (3 address bytes)
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("attribute longer than the message") {
        auto b = good;
        b[28] = 40;
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("src_len beyond 32") {
        auto b = good;
        b[18] = 33;
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("src_len without FRA_SRC") {
        auto m = rtnl::rule_new({.fwmark = 1, .table = 100});
        auto b = bytes_of(m);
        b[18] = 24;
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("truncated family header") {
        auto b = good;
        b.resize(24);
        b[0] = 24;
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("port range of the wrong size") {
        auto b = bytes_of(rtnl::rule_new({.dport = rtnl::PortRange{80, 80}, .table = 100}));
        // FRA_DPORT_RANGE is the last attribute: shrink it to 2 bytes.
        b[28] = 6;
        CHECK_THROWS_AS(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))), Error);
    }
    SUBCASE("other families and types are skipped, not errors") {
        auto b = good;
        b[16] = 128;  // RTNL_FAMILY_IPMR
        CHECK_FALSE(rtnl::decode_rule(nl::MessageView(golden::as_bytes(b))).has_value());
        CHECK_FALSE(rtnl::decode_rule(nl::MessageView(rtnl::rule_dump().bytes())).has_value());
    }
}

TEST_CASE("bad rules are refused before any message exists, naming the value") {
    auto message_of = [](auto&& fn) -> std::string {
        try {
            fn();
        } catch (const InvalidArgument& e) {
            return e.what();
        }
        return "(no exception)";
    };
    CHECK(message_of([] { typed({.from = "300.1.1.1", .table = 100}); }).find("RuleOptions.from '300.1.1.1'") != std::string::npos);
    CHECK(message_of([] { typed({.to = "10.0.0.0/33"}); }).find("RuleOptions.to '10.0.0.0/33'") != std::string::npos);
    CHECK(message_of([] { typed({.from = "10.0.0.1", .to = "2001:db8::/32"}); }).find("different families") !=
          std::string::npos);
    CHECK(message_of([] { typed({.from = "10.0.0.1", .family = Family::V6}); }).find("RuleOptions.family IPv6") != std::string::npos);
    CHECK(message_of([] { rtnl::rule_new({.fwmask = 0xff, .table = 1}); }).find("fwmask 255") != std::string::npos);
    CHECK(message_of([] { rtnl::rule_new({.action = RuleAction::Prohibit, .table = 100}); }).find("table 100") !=
          std::string::npos);
    CHECK(message_of([] { rtnl::rule_new({.dport = rtnl::PortRange{90, 80}, .table = 1}); }).find("90-80") !=
          std::string::npos);
    CHECK(message_of([] { rtnl::rule_new({.iif = "a/b", .table = 1}); }).find("a/b") != std::string::npos);
    CHECK(message_of([] { typed({.iif = "a/b", .table = 1}); }).find("RuleOptions.iif: interface name 'a/b'") != std::string::npos);
    CHECK(message_of([] { typed({.oif = "0123456789abcdefg", .table = 1}); }).find("RuleOptions.oif: interface name '0123456789abcdefg'") !=
          std::string::npos);
    CHECK(message_of([] { typed({.iif = -3, .table = 1}); }).find("RuleOptions.iif: device index -3") != std::string::npos);
    CHECK(message_of([] { typed({.oif = Link(), .table = 1}); }).find("RuleOptions.oif") != std::string::npos);
    CHECK(message_of([] { rtnl::rule_new({.action = RuleAction::Goto}); }).find("goto") != std::string::npos);
}
