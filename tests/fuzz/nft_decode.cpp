// Fuzz target nft_decode: an nf_tables dump datagram (tables, chains, rules) decoded as nsnet does
// (decode_table, decode_chain, decode_rule with its expressions), formatted as `nft --debug=netlink`
// shows it, and round-tripped: a decoded rule that nsnet accepts to send again (rule_new) must
// decode back to the same table, chain, expressions and comment.
#include <linux/netfilter/nf_tables.h>

#include <string>

#include "fuzz.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/chain.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet/nl/message.hpp"

using namespace nsnet;
using fuzz::consume;
using fuzz::malformed_ok;
using fuzz::no_throw;

namespace {

void round_trip(const nft::Rule& r) {
    nl::MessageBuilder out(0, 0);
    try {
        out = nft::rule_new(r);
    } catch (const Error& e) {
        NSNET_FUZZ_CHECK(e.errnum() == EINVAL);  // names or comment nsnet refuses to send
        return;
    }
    nft::Rule back = nft::decode_rule(nl::MessageView(out.bytes()));
    NSNET_FUZZ_CHECK(back.table == r.table);
    NSNET_FUZZ_CHECK(back.chain == r.chain);
    NSNET_FUZZ_CHECK(back.comment == r.comment);
    NSNET_FUZZ_CHECK(back.exprs.size() == r.exprs.size());
    for (std::size_t i = 0; i < r.exprs.size(); ++i)
        NSNET_FUZZ_CHECK_MSG(back.exprs[i] == r.exprs[i], nft::to_debug_string(r.exprs[i]) + " came back as " +
                                                              nft::to_debug_string(back.exprs[i]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    malformed_ok([&] {
        for (nl::MessageView m : nl::MessageRange(fuzz::bytes(data, size))) {
            consume(nft::nft_message(m).value_or(0));
            // Every decoder on every message: they trust the caller to have checked the type.
            malformed_ok([&] {
                nft::Table t = nft::decode_table(m);
                no_throw("table text", [&] { consume(nft::table_id(t.family, t.name).size() + t.comment.value_or("").size()); });
            });
            malformed_ok([&] {
                nft::Chain c = nft::decode_chain(m);
                no_throw("chain text", [&] {
                    consume(nft::family_name(c.family).size());
                    if (c.base)
                        consume(nft::hook_name(c.base->hook).size() + nft::chain_type_name(c.base->type).size());
                    if (c.policy) consume(nft::policy_name(*c.policy).size());
                });
            });
            malformed_ok([&] {
                nft::Rule r = nft::decode_rule(m);
                no_throw("rule text", [&] { consume(nft::to_debug_string(r).size()); });
                consume(nft::find_counter(r.exprs).has_value());
                round_trip(r);
            });
        }
    });
    return 0;
}
