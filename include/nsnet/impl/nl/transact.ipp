// nsnet/impl/nl/transact.ipp — the function bodies of <nsnet/nl/transact.hpp>.
//
// Included at the end of nsnet/nl/transact.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nl {

NSNET_LAZY_DEFINITION NSNET_DECL Error AckInfo::to_error(std::string operation, std::string object) const {
    std::string detail;
    if (missing_attribute) detail = "kernel says attribute " + std::to_string(missing_attribute) + " is missing";
    Error e(error, std::move(operation), std::move(object), kernel_message, std::move(detail));
    if (bad_attribute_offset >= 0) e.set_bad_attribute_offset(bad_attribute_offset);
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL int ack_errno(int code, const char* what) {
    if (code > 0 || code < -4095) malformed(std::string(what) + " carries error code " + std::to_string(code));
    return -code;
}

NSNET_LAZY_DEFINITION NSNET_DECL AckInfo parse_ack(const MessageView& m) {
    auto err = m.family_header<nlmsgerr>();
    AckInfo info;
    info.error = ack_errno(err.error, "NLMSG_ERROR");
    info.seq = err.msg.nlmsg_seq;
    if (m.flags() & NLM_F_ACK_TLVS) {
        // Without NLM_F_CAPPED the kernel echoes the whole request before the TLVs.
        std::size_t echoed = (m.flags() & NLM_F_CAPPED) ? sizeof(nlmsghdr) : err.msg.nlmsg_len;
        std::size_t off = sizeof(int) + echoed;
        if (off > m.payload().size()) malformed("error message shorter than the request it echoes");
        // The TLVs start at the next 4-byte boundary; an echo that ends within the last 3 bytes
        // leaves none (subspan past the end would be undefined).
        for (Attr a : AttrRange(m.payload().subspan(std::min(align(off), m.payload().size())))) {
            switch (a.type()) {
                case NLMSGERR_ATTR_MSG: info.kernel_message = std::string(a.str()); break;
                case NLMSGERR_ATTR_OFFS: info.bad_attribute_offset = static_cast<long>(a.u32()); break;
#ifdef NLMSGERR_ATTR_MISS_TYPE
                case NLMSGERR_ATTR_MISS_TYPE: info.missing_attribute = a.u32(); break;
#endif
                default: break;  // cookies, policies: not used
            }
        }
    }
    return info;
}

NSNET_LAZY_DEFINITION NSNET_DECL AckInfo parse_done(const MessageView& m) {
    AckInfo info;
    info.seq = m.seq();
    if (m.payload().size() >= sizeof(int)) {
        int status;
        std::memcpy(&status, m.payload().data(), sizeof status);
        info.error = status < 0 ? ack_errno(status, "NLMSG_DONE") : 0;
        if ((m.flags() & NLM_F_ACK_TLVS) && m.payload().size() > sizeof(int)) {
            for (Attr a : AttrRange(m.payload().subspan(align(sizeof(int)))))
                if (a.type() == NLMSGERR_ATTR_MSG) info.kernel_message = std::string(a.str());
        }
    }
    return info;
}

NSNET_LAZY_DEFINITION NSNET_DECL AckInfo request_ack(Socket& sock, MessageBuilder& msg, MessageHandler on_reply) {
    msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_ACK));
    std::uint32_t seq = sock.send(msg);
    try {
        for (;;) {
            Bytes data = sock.receive();
            for (MessageView m : MessageRange(data)) {
                if (m.seq() != seq || (m.pid() != sock.port_id() && m.pid() != 0)) continue;  // stale
                if (m.type() == NLMSG_ERROR) return parse_ack(m);
                if (m.type() == NLMSG_NOOP || m.type() == NLMSG_OVERRUN) continue;
                if (on_reply) on_reply(m);
            }
        }
    } catch (Error& e) {
        e.set_outcome_unknown();
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void request(Socket& sock, MessageBuilder& msg, const std::string& operation, const std::string& object,
                        MessageHandler on_reply) {
    AckInfo ack = request_ack(sock, msg, on_reply);
    if (ack.error) throw ack.to_error(operation, object);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Batch::add(const MessageBuilder& msg, std::string operation, std::string object) {
    if (labels_.empty() || labels_.back().first != operation || labels_.back().second != object)
        labels_.emplace_back(std::move(operation), std::move(object));
    Entry e{bytes_.size(), static_cast<std::uint32_t>(msg.size()), static_cast<std::uint32_t>(labels_.size() - 1)};
    bytes_.insert(bytes_.end(), msg.bytes().begin(), msg.bytes().end());
    entries_.push_back(e);
    return entries_.size() - 1;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Batch::clear() noexcept {
    bytes_.clear();
    entries_.clear();
    labels_.clear();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Batch::reserve(std::size_t requests, std::size_t bytes) {
    entries_.reserve(requests);
    bytes_.reserve(bytes);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<Batch::Outcome> Batch::run(Socket& sock, AckMode mode) {
    std::vector<Outcome> out(entries_.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i].index = i;
    run_each(sock, mode, [&](std::size_t i, const AckInfo& ack) {
        out[i].ack = ack;
        out[i].answered = true;
    });
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<Batch::Outcome> Batch::run_failures(Socket& sock, AckMode mode) {
    std::vector<Outcome> out;
    run_each(sock, mode, [&](std::size_t i, const AckInfo& ack) {
        if (ack.error) out.push_back(Outcome{i, ack, true});
    });
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Batch::run_or_throw(Socket& sock, AckMode mode) {
    for (const Outcome& o : run(sock, mode))
        if (o.ack.error) throw o.ack.to_error(operation(o.index), object(o.index));
}

NSNET_LAZY_DEFINITION NSNET_DECL Batch::Limits Batch::limits(Socket& sock) {
    if (sock.fd() != tuned_fd_) {
        // Room for a full window of acks, and a send buffer that takes a window in one sendmsg.
        try { sock.set_receive_buffer(static_cast<int>(window_ * ack_room)); } catch (const Error&) {}
        if (sock.send_buffer() < 256 * 1024)
            try { sock.set_send_buffer(256 * 1024); } catch (const Error&) {}
        tuned_fd_ = sock.fd();
    }
    // The kernel reports the doubled value it accounts against (truesize); our estimate is of truesize.
    const int rcv = sock.receive_buffer(), snd = sock.send_buffer();
    Limits lim{window_, SIZE_MAX};
    if (rcv > 0) lim.requests = std::clamp<std::size_t>(static_cast<std::size_t>(rcv) / ack_room, 1, window_);
    // netlink_sendmsg refuses a datagram larger than the send buffer minus 32 bytes.
    if (snd > 64) lim.bytes = static_cast<std::size_t>(snd) - 64;
    return lim;
}

NSNET_DECL BatchStream::BatchStream(Socket& sock, Batch::AckMode mode, OnAnswer on_answer, std::size_t window)
    : sock_(sock), mode_(mode), on_answer_(on_answer) {
    batch_.set_window(window);
    limits_ = batch_.limits(sock);
    batch_.reserve(limits_.requests, std::min<std::size_t>(limits_.bytes, 64 * 1024));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t BatchStream::add(const MessageBuilder& msg, std::string operation, std::string object) {
    if (!batch_.empty() && !limits_.fits(batch_.size() + 1, batch_.bytes_.size() + msg.size())) send_window();
    return sent_ + batch_.add(msg, std::move(operation), std::move(object));
}

NSNET_LAZY_DEFINITION NSNET_DECL void BatchStream::finish() {
    if (!batch_.empty()) send_window();
}

NSNET_LAZY_DEFINITION NSNET_DECL void BatchStream::send_window() {
    // Counted as sent before the answers are read: a throw (the socket failed) must not make the
    // next add() resend this window.
    const std::size_t first = sent_;
    sent_ += batch_.size();
    auto deliver = [&](std::size_t i, const AckInfo& ack) { on_answer_(first + i, ack); };
    try {
        // add() kept the queue within limits_: it is one window, sent as it is (no second split,
        // no second reading of the socket's buffer sizes).
        batch_.run_window(sock_, mode_, 0, batch_.size(), deliver);
    } catch (...) {
        batch_.clear();
        throw;
    }
    batch_.clear();
}

}  // namespace nsnet::nl

namespace nsnet::detail {

NSNET_LAZY_DEFINITION NSNET_DECL void dump_with(nl::Socket& sock, nl::MessageBuilder& msg, const std::string& operation,
                          nl::MessageHandler on_message, FunctionRef<void()> on_restart, int max_attempts) {
    using namespace nsnet::nl;
    msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_DUMP));
    for (int attempt = 1;; ++attempt) {
        std::uint32_t seq = sock.send(msg);
        bool interrupted = false, done = false;
        while (!done) {
            Bytes data = sock.receive();
            for (MessageView m : MessageRange(data)) {
                if (m.seq() != seq || (m.pid() != sock.port_id() && m.pid() != 0)) continue;
                if (m.flags() & NLM_F_DUMP_INTR) interrupted = true;
                if (m.type() == NLMSG_DONE) {
                    AckInfo st = parse_done(m);
                    if (st.error) throw st.to_error(operation, {});
                    done = true;
                    break;
                }
                if (m.type() == NLMSG_ERROR) {
                    AckInfo ack = parse_ack(m);
                    if (ack.error) throw ack.to_error(operation, {});
                    continue;  // an ack inside a dump (NLM_F_ACK set by the caller): ignore
                }
                if (m.type() == NLMSG_NOOP || m.type() == NLMSG_OVERRUN) continue;
                on_message(m);
            }
        }
        if (!interrupted) return;
        if (!on_restart || attempt >= max_attempts)
            throw Error(EINTR, operation, {}, {},
                        "the kernel marked the dump inconsistent (NLM_F_DUMP_INTR) " + std::to_string(attempt) +
                            " time(s): the table changed while it was read");
        on_restart();
    }
}

}  // namespace nsnet::detail
