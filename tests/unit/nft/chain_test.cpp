// Unit tests for include/nsnet/nft/chain.hpp: base chains equal nft's bytes (golden captures) and
// decode back.
#include "nsnet/nft/chain.hpp"

#include <doctest/doctest.h>

#include "golden.hpp"

using namespace nsnet;
using namespace nsnet::test;

namespace {
ByteVec framed(const nl::MessageBuilder& m) {
    nft::Batch b;
    b.add(m, "test", "test");
    return to_vec(b.encode(0, false));
}
nft::Chain chain(const char* name, nft::ChainType type, nft::Hook hook, int prio, std::optional<nft::Policy> policy) {
    nft::Chain c;
    c.table = "nsnet";
    c.name = name;
    c.base = nft::BaseChain{type, hook, prio};
    c.policy = policy;
    return c;
}
}  // namespace

TEST_CASE("chain_new equals nft's `add chain` for the nat and filter base chains") {
    struct Case {
        const char* golden;
        nft::Chain chain;
    } cases[] = {
        {"nft_add_chain_postrouting", chain("postrouting", nft::ChainType::Nat, nft::Hook::Postrouting, 100, nft::Policy::Accept)},
        {"nft_add_chain_prerouting", chain("prerouting", nft::ChainType::Nat, nft::Hook::Prerouting, -100, std::nullopt)},
        {"nft_add_chain_output", chain("output", nft::ChainType::Nat, nft::Hook::Output, -100, std::nullopt)},
        {"nft_add_chain_forward", chain("forward", nft::ChainType::Filter, nft::Hook::Forward, 0, nft::Policy::Accept)},
    };
    for (const Case& c : cases) {
        CAPTURE(c.golden);
        ByteVec want = golden_bytes(c.golden);
        ByteVec got = framed(nft::chain_new(c.chain));
        CHECK_MESSAGE(got == want, first_difference(got, want));

        nl::MessageView m(as_bytes(want).subspan(20));
        nft::Chain back = nft::decode_chain(m);
        CHECK(back.table == "nsnet");
        CHECK(back.name == c.chain.name);
        REQUIRE(back.base);
        CHECK(*back.base == *c.chain.base);
        CHECK(back.policy == c.chain.policy);
    }
}

TEST_CASE("chain_del with NLM_F_NONREC, chain_get") {
    auto d = nft::chain_del(nft::TableFamily::Ip, "nsnet", "forward", NLM_F_NONREC);
    CHECK(nl::MessageView(d.bytes()).flags() == (NLM_F_REQUEST | NLM_F_NONREC));
    auto g = nft::chain_get(nft::TableFamily::Ip, "nsnet", "forward");
    nft::Chain c = nft::decode_chain(nl::MessageView(g.bytes()));
    CHECK(c.name == "forward");
    CHECK_FALSE(c.base);
    CHECK_THROWS_AS(nft::chain_get(nft::TableFamily::Ip, "nsnet", ""), InvalidArgument);
}

TEST_CASE("names of hooks, types and policies are nft's words") {
    CHECK(nft::hook_name(nft::Hook::Postrouting) == "postrouting");
    CHECK(nft::chain_type_name(nft::ChainType::Nat) == "nat");
    CHECK(nft::parse_chain_type("filter") == nft::ChainType::Filter);
    CHECK_FALSE(nft::parse_chain_type("bogus"));
    CHECK(nft::policy_name(nft::Policy::Drop) == "drop");
}
