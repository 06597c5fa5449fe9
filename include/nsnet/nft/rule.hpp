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
    Exprs exprs;  // not `exprs{}`: see DEVELOPERS.md, "Lazy bodies"
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
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_new(const Rule& r, const RuleNewOptions& o = {});

// NFT_MSG_DELRULE: `nft delete rule FAMILY TABLE CHAIN handle H`.
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_del(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle);

// NFT_MSG_GETRULE for the rule with this handle (nl::request; ENOENT when it is gone).
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_get(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle);

// NFT_MSG_GETRULE dump of one table (and one chain, if given): send with nl::dump.
NSNET_LAZY NSNET_DECL nl::MessageBuilder rule_dump(TableFamily family, const std::string& table, const std::string& chain = {});

// The type of nft::decode_rule: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct RuleDecoder {
    NSNET_LAZY Rule operator()(const nl::MessageView& msg) const;  // decode_rule(msg)
};
// Decodes an NFT_MSG_NEWRULE message (a GET answer, a dump entry or an NLM_F_ECHO copy).
inline constexpr RuleDecoder decode_rule{};

// The rule in `nft --debug=netlink` notation:
//   ip nsnet postrouting
//     [ payload load 2b @ network header + 12 => reg 1 ]
//     ...
NSNET_LAZY NSNET_DECL std::string to_debug_string(const Rule& r);

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/rule.ipp"
#endif
