// Unit tests for include/nsnet/firewall/table.hpp that need no privileges: which chains a sweep
// of nsnet's table deletes, decided from one chain dump before anything is sent.
#include "nsnet/firewall/table.hpp"

#include <doctest/doctest.h>

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
