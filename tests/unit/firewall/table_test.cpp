// Unit tests for include/nsnet/firewall/table.hpp that need no privileges: which chains a sweep
// of nsnet's table deletes, and which chains a batch declares, decided from one chain dump before
// anything is sent.
#include "nsnet/firewall/table.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace nsnet;

namespace {

nft::Chain chain(std::string name, std::uint32_t use, std::optional<nft::Policy> policy = std::nullopt,
                 std::string table = std::string(nft_table_name)) {
    nft::Chain c;
    c.table = std::move(table);
    c.name = std::move(name);
    c.use = use;
    c.policy = policy;
    return c;
}

}  // namespace

TEST_CASE("a sweep deletes only the chains the dump shows empty: the kernel's refusals are not free") {
    // A shared table during a CNI DEL: the other containers' rules keep every chain busy, so
    // nothing is to be deleted (each refused deletion would cost the kernel an RCU grace period).
    std::vector<nft::Chain> busy{chain("prerouting", 3), chain("output", 3), chain("postrouting", 5),
                                 chain("forward", 1, nft::Policy::Accept)};
    CHECK(detail::empty_chains(busy).empty());

    // The last container gone: every chain empty; all of them go (in one batch).
    std::vector<nft::Chain> idle{chain("prerouting", 0), chain("output", 0, nft::Policy::Accept),
                                 chain("postrouting", 0)};
    CHECK(detail::empty_chains(idle) == std::vector<std::string>{"prerouting", "output", "postrouting"});

    // Mixed: a regular chain still jumped to (use counts jumps as well as rules) stays.
    std::vector<nft::Chain> mixed{chain("prerouting", 0), chain("portmap_dnat", 1), chain("output", 2)};
    CHECK(detail::empty_chains(mixed) == std::vector<std::string>{"prerouting"});
}

TEST_CASE("a sweep keeps a chain whose policy someone set, and any other table's chains") {
    std::vector<nft::Chain> chains{chain("forward", 0, nft::Policy::Drop), chain("input", 0, std::nullopt, "filter")};
    CHECK(detail::empty_chains(chains).empty());
}

namespace {

// The chain names a batch declares ("add chain" messages), from its labels.
std::vector<std::string> declared_chains(const nft::Batch& b) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < b.size(); ++i)
        if (b.operation(i) == "add chain") out.push_back(b.object(i).substr(b.object(i).rfind(' ') + 1));
    return out;
}

std::shared_ptr<detail::NftRuleState> rule_in(detail::NftChainSpec chain) {
    auto st = std::make_shared<detail::NftRuleState>();
    st->family = nft::TableFamily::Inet;
    st->chain = std::move(chain);
    st->description = "counter";
    return st;
}

}  // namespace

TEST_CASE("a batch does not declare again a chain the kernel has: its update would cost a grace period") {
    detail::TableBatch batch{NetnsRef{}};
    batch.queue(rule_in(detail::nat_chain(nft::Hook::Prerouting)));
    batch.queue(rule_in(detail::nat_chain(nft::Hook::Postrouting)));
    batch.queue(rule_in(detail::nat_chain(nft::Hook::Prerouting)));

    // Nothing known of the kernel's chains (a new table, or the retry after a chain vanished):
    // every chain the rules need, once each.
    CHECK(declared_chains(batch.preview(false)) == std::vector<std::string>{"prerouting", "postrouting"});
    CHECK(declared_chains(batch.preview(true)) == std::vector<std::string>{"prerouting", "postrouting"});

    // The kernel has prerouting as nsnet makes it: only postrouting is declared.
    nft::Chain pre = chain("prerouting", 4);
    pre.family = nft::TableFamily::Inet;
    pre.base = detail::nat_chain(nft::Hook::Prerouting).base;
    CHECK(declared_chains(batch.preview(true, {pre})) == std::vector<std::string>{"postrouting"});

    // A chain of that name with another hook or priority is not taken for it: declared, so that
    // the kernel refuses the mismatch instead of the rule landing in the wrong hook.
    nft::Chain odd = pre;
    odd.base->priority = 0;
    CHECK(declared_chains(batch.preview(true, {odd})) == std::vector<std::string>{"prerouting", "postrouting"});
    nft::Chain regular = chain("prerouting", 4);
    CHECK(declared_chains(batch.preview(true, {regular})) == std::vector<std::string>{"prerouting", "postrouting"});

    // The table itself is declared in every case (re-declaring a table costs nothing, and it makes
    // a table removed meanwhile exist again).
    auto b = batch.preview(true, {pre});
    REQUIRE(b.size() > 0);
    CHECK(b.operation(0) == "add table");
}
