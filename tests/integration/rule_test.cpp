// Integration tests of include/nsnet/rule.hpp (root): policy routing rules added, listed, deleted
// in a namespace of the test's own, and their effect on the kernel's route lookup (a UDP connect()
// from inside the namespace): prohibit/unreachable/blackhole, fwmark, source and table selection.
#include "nsnet/rule.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "nsnet/route.hpp"
#include "objects_support.hpp"

using namespace nsnet;
using nsnet::test::connect_errno;
using nsnet::test::iproute2_output;
using nsnet::test::make_objects_bed;

namespace {

int error_of(auto&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.errnum();
    }
    return 0;
}

bool has_rule(const NetnsRef& ns, auto&& pred) {
    auto rules = list_rules(ns);
    return std::any_of(rules.begin(), rules.end(), pred);
}

}  // namespace

TEST_CASE("the tutorial's `ip rule add from 192.168.1.10 lookup 100` in one line, and its effect") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    bed.a().add_address("192.168.1.10/32");
    add_route(ns, {.dst = "10.97.0.0/16", .dev = bed.a(), .table = 100});

    // Without the rule, table 100 is never consulted.
    CHECK(connect_errno(ns, "10.97.0.5", "192.168.1.10") == ENETUNREACH);

    add_rule(ns, {.from = "192.168.1.10", .table = 100});
    auto is_tutorial_rule = [](const Rule& r) {
        return r.from == Prefix::parse("192.168.1.10/32") && r.table == 100 && r.action == RuleAction::Lookup;
    };
    CHECK(has_rule(ns, is_tutorial_rule));
    if (auto out = iproute2_output("-n " + bed.ns.name() + " rule show")) {
        INFO(*out);
        CHECK(out->find("from 192.168.1.10 lookup 100") != std::string::npos);
    }
    // Packets from 192.168.1.10 now use table 100; from another source they do not.
    CHECK(connect_errno(ns, "10.97.0.5", "192.168.1.10") == 0);
    CHECK(connect_errno(ns, "10.97.0.5", "10.99.0.1") == ENETUNREACH);

    // The same rule at the same priority is refused (EEXIST). Without a priority the kernel picks
    // a new one below the lowest so far, so it is another rule (as with `ip rule add` twice).
    auto rules = list_rules(ns, Family::V4);
    auto it = std::find_if(rules.begin(), rules.end(), is_tutorial_rule);
    REQUIRE(it != rules.end());
    REQUIRE(it->priority);
    CHECK(error_of([&] { add_rule(ns, {.from = "192.168.1.10", .priority = *it->priority, .table = 100}); }) == EEXIST);
    add_rule(ns, {.from = "192.168.1.10", .table = 100});
    rules = list_rules(ns);
    CHECK(std::count_if(rules.begin(), rules.end(), is_tutorial_rule) == 2);
    delete_rule(ns, {.from = "192.168.1.10", .table = 100});
    CHECK(has_rule(ns, is_tutorial_rule));
    // Deleting it twice is ENOENT the second time.
    delete_rule(ns, {.from = "192.168.1.10", .table = 100});
    CHECK_FALSE(has_rule(ns, is_tutorial_rule));
    CHECK(connect_errno(ns, "10.97.0.5", "192.168.1.10") == ENETUNREACH);
    CHECK(error_of([&] { delete_rule(ns, {.from = "192.168.1.10", .table = 100}); }) == ENOENT);
}

TEST_CASE("prohibit, unreachable and blackhole rules refuse the lookup with their errors") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    REQUIRE(connect_errno(ns, "10.99.0.5") == 0);
    struct Case {
        RuleAction action;
        int err;
    };
    for (Case c : {Case{RuleAction::Prohibit, EACCES}, Case{RuleAction::Unreachable, ENETUNREACH},
                   Case{RuleAction::Blackhole, EINVAL}}) {
        CAPTURE(rtnl::to_string(c.action));
        add_rule(ns, {.to = "10.99.0.0/16", .priority = 100, .action = c.action});
        CHECK(connect_errno(ns, "10.99.0.5") == c.err);
        CHECK(connect_errno(ns, "2001:db8:99::5") == 0);  // an IPv4 rule leaves IPv6 alone
        delete_rule(ns, {.to = "10.99.0.0/16", .priority = 100, .action = c.action});
        CHECK(connect_errno(ns, "10.99.0.5") == 0);
    }
    // IPv6 too
    add_rule(ns, {.to = "2001:db8:99::/64", .priority = 100, .action = RuleAction::Prohibit});
    CHECK(connect_errno(ns, "2001:db8:99::5") == EACCES);
    CHECK(has_rule(ns, [](const Rule& r) { return r.family == Family::V6 && r.action == RuleAction::Prohibit; }));
    delete_rule(ns, {.to = "2001:db8:99::/64", .priority = 100, .action = RuleAction::Prohibit});
    CHECK(connect_errno(ns, "2001:db8:99::5") == 0);
}

TEST_CASE("fwmark/mask selects by the socket mark; tables from 256 on work") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    add_route(ns, {.dst = "10.98.0.0/16", .dev = bed.a(), .table = 300});
    add_rule(ns, {.fwmark = 0x10, .fwmask = 0xf0, .priority = 200, .table = 300});
    CHECK(connect_errno(ns, "10.98.0.1") == ENETUNREACH);
    CHECK(connect_errno(ns, "10.98.0.1", {}, 0x1f) == 0);   // 0x1f & 0xf0 == 0x10
    CHECK(connect_errno(ns, "10.98.0.1", {}, 0x20) == ENETUNREACH);
    auto rules = list_rules(ns, Family::V4);
    auto it = std::find_if(rules.begin(), rules.end(), [](const Rule& r) { return r.priority == 200u; });
    REQUIRE(it != rules.end());
    CHECK(it->table == 300u);
    CHECK(it->fwmark == 0x10u);
    CHECK(it->fwmask == 0xf0u);
    // A listed rule deletes itself exactly.
    delete_rule(ns, *it);
    CHECK(connect_errno(ns, "10.98.0.1", {}, 0x1f) == ENETUNREACH);
}

TEST_CASE("every selector is stored by the kernel and reported back") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    RuleOptions o{.from = "10.1.0.0/16",
                  .to = "10.2.0.0/16",
                  .iif = "a",
                  .oif = "b",
                  .fwmark = 7,
                  .fwmask = 0xff,
                  .priority = 1234,
                  .tos = 0x10,
                  .ipproto = 17,
                  .sport = PortRange{1000, 2000},
                  .dport = PortRange{53, 53},
                  .action = RuleAction::Lookup,
                  .table = 1000,
                  .invert = true};
    add_rule(ns, o);
    auto rules = list_rules(ns, Family::V4);
    auto it = std::find_if(rules.begin(), rules.end(), [](const Rule& r) { return r.priority == 1234u; });
    REQUIRE(it != rules.end());
    Rule want = to_rule(o);
    want.protocol = it->protocol;  // whatever the kernel records as the originator
    want.flags = it->flags;
    CHECK(*it == want);
    if (auto out = iproute2_output("-n " + bed.ns.name() + " rule show pref 1234")) {
        INFO(*out);
        CHECK(out->find("not from 10.1.0.0/16 to 10.2.0.0/16") != std::string::npos);
        CHECK(out->find("ipproto udp sport 1000-2000 dport 53") != std::string::npos);
        CHECK(out->find("lookup 1000") != std::string::npos);
    }
    delete_rule(ns, *it);
    CHECK_FALSE(has_rule(ns, [](const Rule& r) { return r.priority == 1234u; }));
}

TEST_CASE("OwnedRule removes its rule; rules of an IPv6-only selector need the family") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    {
        auto r = OwnedRule::add(ns, {.fwmark = 9, .priority = 300, .table = 100, .family = Family::V6});
        CHECK(has_rule(ns, [](const Rule& x) { return x.family == Family::V6 && x.priority == 300u; }));
        CHECK_FALSE(has_rule(ns, [](const Rule& x) { return x.family == Family::V4 && x.priority == 300u; }));
    }
    CHECK_FALSE(has_rule(ns, [](const Rule& x) { return x.priority == 300u; }));
    // persist() keeps it; a rule already gone is fine for remove()
    {
        auto r = OwnedRule::add(ns, {.from = "10.5.0.0/16", .priority = 301, .table = 100});
        delete_rule(ns, r.rule());
        CHECK_NOTHROW(r.remove());
    }
    {
        auto r = OwnedRule::add(ns, {.from = "10.6.0.0/16", .priority = 302, .table = 100});
        r.persist();
    }
    CHECK(has_rule(ns, [](const Rule& x) { return x.priority == 302u; }));
}

TEST_CASE("bad input is refused before the kernel sees it; kernel refusals name the rule") {
    auto bed = make_objects_bed("ru");
    NetnsRef ns = bed.ns;
    auto before = list_rules(ns).size();
    CHECK_THROWS_AS(add_rule(ns, {.from = "192.168.1.300", .table = 100}), InvalidArgument);
    CHECK_THROWS_AS(add_rule(ns, {.from = "10.0.0.0/8", .to = "2001:db8::/32"}), InvalidArgument);
    CHECK_THROWS_AS(add_rule(ns, {.fwmask = 1, .table = 100}), InvalidArgument);
    CHECK(list_rules(ns).size() == before);
    // goto to a priority with no rule is accepted by the kernel (FIB_RULE_UNRESOLVED), so use a
    // refusal the kernel does make: goto backwards.
    add_rule(ns, {.priority = 400, .table = 100});
    try {
        add_rule(ns, {.priority = 500, .action = RuleAction::Goto, .goto_target = 400});
        FAIL("goto backwards was accepted");
    } catch (const Error& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(std::string(e.what()).find("add rule") != std::string::npos);
        CHECK(std::string(e.what()).find("goto 400") != std::string::npos);
    }
}
