// nsnet/nft/chain.hpp — nf_tables chains: encode NEW/DEL/GET chain messages, decode answers.
//
// Layer: nf_tables encoders/decoders, no I/O. A base chain is attached to a netfilter hook with a
// type and a priority, and has a policy (the verdict for packets no rule decided):
//   nft add chain ip nsnet postrouting '{ type nat hook postrouting priority 100; policy accept; }'
// Regular (non-base) chains are not used by nsnet but decode fine. Attributes are written in the
// order nft 1.0.6 writes them (table, name, type, policy, hook), so the bytes equal nft's.
#pragma once

// glibc's <netinet/in.h> must come before any <linux/...> header that pulls in <linux/in.h>.
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/nft/batch.hpp"

namespace nsnet::nft {

// The netfilter hooks of the ip/ip6/inet families.
enum class Hook : std::uint32_t {
    Prerouting = NF_INET_PRE_ROUTING,
    Input = NF_INET_LOCAL_IN,
    Forward = NF_INET_FORWARD,
    Output = NF_INET_LOCAL_OUT,
    Postrouting = NF_INET_POST_ROUTING,
};

enum class ChainType { Filter, Nat, Route };

// A base chain's policy: `policy accept;` / `policy drop;`.
enum class Policy : std::uint32_t { Drop = NF_DROP, Accept = NF_ACCEPT };

NSNET_DECL std::string hook_name(Hook h);
NSNET_DECL std::string chain_type_name(ChainType t);
NSNET_DECL std::optional<ChainType> parse_chain_type(std::string_view s);
NSNET_DECL std::string policy_name(Policy p);

// What makes a chain a base chain: `type T hook H priority P;`.
struct BaseChain {
    ChainType type = ChainType::Filter;
    Hook hook = Hook::Forward;
    std::int32_t priority = 0;
    friend bool operator==(const BaseChain&, const BaseChain&) = default;
};

struct Chain {
    TableFamily family = TableFamily::Ip;
    std::string table{};
    std::string name{};
    std::optional<BaseChain> base{};  // nullopt: a regular chain
    std::optional<Policy> policy{};  // nullopt: not sent (a new base chain then accepts; an existing one keeps its policy)
    // Read back only:
    std::optional<std::uint64_t> handle{};
    std::uint32_t use = 0;  // references: rules in it, jumps to it
};

// NFT_MSG_NEWCHAIN: `nft add chain ...` (NLM_F_CREATE: an existing chain is updated, e.g. its
// policy, not refused). Pass NLM_F_CREATE | NLM_F_EXCL for `nft create chain`.
NSNET_DECL nl::MessageBuilder chain_new(const Chain& c, std::uint16_t flags = NLM_F_CREATE);

// NFT_MSG_DELCHAIN: `nft delete chain ip TABLE NAME`. With NLM_F_NONREC the kernel refuses
// (EBUSY) to delete a chain that still holds rules instead of deleting them with it.
NSNET_DECL nl::MessageBuilder chain_del(TableFamily family, const std::string& table, const std::string& name,
                                        std::uint16_t flags = 0);

// NFT_MSG_GETCHAIN for one chain (nl::request; ENOENT when missing).
NSNET_DECL nl::MessageBuilder chain_get(TableFamily family, const std::string& table, const std::string& name);

// Decodes an NFT_MSG_NEWCHAIN message.
NSNET_DECL Chain decode_chain(const nl::MessageView& msg);

#if NSNET_DEFINITIONS

NSNET_DECL std::string hook_name(Hook h) {
    switch (h) {
        case Hook::Prerouting: return "prerouting";
        case Hook::Input: return "input";
        case Hook::Forward: return "forward";
        case Hook::Output: return "output";
        case Hook::Postrouting: return "postrouting";
    }
    return "hook " + std::to_string(static_cast<std::uint32_t>(h));
}

NSNET_DECL std::string chain_type_name(ChainType t) {
    switch (t) {
        case ChainType::Filter: return "filter";
        case ChainType::Nat: return "nat";
        case ChainType::Route: return "route";
    }
    return "filter";
}

NSNET_DECL std::optional<ChainType> parse_chain_type(std::string_view s) {
    if (s == "filter") return ChainType::Filter;
    if (s == "nat") return ChainType::Nat;
    if (s == "route") return ChainType::Route;
    return std::nullopt;
}

NSNET_DECL std::string policy_name(Policy p) { return p == Policy::Accept ? "accept" : "drop"; }

NSNET_DECL nl::MessageBuilder chain_new(const Chain& c, std::uint16_t flags) {
    validate_name(c.table, "table", "add chain");
    validate_name(c.name, "chain", "add chain");
    nl::MessageBuilder m = make_message(NFT_MSG_NEWCHAIN, flags, c.family);
    m.put_string(NFTA_CHAIN_TABLE, c.table);
    m.put_string(NFTA_CHAIN_NAME, c.name);
    if (c.base) m.put_string(NFTA_CHAIN_TYPE, chain_type_name(c.base->type));
    if (c.policy) m.put_be32(NFTA_CHAIN_POLICY, static_cast<std::uint32_t>(*c.policy));
    if (c.base) {
        auto hook = m.nest(NFTA_CHAIN_HOOK);
        m.put_be32(NFTA_HOOK_HOOKNUM, static_cast<std::uint32_t>(c.base->hook));
        m.put_be32(NFTA_HOOK_PRIORITY, static_cast<std::uint32_t>(c.base->priority));
    }
    return m;
}

NSNET_DECL nl::MessageBuilder chain_del(TableFamily family, const std::string& table, const std::string& name,
                                        std::uint16_t flags) {
    validate_name(table, "table", "delete chain");
    validate_name(name, "chain", "delete chain");
    nl::MessageBuilder m = make_message(NFT_MSG_DELCHAIN, flags, family);
    m.put_string(NFTA_CHAIN_TABLE, table);
    m.put_string(NFTA_CHAIN_NAME, name);
    return m;
}

NSNET_DECL nl::MessageBuilder chain_get(TableFamily family, const std::string& table, const std::string& name) {
    validate_name(table, "table", "get chain");
    validate_name(name, "chain", "get chain");
    nl::MessageBuilder m = make_message(NFT_MSG_GETCHAIN, 0, family);
    m.put_string(NFTA_CHAIN_TABLE, table);
    m.put_string(NFTA_CHAIN_NAME, name);
    return m;
}

NSNET_DECL Chain decode_chain(const nl::MessageView& msg) {
    Chain c;
    c.family = message_family(msg);
    nl::AttrTable<NFTA_CHAIN_MAX> a(msg.attrs<nfgenmsg>());
    if (a[NFTA_CHAIN_TABLE]) c.table = std::string(a[NFTA_CHAIN_TABLE]->str());
    if (a[NFTA_CHAIN_NAME]) c.name = std::string(a[NFTA_CHAIN_NAME]->str());
    if (a[NFTA_CHAIN_HANDLE]) c.handle = __builtin_bswap64(a[NFTA_CHAIN_HANDLE]->u64());
    if (a[NFTA_CHAIN_USE]) c.use = a[NFTA_CHAIN_USE]->be32();
    if (a[NFTA_CHAIN_POLICY]) c.policy = static_cast<Policy>(a[NFTA_CHAIN_POLICY]->be32());
    if (a[NFTA_CHAIN_HOOK]) {
        BaseChain b;
        for (nl::Attr h : a[NFTA_CHAIN_HOOK]->nested()) {
            if (h.type() == NFTA_HOOK_HOOKNUM) b.hook = static_cast<Hook>(h.be32());
            else if (h.type() == NFTA_HOOK_PRIORITY) b.priority = static_cast<std::int32_t>(h.be32());
        }
        if (a[NFTA_CHAIN_TYPE])
            if (auto t = parse_chain_type(a[NFTA_CHAIN_TYPE]->str())) b.type = *t;
        c.base = b;
    }
    return c;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::nft
