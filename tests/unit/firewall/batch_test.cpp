// Unit tests for include/nsnet/firewall/batch.hpp (and the rule kinds of nat.hpp, filter.hpp,
// forward.hpp it queues) that need no privileges: what a firewall::Batch would send (its
// preview), compared with what `nft -f` sends for the same tutorial setup; the nft text of each rule
// kind; and input validation, which must reject bad options before any kernel call.
//
// Masked in the comparison with nft: nlmsg_seq (framed from 0 like nft's), the NLM_F_ECHO bit
// nsnet sets on NEWRULE so the kernel returns the handle, and each rule's NFTA_RULE_USERDATA (its
// comment "nsnet:TAG", a random tag per rule: checked here for its form; the comment's encoding
// is nft's, see nft/rule_test.cpp). Batch::run also adds NLM_F_ACK to every message (see
// nft/batch_test.cpp).
#include "nsnet/firewall/batch.hpp"

#include <doctest/doctest.h>

#include <string>

#include "../nft/golden.hpp"

using namespace nsnet;
using namespace nsnet::firewall;
using namespace nsnet::test;

namespace {

IpAddress ip(const char* s) { return IpAddress::parse(s); }
Prefix pfx(const char* s) { return Prefix::parse(s); }

// Clears NLM_F_ECHO on every NFT_MSG_NEWRULE of a framed batch.
void clear_echo(ByteVec& w) {
    std::size_t off = 0;
    while (off + 16 <= w.size()) {
        nlmsghdr h;
        std::memcpy(&h, w.data() + off, sizeof h);
        if (h.nlmsg_type == nft::message_type(NFT_MSG_NEWRULE)) {
            CHECK((h.nlmsg_flags & NLM_F_ECHO) != 0);
            h.nlmsg_flags = static_cast<std::uint16_t>(h.nlmsg_flags & ~NLM_F_ECHO);
            std::memcpy(w.data() + off, &h, sizeof h);
        }
        off += nl::align(h.nlmsg_len);
    }
}

// Removes NFTA_RULE_USERDATA from every NFT_MSG_NEWRULE of a framed batch, returning the comments.
std::vector<std::string> strip_comments(ByteVec& w) {
    std::vector<std::string> comments;
    std::size_t off = 0;
    while (off + 16 <= w.size()) {
        nlmsghdr h;
        std::memcpy(&h, w.data() + off, sizeof h);
        if (h.nlmsg_type == nft::message_type(NFT_MSG_NEWRULE)) {
            std::size_t a = off + sizeof(nlmsghdr) + sizeof(nfgenmsg);
            while (a + 4 <= off + h.nlmsg_len) {
                nlattr at;
                std::memcpy(&at, w.data() + a, sizeof at);
                std::size_t len = nl::align(at.nla_len);
                if ((at.nla_type & NLA_TYPE_MASK) == NFTA_RULE_USERDATA) {
                    auto c = nft::detail::udata_find_comment(
                        nl::Bytes(reinterpret_cast<const std::byte*>(w.data() + a + 4), at.nla_len - 4u),
                        nft::detail::udata_rule_comment);
                    comments.push_back(c.value_or("(no comment TLV)"));
                    w.erase(w.begin() + static_cast<std::ptrdiff_t>(a), w.begin() + static_cast<std::ptrdiff_t>(a + len));
                    h.nlmsg_len = static_cast<std::uint32_t>(h.nlmsg_len - len);
                    std::memcpy(w.data() + off, &h, sizeof h);
                    continue;
                }
                a += len;
            }
        }
        off += nl::align(h.nlmsg_len);
    }
    return comments;
}

}  // namespace

TEST_CASE("the tutorial's NAT setup as one firewall::Batch equals `nft -f` of the same, byte for byte") {
    Batch b(NetnsRef{});
    Masquerade m = b.add(MasqueradeOptions{.saddr = "172.17.0.0/16", .oif = "docker0", .oif_negate = true});
    Dnat web = b.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 8080, .to = "172.17.10.10", .to_port = 80});
    Dnat git = b.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 9090, .to = ip("172.17.10.20"), .to_port = 80});
    nft::Batch nb = b.preview(/*table_exists=*/true);
    REQUIRE(nb.size() == 6);  // table, 2 chains, 3 rules
    CHECK(nb.operation(0) == "add table");
    CHECK(nb.object(3) == "ip nsnet postrouting: ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade");
    ByteVec got = to_vec(nb.encode(0, /*ack=*/false));
    clear_echo(got);
    // Every rule carries its own tag, so a rule whose answer was lost can be found again.
    auto comments = strip_comments(got);
    REQUIRE(comments.size() == 3);
    for (const auto& c : comments) {
        auto parsed = nsnet::detail::parse_rule_comment(c);
        REQUIRE_MESSAGE(parsed, c);
        CHECK(parsed->tag.size() == 16);
        CHECK(parsed->owner.empty());
    }
    CHECK(comments[0] != comments[1]);
    CHECK(comments[1] != comments[2]);
    ByteVec want = golden_bytes("nft_tutorial_batch");
    CHECK_MESSAGE(got == want, first_difference(got, want));

    // Nothing was sent: the objects are not active and their destructors do nothing.
    CHECK_FALSE(m.active());
    CHECK(m.handle() == 0);
    CHECK(m.to_string() == "ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade");
    CHECK(web.to_string() == "tcp dport 8080 dnat to 172.17.10.10:80");
    CHECK(git.chain() == "prerouting");
}

TEST_CASE("a new table is created with NLM_F_EXCL, so someone else's table is never adopted") {
    Batch b(NetnsRef{});
    auto m = b.add(MasqueradeOptions{.saddr = pfx("10.0.0.0/8")});
    nft::Batch nb = b.preview(/*table_exists=*/false);
    ByteVec w = to_vec(nb.encode(0, false));
    nlmsghdr h;
    std::memcpy(&h, w.data() + 20, sizeof h);
    CHECK(h.nlmsg_type == nft::message_type(NFT_MSG_NEWTABLE));
    CHECK((h.nlmsg_flags & NLM_F_EXCL) != 0);
}

TEST_CASE("the nft text of every rule kind is what `nft list ruleset` shows") {
    Batch b(NetnsRef{});
    CHECK(b.add(SnatOptions{.saddr = "10.0.0.0/8", .to = "192.168.54.230"}).to_string() ==
          "ip saddr 10.0.0.0/8 snat to 192.168.54.230");
    CHECK(b.add(SnatOptions{.saddr = pfx("10.1.0.0/16"), .to = ip("192.168.54.230"), .oif = "ens41",
                            .counter = true})
              .to_string() == "ip saddr 10.1.0.0/16 oifname \"ens41\" counter snat to 192.168.54.230");
    CHECK(b.add(DnatOptions{.protocol = Protocol::Udp, .dport = 5353, .to = ip("172.17.10.10"), .to_port = 53,
                            .iif = "ens41", .daddr = "192.168.54.230"})
              .to_string() == "iifname \"ens41\" ip daddr 192.168.54.230 udp dport 5353 dnat to 172.17.10.10:53");
    Dnat out = b.add(DnatOptions{.dport = 8080, .to = ip("172.17.10.10"), .hook = Hook::Output});
    CHECK(out.to_string() == "tcp dport 8080 dnat to 172.17.10.10");
    CHECK(out.chain() == "output");
    FilterRule f = b.add(FilterRuleOptions{.iif = "docker0", .saddr = "172.17.0.0/16",
                                           .protocol = Protocol::Tcp, .dport = 80, .verdict = Verdict::Drop,
                                           .counter = true});
    CHECK(f.to_string() == "iifname \"docker0\" ip saddr 172.17.0.0/16 tcp dport 80 counter drop");
    CHECK(f.chain() == "forward");
    FilterRule count = b.add(FilterRuleOptions{.hook = Hook::Input, .protocol = Protocol::Udp,
                                               .verdict = Verdict::Continue, .counter = true});
    CHECK(count.to_string() == "meta l4proto udp counter");
    CHECK(count.chain() == "input");
    CHECK(b.add(MasqueradeOptions{.match_all = true}).to_string() == "masquerade");
    // Masquerading every source must be asked for (issue 13): a forgotten source is refused.
    CHECK_THROWS_WITH_AS(b.add(MasqueradeOptions{}), doctest::Contains("MasqueradeOptions.saddr is missing"),
                         InvalidArgument);
    CHECK_THROWS_AS(b.add(SnatOptions{.to = ip("192.168.54.230")}), InvalidArgument);
    // Chains declared once each, in order of first use; table first.
    nft::Batch nb = b.preview();
    CHECK(nb.operation(0) == "add table");
    CHECK(nb.object(1) == "ip nsnet postrouting");
    CHECK(nb.object(2) == "ip nsnet prerouting");
    CHECK(nb.object(3) == "ip nsnet output");
    CHECK(nb.object(4) == "ip nsnet forward");
    CHECK(nb.object(5) == "ip nsnet input");
    CHECK(nb.operation(6) == "add rule");
}

TEST_CASE("the forward policy travels as the forward chain's NFTA_CHAIN_POLICY") {
    Batch b(NetnsRef{});
    ForwardPolicy p = b.set_forward_policy(Verdict::Drop);
    CHECK_FALSE(p.active());
    nft::Batch nb = b.preview();
    REQUIRE(nb.size() == 2);
    CHECK(nb.object(1) == "ip nsnet forward: policy drop");
    ByteVec w = to_vec(nb.encode(0, false));
    nl::MessageRange msgs(as_bytes(w));
    int i = 0;
    for (nl::MessageView m : msgs) {
        if (i++ != 2) continue;
        nft::Chain c = nft::decode_chain(m);
        CHECK(c.policy == std::optional<nft::Policy>(nft::Policy::Drop));
        REQUIRE(c.base);
        CHECK(c.base->hook == nft::Hook::Forward);
    }
    CHECK_THROWS_AS(b.set_forward_policy(Verdict::Continue), InvalidArgument);
}

TEST_CASE("bad options are rejected before anything is sent, naming the bad value") {
    Batch b(NetnsRef{});
    auto rejects = [&](auto&& options, const std::string& needle) {
        try {
            b.add(options);
            FAIL("accepted: " << needle);
        } catch (const InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
        }
    };
    rejects(MasqueradeOptions{.saddr = pfx("2001:db8::/32")}, "MasqueradeOptions.saddr 2001:db8::/32 is IPv6");
    rejects(MasqueradeOptions{.saddr = "10.0.0.0/33"}, "MasqueradeOptions.saddr '10.0.0.0/33' is not a prefix");
    rejects(MasqueradeOptions{.saddr = "10.0.0.0/8", .match_all = true}, "contradict");
    rejects(MasqueradeOptions{.match_all = true, .oif = "bad/name"}, "MasqueradeOptions.oif");
    rejects(MasqueradeOptions{.match_all = true, .oif_negate = true}, "oif_negate without an oif");
    rejects(MasqueradeOptions{.match_all = true, .owner = "a\"b"}, "MasqueradeOptions.owner");
    rejects(MasqueradeOptions{.match_all = true, .owner = std::string(201, 'x')}, "at most 200");
    rejects(SnatOptions{.saddr = pfx("10.0.0.0/8")}, "SnatOptions.to is not set");
    rejects(SnatOptions{.saddr = pfx("10.0.0.0/8"), .to = "0.0.0.0"}, "0.0.0.0");
    rejects(DnatOptions{.dport = 0, .to = ip("10.0.0.1")}, "DnatOptions.dport is 0");
    rejects(DnatOptions{.dport = 80, .to = "1.2.3.400"}, "DnatOptions.to '1.2.3.400' is not an IPv4 or IPv6 address");
    rejects(DnatOptions{.dport = 80, .to = ip("2001:db8::1")}, "DnatOptions.to 2001:db8::1 is IPv6");
    rejects(DnatOptions{.dport = 80, .to = ip("10.0.0.1"), .daddr = "10.0.0.x"}, "DnatOptions.daddr '10.0.0.x'");
    rejects(DnatOptions{.dport = 80, .to = ip("10.0.0.1"), .iif = "ens41", .hook = Hook::Output}, "ens41");
    rejects(DnatOptions{.dport = 80, .to = ip("10.0.0.1"), .hook = Hook::Forward}, "DnatOptions.hook");
    rejects(FilterRuleOptions{.dport = 80}, "needs a protocol");
    rejects(FilterRuleOptions{.saddr = "300.0.0.0/8"}, "FilterRuleOptions.saddr '300.0.0.0/8'");
    rejects(FilterRuleOptions{.hook = Hook::Input, .oif = "eth0"}, "eth0");
    rejects(FilterRuleOptions{.hook = Hook::Output, .iif = "eth0"}, "eth0");
    // Interfaces (DeviceArg): a name is checked, not looked up; a link must be a valid handle (and in the
    // rule's namespace: integration/rule_test.cpp).
    rejects(FilterRuleOptions{.oif = "0123456789abcdefg"}, "FilterRuleOptions.oif: interface name '0123456789abcdefg'");
    rejects(FilterRuleOptions{.iif = -1}, "FilterRuleOptions.iif: device index -1");
    rejects(FilterRuleOptions{.oif = Link()}, "FilterRuleOptions.oif '' is an empty or removed link handle");
    rejects(DnatOptions{.dport = 80, .to = ip("10.0.0.1"), .iif = Link()}, "DnatOptions.iif");
    rejects(SnatOptions{.saddr = pfx("10.0.0.0/8"), .to = ip("192.0.2.1"), .oif = "a:b"}, "SnatOptions.oif: interface name 'a:b'");
    CHECK(b.size() == 0);
}

TEST_CASE("empty and moved-from objects are harmless") {
    Masquerade m;
    CHECK_FALSE(m.active());
    CHECK(m.handle() == 0);
    CHECK_NOTHROW(m.remove());
    CHECK_NOTHROW(m.persist());
    CHECK_THROWS_AS((void)m.counters(), Error);
    ForwardPolicy p;
    CHECK_NOTHROW(p.remove());
    Batch b(NetnsRef{});
    Dnat d = b.add(DnatOptions{.dport = 1, .to = ip("10.0.0.1")});
    Dnat moved = std::move(d);
    CHECK(moved.to_string() == "tcp dport 1 dnat to 10.0.0.1");
    // A rule without a counter has none to read.
    CHECK_THROWS_AS((void)moved.counters(), InvalidArgument);
}

TEST_CASE("rule comments: the tag and owner nsnet writes are read back; other comments are not nsnet's") {
    namespace detail = nsnet::detail;
    auto t = detail::new_rule_tag();
    CHECK(t.size() == 16);
    CHECK(t != detail::new_rule_tag());
    auto c = detail::parse_rule_comment(detail::rule_comment(t, ""));
    REQUIRE(c);
    CHECK(c->tag == t);
    CHECK(c->owner.empty());
    c = detail::parse_rule_comment(detail::rule_comment(t, "ctr-0a1b2c"));
    REQUIRE(c);
    CHECK(c->tag == t);
    CHECK(c->owner == "ctr-0a1b2c");
    CHECK(detail::rule_comment("0123456789abcdef", "x y") == "owner:x y nsnet:0123456789abcdef");
    CHECK(detail::parse_rule_comment("owner:x y nsnet:0123456789abcdef")->owner == "x y");
    CHECK_FALSE(detail::parse_rule_comment("hello"));
    CHECK_FALSE(detail::parse_rule_comment("nsnet:0123456789abcdeg"));
    CHECK_FALSE(detail::parse_rule_comment("nsnet:0123456789abcde"));
    CHECK_FALSE(detail::parse_rule_comment("someone nsnet:0123456789abcdef"));
}

TEST_CASE("an owner tag goes into the rule's comment; the kinds tell their rules apart") {
    Batch b(NetnsRef{});
    Dnat d = b.add(DnatOptions{.dport = 8080, .to = "10.88.0.2", .to_port = 80, .owner = "ctr-1"});
    CHECK(d.owner() == "ctr-1");
    CHECK(d.tag().size() == 16);
    nft::Batch nb = b.preview();
    ByteVec got = to_vec(nb.encode(0, false));
    auto comments = strip_comments(got);
    REQUIRE(comments.size() == 1);
    CHECK(comments[0] == "owner:ctr-1 nsnet:" + d.tag());

    nft::Rule masq{.chain = "postrouting", .exprs = nft::masquerade()};
    nft::Rule dnat{.chain = "prerouting", .exprs = nft::dnat_to(ip("10.0.0.2"))};
    nft::Rule snat{.chain = "postrouting", .exprs = nft::snat_to(ip("10.0.0.2"))};
    nft::Rule filter{.chain = "forward", .exprs = {nft::counter()}};
    CHECK(Masquerade::is_kind(masq));
    CHECK_FALSE(Masquerade::is_kind(dnat));
    CHECK(Dnat::is_kind(dnat));
    CHECK_FALSE(Dnat::is_kind(snat));
    CHECK(Snat::is_kind(snat));
    CHECK_FALSE(Snat::is_kind(masq));
    CHECK(FilterRule::is_kind(filter));
    CHECK_FALSE(FilterRule::is_kind(dnat));
}
