// nsnet/nft/table.hpp — nf_tables tables: encode NEW/DEL/GET table messages, decode answers.
//
// Layer: nf_tables encoders/decoders, no I/O (send them in an nft::Batch, or nl::request for a
// GET). A table is a namespace for chains, named per family: `table ip nsnet`. Its comment travels
// in NFTA_TABLE_USERDATA in libnftnl's TLV format (type 0 = comment), so `nft list ruleset` shows
// it; nsnet uses the comment to recognise tables it created.
#pragma once

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/nft/batch.hpp"

namespace nsnet::nft {

struct Table {
    TableFamily family = TableFamily::Ip;
    std::string name{};
    std::uint32_t flags = 0;             // NFT_TABLE_F_*
    std::optional<std::string> comment{};  // `table ip nsnet { comment "..." }`
    // Read back only:
    std::optional<std::uint64_t> handle{};  // unique in the namespace for the table's lifetime
    std::uint32_t use = 0;                // number of chains (and sets, objects) in it
};

// "ip nsnet": how nft names a table in messages.
NSNET_LAZY NSNET_DECL std::string table_id(TableFamily f, const std::string& name);

namespace detail {
// libnftnl's user-data TLVs: u8 type, u8 length, value (a comment includes its NUL).
inline constexpr std::uint8_t udata_table_comment = 0;

NSNET_LAZY NSNET_DECL std::vector<std::uint8_t> udata_comment(std::uint8_t type, const std::string& text);
NSNET_LAZY NSNET_DECL std::optional<std::string> udata_find_comment(nl::Bytes udata, std::uint8_t type);
}  // namespace detail

// NFT_MSG_NEWTABLE: `nft add table ip NAME` (flags 0: an existing table is left as it is);
// pass NLM_F_EXCL for `nft create table` (EEXIST if it exists).
NSNET_LAZY NSNET_DECL nl::MessageBuilder table_new(const Table& t, std::uint16_t flags = 0);

// NFT_MSG_DELTABLE: `nft delete table ip NAME` (removes everything in it). With NLM_F_NONREC the
// kernel refuses (EBUSY) to delete a table that still holds chains.
NSNET_LAZY NSNET_DECL nl::MessageBuilder table_del(TableFamily family, const std::string& name, std::uint16_t flags = 0);

// NFT_MSG_DELTABLE by handle: `nft delete table ip handle H`. Deletes exactly the table that
// had this handle: one deleted and re-created under the same name since is left alone (ENOENT).
NSNET_LAZY NSNET_DECL nl::MessageBuilder table_del_handle(TableFamily family, std::uint64_t handle, std::uint16_t flags = 0);

// NFT_MSG_GETTABLE for one table (send with nl::request; ENOENT when there is none).
NSNET_LAZY NSNET_DECL nl::MessageBuilder table_get(TableFamily family, const std::string& name);

// The type of nft::decode_table: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct TableDecoder {
    NSNET_LAZY Table operator()(const nl::MessageView& msg) const;  // decode_table(msg)
};
// Decodes an NFT_MSG_NEWTABLE (a GET answer, dump entry or echo).
inline constexpr TableDecoder decode_table{};

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/table.ipp"
#endif
