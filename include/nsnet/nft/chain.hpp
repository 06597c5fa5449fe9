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

NSNET_LAZY NSNET_DECL std::string hook_name(Hook h);
NSNET_LAZY NSNET_DECL std::string chain_type_name(ChainType t);
NSNET_LAZY NSNET_DECL std::optional<ChainType> parse_chain_type(std::string_view s);
NSNET_LAZY NSNET_DECL std::string policy_name(Policy p);

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
NSNET_LAZY NSNET_DECL nl::MessageBuilder chain_new(const Chain& c, std::uint16_t flags = NLM_F_CREATE);

// NFT_MSG_DELCHAIN: `nft delete chain ip TABLE NAME`. With NLM_F_NONREC the kernel refuses
// (EBUSY) to delete a chain that still holds rules instead of deleting them with it.
NSNET_LAZY NSNET_DECL nl::MessageBuilder chain_del(TableFamily family, const std::string& table, const std::string& name,
                                        std::uint16_t flags = 0);

// NFT_MSG_GETCHAIN for one chain (nl::request; ENOENT when missing).
NSNET_LAZY NSNET_DECL nl::MessageBuilder chain_get(TableFamily family, const std::string& table, const std::string& name);

// The type of nft::decode_chain: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct ChainDecoder {
    NSNET_LAZY Chain operator()(const nl::MessageView& msg) const;  // decode_chain(msg)
};
// Decodes an NFT_MSG_NEWCHAIN message.
inline constexpr ChainDecoder decode_chain{};

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/chain.ipp"
#endif
