// nsnet/nft/batch.hpp — nfnetlink framing for nf_tables, and atomic batches of changes.
//
// Layer: raw netlink (nf_tables side). Builds on nl::Socket and nl::parse_ack; knows nothing of
// tables, chains or rules beyond their message type. Every nf_tables change travels in a batch:
//
//   one sendmsg:
//   +--------------------------+---------------------------+-----+--------------------------+
//   | NFNL_MSG_BATCH_BEGIN     | NFT_MSG_NEWRULE ...       | ... | NFNL_MSG_BATCH_END       |
//   | nlmsghdr + nfgenmsg      | nlmsghdr + nfgenmsg       |     | nlmsghdr + nfgenmsg      |
//   | res_id = htons(10)       | family = NFPROTO_IPV4 ... |     | res_id = htons(10)       |
//   | seq s                    | seq s+1                   |     | seq s+n+1                |
//   +--------------------------+---------------------------+-----+--------------------------+
//
// The kernel applies the messages between BEGIN and END as one transaction: all of them or none.
// It processes the batch synchronously inside sendmsg, queues one NLMSG_ERROR per message that
// failed or asked for NLM_F_ACK (nsnet asks on every message, so each one is positively
// confirmed), plus any NLM_F_ECHO copies, and only then returns. So when sendmsg returns, every
// answer is already in the socket's queue: Batch::run reads until the queue is empty (no timeout,
// no guessing how many answers to expect) and matches each answer to its message by sequence
// number. A refusal of the batch as a whole (no CAP_NET_ADMIN, a failed commit) is sent against
// the BEGIN message and reported as such.
//
// It does not retry (the kernel itself replays a batch after loading a module). A batch may carry
// the generation of the ruleset it was computed from (NFNL_BATCH_GENID, read with NFT_MSG_GETGEN):
// the kernel then refuses it as a whole (ERESTART) if anything was committed in the namespace
// since, which is how a "look, then add if missing" (firewall::Rule::ensure) stays right when
// other processes change the ruleset at the same time.
#pragma once

// glibc's <netinet/in.h> must come before any <linux/...> header that pulls in <linux/in.h>.
#include <netinet/in.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"

namespace nsnet::nft {

// The address family of an nf_tables table (nfgenmsg.nfgen_family): `nft add table ip|ip6|inet`.
enum class TableFamily : std::uint8_t {
    Ip = NFPROTO_IPV4,
    Ip6 = NFPROTO_IPV6,
    Inet = NFPROTO_INET,
};

// "ip", "ip6", "inet": the word nft uses.
NSNET_LAZY NSNET_DECL std::string family_name(TableFamily f);

// The nlmsg_type of an nf_tables message: subsystem NFNL_SUBSYS_NFTABLES in the high byte.
constexpr std::uint16_t message_type(std::uint8_t nft_msg) noexcept {
    return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg);
}

// Starts an nf_tables message (NFT_MSG_NEWRULE, ...) for `family`: nlmsghdr + nfgenmsg.
NSNET_LAZY NSNET_DECL nl::MessageBuilder make_message(std::uint8_t nft_msg, std::uint16_t flags, TableFamily family);

// The NFT_MSG_* of a received nf_tables message, or nullopt when it is something else.
NSNET_LAZY NSNET_DECL std::optional<std::uint8_t> nft_message(const nl::MessageView& m) noexcept;

// The nfgen_family of a received nf_tables message.
NSNET_LAZY NSNET_DECL TableFamily message_family(const nl::MessageView& m);

// Validates a table / chain name as nf_tables does: 1..255 bytes, no NUL. `what` is "table"/"chain".
NSNET_LAZY NSNET_DECL void validate_name(std::string_view name, std::string_view what, std::string_view operation);

// NFT_MSG_GETGEN, what `nft` asks first: the answer (NFT_MSG_NEWGEN) holds the ruleset's
// generation, which every committed batch in the namespace changes.
NSNET_LAZY NSNET_DECL nl::MessageBuilder generation_get();
// The type of nft::decode_generation: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct GenerationDecoder {
    NSNET_LAZY std::optional<std::uint32_t> operator()(const nl::MessageView& m) const;  // decode_generation(m)
};
// NFTA_GEN_ID of an NFT_MSG_NEWGEN message; nullopt for any other message.
inline constexpr GenerationDecoder decode_generation{};
// The ruleset's generation in `sock`'s namespace now (generation_get, answered).
NSNET_LAZY NSNET_DECL std::uint32_t read_generation(nl::Socket& sock);

// The kernel's answer to one message of a batch.
struct MessageResult {
    std::string operation{};  // as given to Batch::add ("add rule")
    std::string object{};     // ("ip nsnet postrouting: ip saddr 172.17.0.0/16 ... masquerade")
    nl::AckInfo ack{};        // ack.error == 0: the kernel accepted it (applied only if the batch was)
    bool answered = false;  // false: no answer came (only when the batch was refused as a whole)
    // Copies of the objects the kernel created, when the message asked for NLM_F_ECHO (a new
    // rule's echo carries its handle). Whole netlink messages, header included.
    std::vector<std::vector<std::byte>> replies{};
};

// What happened to a batch.
struct BatchResult {
    bool applied = false;                    // every message accepted and the transaction committed
    std::optional<nl::AckInfo> batch_error{};  // a refusal of the batch as a whole (sent against BEGIN/END)
    std::vector<MessageResult> messages{};     // one per Batch::add, in order

    // Indexes of the messages the kernel refused.
    NSNET_LAZY std::vector<std::size_t> failed() const;

    // The failure as an Error: the first refused message (operation, object, errno, ext-ack text),
    // with the others and "nothing was applied" in its detail. Only meaningful when !applied.
    NSNET_LAZY Error error() const;
    NSNET_LAZY void throw_if_failed() const {
        if (!applied) throw error();
    }
};

// A set of nf_tables changes sent in one sendmsg and applied atomically.
//
//   nft::Batch b;
//   b.add(nft::table_new({...}), "add table", "ip nsnet");
//   b.add(nft::rule_new(rule, {.echo = true}), "add rule", "ip nsnet postrouting: ...");
//   auto result = b.run(sock);            // or b.run_or_throw(sock)
class Batch {
public:
    // Appends a finished nf_tables message (built with make_message); operation/object name it in
    // errors. Returns its index in BatchResult::messages.
    NSNET_LAZY std::size_t add(const nl::MessageBuilder& msg, std::string operation, std::string object);
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    void clear() noexcept { entries_.clear(); }
    const std::string& operation(std::size_t i) const { return entries_.at(i).operation; }
    const std::string& object(std::size_t i) const { return entries_.at(i).object; }

    // The batch is applied only if the ruleset is still at `generation` (read_generation) when the
    // kernel commits it; otherwise it is refused as a whole with ERESTART (BatchResult::batch_error)
    // and nothing changes. BEGIN then carries NFNL_BATCH_GENID.
    void set_generation(std::uint32_t generation) noexcept { generation_ = generation; }
    // The generation set_generation gave, if any.
    std::optional<std::uint32_t> generation() const noexcept { return generation_; }

    // The exact bytes run() sends: BEGIN, every message, END, numbered first_seq, first_seq+1, ...
    // With ack=true (what run() does) every message carries NLM_F_ACK; nft 1.0.6 sets it on none
    // of them and relies on errors only, so ack=false reproduces nft's bytes.
    NSNET_LAZY std::vector<std::byte> encode(std::uint32_t first_seq, bool ack = true) const;

    // Sends the batch in one sendmsg and collects every answer. Throws only when the socket itself
    // fails (or the kernel's answers were lost: ENOBUFS); refusals are reported in the result.
    NSNET_LAZY BatchResult run(nl::Socket& sock) const;

    // run(), then throws the failure (see BatchResult::error) if the batch was not applied.
    NSNET_LAZY BatchResult run_or_throw(nl::Socket& sock) const;

private:
    struct Entry {
        std::vector<std::byte> bytes{};
        std::string operation{}, object{};
    };

    // BEGIN or END; `generation`: NFNL_BATCH_GENID (BEGIN only).
    NSNET_LAZY static void append_control(std::vector<std::byte>& out, std::uint16_t type, std::uint32_t seq,
                               std::optional<std::uint32_t> generation = std::nullopt);

    std::vector<Entry> entries_{};
    std::optional<std::uint32_t> generation_{};
};

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/batch.ipp"
#endif
