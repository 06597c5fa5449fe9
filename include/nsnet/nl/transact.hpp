// nsnet/nl/transact.hpp — conversations with the kernel: request→ack, request→reply, dumps, batches.
//
// Layer: raw netlink. Builds on Socket; knows nothing of routes or links.
//
//  request():  one message with NLM_F_ACK; replies (if any) go to a callback; the ack or the error
//              ends it. An error becomes nsnet::Error with the kernel's extended-ack text.
//  dump():     NLM_F_DUMP; messages are handed to a callback straight out of the receive buffer
//              (no vector of every object: memory stays flat). A dump the kernel marks
//              NLM_F_DUMP_INTR (the table changed underneath) is restarted, after telling the
//              caller through on_restart so it can drop what it collected.
//  Batch:      many requests in few sendmsg calls, every ack matched back to its request by
//              sequence number, so 10,000 routes cost 10,000 kernel operations and a handful of
//              system calls rather than 20,000 round trips.
//
// Replies are accepted only when they come from the kernel (Socket checks), are addressed to this
// socket's port id and carry the sequence number of the request in flight; anything else (a late
// answer to an abandoned request) is skipped.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/detail/std_function.hpp"
#include "nsnet/error.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/nl/socket.hpp"

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

namespace nsnet::nl {

// What an NLMSG_ERROR (or an NLMSG_DONE carrying a status) said.
struct AckInfo {
    int error = 0;                     // 0 for a plain ack, else a positive errno
    std::uint32_t seq = 0;             // the sequence number of the request it answers
    std::string kernel_message;        // NLMSGERR_ATTR_MSG, if the kernel explained
    long bad_attribute_offset = -1;    // NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request
    std::uint32_t missing_attribute = 0;  // NLMSGERR_ATTR_MISS_TYPE, 0 when none

    NSNET_LAZY Error to_error(std::string operation, std::string object) const;
};

// The kernel's error codes are 0 or -1..-4095 (-MAX_ERRNO); anything else is not an answer.
NSNET_LAZY NSNET_DECL int ack_errno(int code, const char* what);

// Decodes an NLMSG_ERROR message, including extended-ack TLVs. Throws on malformed input.
NSNET_LAZY NSNET_DECL AckInfo parse_ack(const MessageView& m);

// NLMSG_DONE may carry a status (and, since 4.20-ish, ext-ack TLVs) when a dump failed midway.
NSNET_LAZY NSNET_DECL AckInfo parse_done(const MessageView& m);

// A callback to keep (e.g. in an options struct).
using MessageCallback = std::function<void(const MessageView&)>;
// What request() and dump() take: any callable (a lambda, a MessageCallback), referred to only for
// the duration of the call (detail::FunctionRef: no std::function is built per lambda).
using MessageHandler = detail::FunctionRef<void(const MessageView&)>;

// Sends `msg` with NLM_F_ACK and waits for the kernel's answer. Every reply message before the
// ack (a GET's answer, an NLM_F_ECHO) is passed to on_reply. Throws Error(operation, object) with
// the kernel's explanation if it refused. A failure after the send (a receive error, a malformed
// reply) is thrown with outcome_unknown() set: the kernel may have applied the request.
NSNET_LAZY NSNET_DECL void request(Socket& sock, MessageBuilder& msg, const std::string& operation, const std::string& object,
                        MessageHandler on_reply = {});

// As request(), but a refusal by the kernel is returned (AckInfo::error set), not thrown: for
// callers to whom a refusal is an answer (a look-up of a link that may not exist), since throwing
// costs more than the request. Receive failures are still thrown, with outcome_unknown() set.
NSNET_LAZY NSNET_DECL AckInfo request_ack(Socket& sock, MessageBuilder& msg, MessageHandler on_reply = {});

struct DumpOptions {
    // Called when the kernel marked the dump inconsistent and it is about to be restarted: drop
    // what was collected so far. Without it, an interrupted dump throws Error(EINTR).
    std::function<void()> on_restart;
    int max_attempts = default_max_attempts;
    static constexpr int default_max_attempts = 10;
};

}  // namespace nsnet::nl

namespace nsnet::detail {
// nl::dump() with on_restart as a FunctionRef (empty: an interrupted dump throws EINTR).
NSNET_LAZY NSNET_DECL void dump_with(nl::Socket& sock, nl::MessageBuilder& msg, const std::string& operation,
                          nl::MessageHandler on_message, FunctionRef<void()> on_restart, int max_attempts);

// A decoder's result that may be empty (std::optional): dump_collect skips the empty ones.
template <class R>
concept MaybeEmpty = requires(R r) {
    r.has_value();
    *r;
};

// What dump_collect collects of a decoder returning R: the value inside an optional, else R.
template <class R>
struct DumpItem {
    using type = R;
};
template <MaybeEmpty R>
struct DumpItem<R> {
    using type = std::remove_cvref_t<decltype(*std::declval<R>())>;
};
template <class Decode>
using DumpItemOf = typename DumpItem<std::invoke_result_t<Decode&, const nl::MessageView&>>::type;
}  // namespace nsnet::detail

namespace nsnet::nl {

// Sends a dump request and streams every message to on_message. See the file comment for
// NLM_F_DUMP_INTR handling.
NSNET_LAZY inline void dump(Socket& sock, MessageBuilder& msg, const std::string& operation, MessageHandler on_message,
                 const DumpOptions& options = {}) {
    detail::dump_with(sock, msg, operation, on_message, options.on_restart, options.max_attempts);
}

// Decodes each dumped message with `decode` (which may return std::optional to skip some) and
// collects the results; an interrupted dump is restarted transparently. (The return type is spelt
// out: an `auto` one would make GCC compile this body, and the decoder's, wherever a lazy body
// names the call, called or not.)
template <class Decode>
std::vector<detail::DumpItemOf<Decode>> dump_collect(Socket& sock, MessageBuilder& msg, const std::string& operation,
                                                     Decode&& decode) {
    std::vector<detail::DumpItemOf<Decode>> out;
    detail::dump_with(
        sock, msg, operation,
        [&](const MessageView& m) {
            if constexpr (detail::MaybeEmpty<std::invoke_result_t<Decode&, const MessageView&>>) {
                if (auto v = decode(m)) out.push_back(std::move(*v));
            } else {
                out.push_back(decode(m));
            }
        },
        [&] { out.clear(); }, DumpOptions::default_max_attempts);
    return out;
}

// Many requests sent in as few system calls as the socket buffers allow, each answered separately.
//
//   nl::Batch batch;
//   for (auto& r : routes) batch.add(rtnl::route_new(r), "add route", r.dst.to_string());
//   batch.run_or_throw(sock);      // or: auto outcomes = batch.run(sock);
//
// Requests go out in windows, one sendmsg each. The kernel handles a window's requests one after the
// other inside that sendmsg and queues their acks on the socket; a full receive queue would make it
// drop acks (and leave the socket "congested", dropping more), so a window never holds more requests
// than the receive queue has room for acks: the queue is grown first (SO_RCVBUFFORCE when
// privileged) and the window sized from what the kernel granted. Acks are then read up to 16 per
// system call (recvmmsg).
class Batch {
public:
    enum class AckMode {
        Each,       // every request is acked: run() reports success or failure for each
        ErrorsOnly  // only failures (and the last request of each window) are acked: the kernel
                    // handles a window in order, so once the last ack is in, silence means success.
                    // run() still reports every failure against its request; about 40% less CPU
                    // per request than Each (no ack to build, queue, read and free)
    };
    struct Outcome {
        std::size_t index = 0;  // position in the batch
        AckInfo ack;            // ack.error == 0: applied
        bool answered = false;  // false only in ErrorsOnly mode for requests that succeeded silently
    };

    // Receive-queue room reserved per request in flight. A capped ack, even an error with an
    // extended-ack message, is one skb of ~768 bytes truesize (measured: a 212,992-byte queue
    // holds 277 of them); the rest is margin.
    static constexpr std::size_t ack_room = 1024;

    // Appends a finished request; operation/object name it in errors.
    NSNET_LAZY std::size_t add(const MessageBuilder& msg, std::string operation, std::string object);
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    NSNET_LAZY void clear() noexcept;
    NSNET_LAZY void reserve(std::size_t requests, std::size_t bytes);
    const std::string& operation(std::size_t i) const { return labels_.at(entries_.at(i).label).first; }
    const std::string& object(std::size_t i) const { return labels_.at(entries_.at(i).label).second; }

    // Maximum requests in flight at once (it is lowered further if the receive queue cannot hold
    // that many acks).
    void set_window(std::size_t requests) { window_ = requests ? requests : 1; }

    // Sends everything and returns one Outcome per request (in order). Throws only when the socket
    // itself fails; refusals are in the outcomes. Requests after a refused one are still sent.
    NSNET_LAZY std::vector<Outcome> run(Socket& sock, AckMode mode = AckMode::Each);
    // Like run(), but returns only the refused requests' outcomes (memory: one per refusal, not
    // one per request).
    NSNET_LAZY std::vector<Outcome> run_failures(Socket& sock, AckMode mode = AckMode::ErrorsOnly);
    // Sends everything; on_ack(index, const AckInfo&) is called for every answer (every request in
    // Each mode; refusals and window ends in ErrorsOnly mode), in the order they arrive.
    template <class OnAck>
    void run_each(Socket& sock, AckMode mode, OnAck&& on_ack) {
        if (entries_.empty()) return;
        const Limits lim = limits(sock);
        for (std::size_t first = 0; first < entries_.size();) {
            // As many requests as the receive queue has ack room for and one sendmsg can carry.
            std::size_t last = first + 1;
            const std::size_t start = entries_[first].offset;
            while (last < entries_.size() &&
                   lim.fits(last - first + 1, entries_[last].offset + entries_[last].size - start))
                ++last;
            run_window(sock, mode, first, last, on_ack);
            first = last;
        }
    }

    // run(), then throws the first refusal as an Error naming its request's operation and object.
    NSNET_LAZY void run_or_throw(Socket& sock, AckMode mode = AckMode::Each);

private:
    friend class BatchStream;

    // 16 bytes per request: the names for errors live once in labels_, shared by consecutive
    // requests that have the same ones (apply_routes: 10,000 routes, one label).
    struct Entry {
        std::size_t offset;
        std::uint32_t size, label;
    };
    struct Limits {
        std::size_t requests, bytes;
        // Whether a window of `n` requests and `size` bytes may go out in one sendmsg. Callers ask
        // only about a window's second request on: the first goes whatever its size (the kernel is
        // the one to refuse it).
        bool fits(std::size_t n, std::size_t size) const noexcept { return n <= requests && size <= bytes; }
    };

    NSNET_LAZY Limits limits(Socket& sock);

    template <class OnAck>
    void run_window(Socket& sock, AckMode mode, std::size_t first, std::size_t last, OnAck& deliver) {
        // Stamp sequence numbers and ack flags, then send the window in one sendmsg.
        const std::uint32_t base = sock.reserve_seqs(static_cast<std::uint32_t>(last - first));
        for (std::size_t i = first; i < last; ++i) {
            auto* h = reinterpret_cast<nlmsghdr*>(bytes_.data() + entries_[i].offset);
            h->nlmsg_seq = base + static_cast<std::uint32_t>(i - first);
            bool ack = mode == AckMode::Each || i + 1 == last;
            h->nlmsg_flags = static_cast<std::uint16_t>(ack ? (h->nlmsg_flags | NLM_F_ACK) : (h->nlmsg_flags & ~NLM_F_ACK));
        }
        std::size_t begin = entries_[first].offset;
        std::size_t end = entries_[last - 1].offset + entries_[last - 1].size;
        sock.send_bytes(Bytes(bytes_.data() + begin, end - begin));

        std::size_t pending = mode == AckMode::Each ? last - first : 1;
        const std::uint32_t last_seq = base + static_cast<std::uint32_t>(last - 1 - first);
        answered_.assign(last - first, false);
        auto on_ack = [&](std::uint32_t seq, const AckInfo& ack) {
            std::uint32_t idx = seq - base;
            if (idx >= last - first || answered_[idx]) return;  // not ours (stale), or a duplicate
            answered_[idx] = true;
            deliver(first + idx, ack);
            if (mode == AckMode::Each || seq == last_seq) --pending;
        };
        auto on_datagram = [&](Bytes data, bool truncated) {
            if (truncated) {
                // An ack too large for its slot (an uncapped echo of a big request): its header and
                // errno are intact, only the extended-ack text is lost.
                nlmsghdr h;
                int err;
                if (data.size() < sizeof h + sizeof err) return;
                std::memcpy(&h, data.data(), sizeof h);
                std::memcpy(&err, data.data() + sizeof h, sizeof err);
                if (h.nlmsg_type != NLMSG_ERROR) return;
                AckInfo a;
                a.error = -err;
                a.seq = h.nlmsg_seq;
                on_ack(h.nlmsg_seq, a);
                return;
            }
            for (MessageView m : MessageRange(data))
                if (m.type() == NLMSG_ERROR) on_ack(m.seq(), parse_ack(m));
        };
        while (pending) {
            try {
                sock.receive_many(on_datagram, 16);
            } catch (const Error& e) {
                if (e.errnum() != ENOBUFS) throw;
                // The kernel dropped acks (the queue was shared with something else, or smaller than
                // it claimed). Drain it so the socket stops being "congested" for the next user.
                try {
                    while (!sock.receive(true).empty()) {}
                } catch (const Error&) {}
                throw Error(ENOBUFS, operation(first), object(first), {},
                            "the kernel dropped acknowledgements of a batch window (requests " + std::to_string(first) +
                                ".." + std::to_string(last - 1) + "): their outcome is unknown");
            }
        }
    }

    std::vector<std::byte> bytes_;
    std::vector<Entry> entries_;
    std::vector<std::pair<std::string, std::string>> labels_;  // (operation, object)
    std::vector<bool> answered_;  // per request of the window in flight
    std::size_t window_ = 512;
    int tuned_fd_ = -1;
};

// A Batch that does not wait for the end: a window goes out as soon as it is full, and its buffer is
// reused for the next one. The memory held is one window's (at most 512 requests) however many
// requests pass through, and the caller need not hold them all either: apply_routes() of a million
// routes built one at a time touches the same few pages over and over instead of a fresh buffer per
// hundred requests.
//
//   auto on_answer = [&](std::size_t i, const AckInfo& a) { if (a.error) refused.push_back(i); };
//   nl::BatchStream stream(sock, Batch::AckMode::ErrorsOnly, on_answer);
//   for (...) stream.add(rtnl::route_new(r), "add route", {});   // may send the window before it
//   stream.finish();                                               // sends the rest, reads its answers
//
// on_answer(index, ack) is called for the answers of a window when it is sent (index counts from 0
// over the whole stream): every request in Each mode, refusals and the window's last request in
// ErrorsOnly mode. It runs inside add() or finish(), before the window is dropped: a caller that
// names refused requests keeps what it needs of the current window only (apply_routes keeps the
// window's routes, from stream index sent() on, and drops them when sent() moves).
class BatchStream {
public:
    // Called with each answer's stream index and the ack (see above).
    using OnAnswer = detail::FunctionRef<void(std::size_t index, const AckInfo& ack)>;

    // window: the most requests per window (lowered, as in Batch, to what the receive queue holds).
    // on_answer is referred to, not copied: it must outlive the stream (a named lambda).
    BatchStream(Socket& sock, Batch::AckMode mode, OnAnswer on_answer, std::size_t window = 512);
    // A temporary callable would be gone before the first answer: refused at compile time.
    template <class F>
        requires(!std::is_lvalue_reference_v<F> && !std::is_same_v<std::remove_cvref_t<F>, OnAnswer>)
    BatchStream(Socket&, Batch::AckMode, F&&, std::size_t = 512) = delete;

    // Appends a request; if the window is full, sends it first. Returns the request's stream index.
    NSNET_LAZY std::size_t add(const MessageBuilder& msg, std::string operation, std::string object);
    // Sends what is queued and waits for its answers. The stream can be added to again afterwards.
    NSNET_LAZY void finish();

    std::size_t size() const noexcept { return sent_ + batch_.size(); }  // requests added so far
    std::size_t sent() const noexcept { return sent_; }  // requests sent: the stream index of the first queued

private:
    NSNET_LAZY void send_window();

    Socket& sock_;
    Batch::AckMode mode_;
    OnAnswer on_answer_;
    Batch batch_;
    Batch::Limits limits_{};
    std::size_t sent_ = 0;
};

}  // namespace nsnet::nl

#if NSNET_DEFINITIONS
#include "nsnet/impl/nl/transact.ipp"
#endif
