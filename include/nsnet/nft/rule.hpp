// nsnet/nft/rule.hpp — nf_tables rules: encode NEW/DEL/GET rule messages, decode answers.
//
// Layer: nf_tables encoders/decoders, no I/O. A rule lives in a chain, is a list of expressions
// (expr.hpp) and is known by its handle, a number the kernel assigns and never reuses within the
// table's lifetime. A new rule's handle comes back when it is created with NLM_F_ECHO (the kernel
// sends the created rule to the requester, handle included: `nft --echo --handle add rule ...`),
// or from a dump afterwards (`nft -a list chain ...`).
#pragma once

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/table.hpp"

namespace nsnet::nft {

struct Rule {
    TableFamily family = TableFamily::Ip;
    std::string table{};
    std::string chain{};
    Exprs exprs{};
    std::optional<std::string> comment{};  // `... comment "text"` (NFTA_RULE_USERDATA)
    // Read back only (or, for rule_del/rule_get, the rule to address):
    std::optional<std::uint64_t> handle{};
};

struct RuleNewOptions {
    bool echo = false;    // NLM_F_ECHO: the kernel sends the created rule back, handle included
    bool append = true;   // `nft add rule` (end of the chain); false: `nft insert rule` (start)
    std::optional<std::uint64_t> position{};  // add after (append) / insert before this rule handle
};

namespace detail {
inline constexpr std::uint8_t udata_rule_comment = 0;  // NFTNL_UDATA_RULE_COMMENT
}

// NFT_MSG_NEWRULE: `nft add rule FAMILY TABLE CHAIN <exprs>` (NLM_F_CREATE | NLM_F_APPEND).
NSNET_DECL nl::MessageBuilder rule_new(const Rule& r, const RuleNewOptions& o = {});

// NFT_MSG_DELRULE: `nft delete rule FAMILY TABLE CHAIN handle H`.
NSNET_DECL nl::MessageBuilder rule_del(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle);

// NFT_MSG_GETRULE for the rule with this handle (nl::request; ENOENT when it is gone).
NSNET_DECL nl::MessageBuilder rule_get(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle);

// NFT_MSG_GETRULE dump of one table (and one chain, if given): send with nl::dump.
NSNET_DECL nl::MessageBuilder rule_dump(TableFamily family, const std::string& table, const std::string& chain = {});

// Decodes an NFT_MSG_NEWRULE message (a GET answer, a dump entry or an NLM_F_ECHO copy).
NSNET_DECL Rule decode_rule(const nl::MessageView& msg);

// The rule in `nft --debug=netlink` notation:
//   ip nsnet postrouting
//     [ payload load 2b @ network header + 12 => reg 1 ]
//     ...
NSNET_DECL std::string to_debug_string(const Rule& r);

#if NSNET_DEFINITIONS

NSNET_DECL nl::MessageBuilder rule_new(const Rule& r, const RuleNewOptions& o) {
    validate_name(r.table, "table", "add rule");
    validate_name(r.chain, "chain", "add rule");
    std::uint16_t flags = NLM_F_CREATE;
    if (o.append) flags |= NLM_F_APPEND;
    if (o.echo) flags |= NLM_F_ECHO;
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, flags, r.family);
    m.put_string(NFTA_RULE_TABLE, r.table);
    m.put_string(NFTA_RULE_CHAIN, r.chain);
    if (o.position) m.put(NFTA_RULE_POSITION, __builtin_bswap64(*o.position));
    encode_exprs(m, r.exprs);
    if (r.comment) {
        auto u = detail::udata_comment(detail::udata_rule_comment, *r.comment);
        m.put(NFTA_RULE_USERDATA, u.data(), u.size());
    }
    return m;
}

NSNET_DECL nl::MessageBuilder rule_del(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle) {
    validate_name(table, "table", "delete rule");
    validate_name(chain, "chain", "delete rule");
    nl::MessageBuilder m = make_message(NFT_MSG_DELRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    m.put_string(NFTA_RULE_CHAIN, chain);
    m.put(NFTA_RULE_HANDLE, __builtin_bswap64(handle));
    return m;
}

NSNET_DECL nl::MessageBuilder rule_get(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle) {
    validate_name(table, "table", "get rule");
    validate_name(chain, "chain", "get rule");
    nl::MessageBuilder m = make_message(NFT_MSG_GETRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    m.put_string(NFTA_RULE_CHAIN, chain);
    m.put(NFTA_RULE_HANDLE, __builtin_bswap64(handle));
    return m;
}

NSNET_DECL nl::MessageBuilder rule_dump(TableFamily family, const std::string& table, const std::string& chain) {
    validate_name(table, "table", "list rules");
    nl::MessageBuilder m = make_message(NFT_MSG_GETRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    if (!chain.empty()) {
        validate_name(chain, "chain", "list rules");
        m.put_string(NFTA_RULE_CHAIN, chain);
    }
    return m;
}

NSNET_DECL Rule decode_rule(const nl::MessageView& msg) {
    Rule r;
    r.family = message_family(msg);
    nl::AttrTable<NFTA_RULE_MAX> a(msg.attrs<nfgenmsg>());
    if (a[NFTA_RULE_TABLE]) r.table = std::string(a[NFTA_RULE_TABLE]->str());
    if (a[NFTA_RULE_CHAIN]) r.chain = std::string(a[NFTA_RULE_CHAIN]->str());
    if (a[NFTA_RULE_HANDLE]) r.handle = __builtin_bswap64(a[NFTA_RULE_HANDLE]->u64());
    if (a[NFTA_RULE_EXPRESSIONS]) r.exprs = decode_exprs(*a[NFTA_RULE_EXPRESSIONS]);
    if (a[NFTA_RULE_USERDATA])
        r.comment = detail::udata_find_comment(a[NFTA_RULE_USERDATA]->payload(), detail::udata_rule_comment);
    return r;
}

NSNET_DECL std::string to_debug_string(const Rule& r) {
    std::string s = family_name(r.family) + " " + r.table + " " + r.chain + "\n";
    for (const Expr& e : r.exprs) s += "  " + to_debug_string(e) + "\n";
    return s;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::nft
