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
// It does not retry (the kernel itself replays a batch after loading a module), and it does not
// send NFT_MSG_GETGEN / NFNL_BATCH_GENID generation checks (nsnet never computes a change from a
// cached view of the ruleset).
#pragma once

// glibc's <netinet/in.h> must come before any <linux/...> header that pulls in <linux/in.h>.
#include <netinet/in.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <algorithm>
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
NSNET_DECL std::string family_name(TableFamily f);

// The nlmsg_type of an nf_tables message: subsystem NFNL_SUBSYS_NFTABLES in the high byte.
constexpr std::uint16_t message_type(std::uint8_t nft_msg) noexcept {
    return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg);
}

// Starts an nf_tables message (NFT_MSG_NEWRULE, ...) for `family`: nlmsghdr + nfgenmsg.
NSNET_DECL nl::MessageBuilder make_message(std::uint8_t nft_msg, std::uint16_t flags, TableFamily family);

// The NFT_MSG_* of a received nf_tables message, or nullopt when it is something else.
NSNET_DECL std::optional<std::uint8_t> nft_message(const nl::MessageView& m) noexcept;

// The nfgen_family of a received nf_tables message.
NSNET_DECL TableFamily message_family(const nl::MessageView& m);

// Validates a table / chain name as nf_tables does: 1..255 bytes, no NUL. `what` is "table"/"chain".
NSNET_DECL void validate_name(std::string_view name, std::string_view what, std::string_view operation);

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
    std::vector<std::size_t> failed() const;

    // The failure as an Error: the first refused message (operation, object, errno, ext-ack text),
    // with the others and "nothing was applied" in its detail. Only meaningful when !applied.
    Error error() const;
    void throw_if_failed() const {
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
    std::size_t add(const nl::MessageBuilder& msg, std::string operation, std::string object);
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    void clear() noexcept { entries_.clear(); }
    const std::string& operation(std::size_t i) const { return entries_.at(i).operation; }
    const std::string& object(std::size_t i) const { return entries_.at(i).object; }

    // The exact bytes run() sends: BEGIN, every message, END, numbered first_seq, first_seq+1, ...
    // With ack=true (what run() does) every message carries NLM_F_ACK; nft 1.0.6 sets it on none
    // of them and relies on errors only, so ack=false reproduces nft's bytes.
    std::vector<std::byte> encode(std::uint32_t first_seq, bool ack = true) const;

    // Sends the batch in one sendmsg and collects every answer. Throws only when the socket itself
    // fails (or the kernel's answers were lost: ENOBUFS); refusals are reported in the result.
    BatchResult run(nl::Socket& sock) const;

    // run(), then throws the failure (see BatchResult::error) if the batch was not applied.
    BatchResult run_or_throw(nl::Socket& sock) const;

private:
    struct Entry {
        std::vector<std::byte> bytes{};
        std::string operation{}, object{};
    };

    static void append_control(std::vector<std::byte>& out, std::uint16_t type, std::uint32_t seq);

    std::vector<Entry> entries_{};
};

#if NSNET_DEFINITIONS

NSNET_DECL std::string family_name(TableFamily f) {
    switch (f) {
        case TableFamily::Ip: return "ip";
        case TableFamily::Ip6: return "ip6";
        case TableFamily::Inet: return "inet";
    }
    return "family " + std::to_string(static_cast<unsigned>(f));
}

NSNET_DECL nl::MessageBuilder make_message(std::uint8_t nft_msg, std::uint16_t flags, TableFamily family) {
    nl::MessageBuilder m(message_type(nft_msg), flags);
    nfgenmsg g{};
    g.nfgen_family = static_cast<std::uint8_t>(family);
    g.version = NFNETLINK_V0;
    g.res_id = 0;
    m.put_header(g);
    return m;
}

NSNET_DECL std::optional<std::uint8_t> nft_message(const nl::MessageView& m) noexcept {
    if ((m.type() >> 8) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
    return static_cast<std::uint8_t>(m.type() & 0xff);
}

NSNET_DECL TableFamily message_family(const nl::MessageView& m) {
    return static_cast<TableFamily>(m.family_header<nfgenmsg>().nfgen_family);
}

NSNET_DECL void validate_name(std::string_view name, std::string_view what, std::string_view operation) {
    if (name.empty()) invalid_argument(std::string(operation), std::string(name), std::string(what) + " name is empty");
    if (name.size() >= NFT_NAME_MAXLEN)
        invalid_argument(std::string(operation), std::string(name),
                         std::string(what) + " name is " + std::to_string(name.size()) +
                             " bytes; nf_tables allows at most " + std::to_string(NFT_NAME_MAXLEN - 1));
    if (name.find('\0') != std::string_view::npos)
        invalid_argument(std::string(operation), std::string(name), std::string(what) + " name contains a NUL byte");
}

NSNET_DECL std::vector<std::size_t> BatchResult::failed() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < messages.size(); ++i)
        if (messages[i].ack.error) out.push_back(i);
    return out;
}

NSNET_DECL Error BatchResult::error() const {
    std::string rolled_back = "nf_tables batch of " + std::to_string(messages.size()) +
                              " change(s) rolled back: nothing was applied";
    auto bad = failed();
    if (!bad.empty()) {
        const MessageResult& first = messages[bad.front()];
        std::string detail = rolled_back;
        for (std::size_t k = 1; k < bad.size(); ++k) {
            const MessageResult& o = messages[bad[k]];
            detail += "; also refused: " + o.operation + " '" + o.object + "': " +
                      std::generic_category().message(o.ack.error);
            if (!o.ack.kernel_message.empty()) detail += " (kernel: " + o.ack.kernel_message + ")";
        }
        Error e(first.ack.error, first.operation, first.object, first.ack.kernel_message, detail);
        if (first.ack.bad_attribute_offset >= 0) e.set_bad_attribute_offset(first.ack.bad_attribute_offset);
        return e;
    }
    if (batch_error)
        return Error(batch_error->error, "commit nf_tables batch", {}, batch_error->kernel_message, rolled_back);
    for (const MessageResult& o : messages)
        if (!o.answered)
            return Error(EPROTO, o.operation, o.object, {},
                         "the kernel did not answer this message of the batch; its outcome is unknown");
    return Error(EPROTO, "commit nf_tables batch", {}, {}, "batch not applied for an unknown reason");
}

NSNET_DECL std::size_t Batch::add(const nl::MessageBuilder& msg, std::string operation, std::string object) {
    Entry e;
    e.bytes.assign(msg.bytes().begin(), msg.bytes().end());
    e.operation = std::move(operation);
    e.object = std::move(object);
    entries_.push_back(std::move(e));
    return entries_.size() - 1;
}

NSNET_DECL std::vector<std::byte> Batch::encode(std::uint32_t first_seq, bool ack) const {
    std::vector<std::byte> out;
    append_control(out, NFNL_MSG_BATCH_BEGIN, first_seq);
    std::uint32_t seq = first_seq;
    for (const Entry& e : entries_) {
        std::size_t at = out.size();
        out.insert(out.end(), e.bytes.begin(), e.bytes.end());
        out.resize(nl::align(out.size()));
        auto* h = reinterpret_cast<nlmsghdr*>(out.data() + at);
        h->nlmsg_seq = ++seq;
        h->nlmsg_pid = 0;
        if (ack) h->nlmsg_flags = static_cast<std::uint16_t>(h->nlmsg_flags | NLM_F_ACK);
    }
    append_control(out, NFNL_MSG_BATCH_END, ++seq);
    return out;
}

NSNET_DECL BatchResult Batch::run(nl::Socket& sock) const {
    BatchResult result;
    result.messages.resize(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        result.messages[i].operation = entries_[i].operation;
        result.messages[i].object = entries_[i].object;
    }
    if (entries_.empty()) {
        result.applied = true;
        return result;
    }
    const auto n = static_cast<std::uint32_t>(entries_.size());
    const std::uint32_t begin_seq = sock.reserve_seqs(n + 2);
    const std::uint32_t end_seq = begin_seq + n + 1;
    std::vector<std::byte> wire = encode(begin_seq, true);

    // All answers are queued before sendmsg returns: make room for them (an ack with ext-ack
    // text, or an echoed rule, costs the queue at most a few KiB), and for the request itself.
    std::size_t echoes = 0;
    for (const Entry& e : entries_)
        if (reinterpret_cast<const nlmsghdr*>(e.bytes.data())->nlmsg_flags & NLM_F_ECHO) ++echoes;
    try {
        sock.set_receive_buffer(static_cast<int>(std::max<std::size_t>(256 * 1024, (n + 2 + 2 * echoes) * 4096)));
        if (wire.size() + 4096 > 128 * 1024) sock.set_send_buffer(static_cast<int>(wire.size() + 64 * 1024));
    } catch (const Error&) {
        // Unprivileged SO_RCVBUF may be capped; the batch can still work if it is small.
    }
    sock.send_bytes(nl::Bytes(wire.data(), wire.size()));

    for (;;) {
        nl::Bytes data;
        try {
            data = sock.receive(/*nonblocking=*/true);
        } catch (const Error& e) {
            if (e.errnum() == ENOBUFS)
                throw Error(ENOBUFS, "read nf_tables batch answers", {}, {},
                            "the socket's receive queue overflowed: answers were lost and the outcome of the "
                            "batch is unknown");
            throw;
        }
        if (data.empty()) break;  // everything the kernel queued has been read
        for (nl::MessageView m : nl::MessageRange(data)) {
            if (m.pid() != sock.port_id() && m.pid() != 0) continue;
            std::uint32_t seq = m.seq();
            if (seq < begin_seq || seq > end_seq) continue;  // stale: an earlier conversation
            if (m.type() == NLMSG_ERROR) {
                nl::AckInfo ack = nl::parse_ack(m);
                if (seq == begin_seq || seq == end_seq) {
                    // Newer kernels ack BEGIN/END when asked; an error there refuses the batch.
                    if (ack.error && !result.batch_error) result.batch_error = ack;
                    continue;
                }
                MessageResult& r = result.messages[seq - begin_seq - 1];
                if (!r.answered || (ack.error && !r.ack.error)) r.ack = ack;
                r.answered = true;
                continue;
            }
            if (m.type() < NLMSG_MIN_TYPE) continue;  // NOOP, DONE, OVERRUN
            if (seq == begin_seq || seq == end_seq) continue;  // e.g. NFT_MSG_NEWGEN
            result.messages[seq - begin_seq - 1].replies.emplace_back(m.bytes().begin(), m.bytes().end());
        }
    }
    bool all_ok = !result.batch_error;
    for (const MessageResult& r : result.messages)
        if (!r.answered || r.ack.error) all_ok = false;
    result.applied = all_ok;
    return result;
}

NSNET_DECL BatchResult Batch::run_or_throw(nl::Socket& sock) const {
    BatchResult r = run(sock);
    r.throw_if_failed();
    return r;
}

NSNET_DECL void Batch::append_control(std::vector<std::byte>& out, std::uint16_t type, std::uint32_t seq) {
    nlmsghdr h{};
    h.nlmsg_len = sizeof(nlmsghdr) + sizeof(nfgenmsg);
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_REQUEST;
    h.nlmsg_seq = seq;
    nfgenmsg g{};
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    g.res_id = htons(NFNL_SUBSYS_NFTABLES);
    auto p = reinterpret_cast<const std::byte*>(&h);
    out.insert(out.end(), p, p + sizeof h);
    p = reinterpret_cast<const std::byte*>(&g);
    out.insert(out.end(), p, p + sizeof g);
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::nft
