// nsnet/impl/nft/batch.ipp — the function bodies of <nsnet/nft/batch.hpp>.
//
// Included at the end of nsnet/nft/batch.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nft {

NSNET_LAZY_DEFINITION NSNET_DECL std::string family_name(TableFamily f) {
    switch (f) {
        case TableFamily::Ip: return "ip";
        case TableFamily::Ip6: return "ip6";
        case TableFamily::Inet: return "inet";
    }
    return "family " + std::to_string(static_cast<unsigned>(f));
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder make_message(std::uint8_t nft_msg, std::uint16_t flags, TableFamily family) {
    nl::MessageBuilder m(message_type(nft_msg), flags);
    nfgenmsg g{};
    g.nfgen_family = static_cast<std::uint8_t>(family);
    g.version = NFNETLINK_V0;
    g.res_id = 0;
    m.put_header(g);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder generation_get() {
    // As nft sends it: nfgen_family AF_UNSPEC (the generation is the namespace's, not a family's).
    nl::MessageBuilder m(message_type(NFT_MSG_GETGEN), 0);
    nfgenmsg g{};
    g.nfgen_family = AF_UNSPEC;
    g.version = NFNETLINK_V0;
    m.put_header(g);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::uint32_t> GenerationDecoder::operator()(const nl::MessageView& m) const {
    if (nft_message(m) != NFT_MSG_NEWGEN) return std::nullopt;
    nl::AttrTable<NFTA_GEN_MAX> a(m.attrs<nfgenmsg>());
    if (!a[NFTA_GEN_ID]) return std::nullopt;
    return a[NFTA_GEN_ID]->be32();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t read_generation(nl::Socket& sock) {
    auto msg = generation_get();
    std::optional<std::uint32_t> generation;
    nl::request(sock, msg, "get nf_tables generation", {}, [&](const nl::MessageView& m) {
        if (auto g = decode_generation(m)) generation = g;
    });
    if (!generation) throw Error(EBADMSG, "get nf_tables generation", {}, {}, "the kernel's answer held no NFTA_GEN_ID");
    return *generation;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::uint8_t> nft_message(const nl::MessageView& m) noexcept {
    if ((m.type() >> 8) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
    return static_cast<std::uint8_t>(m.type() & 0xff);
}

NSNET_LAZY_DEFINITION NSNET_DECL TableFamily message_family(const nl::MessageView& m) {
    return static_cast<TableFamily>(m.family_header<nfgenmsg>().nfgen_family);
}

NSNET_LAZY_DEFINITION NSNET_DECL void validate_name(std::string_view name, std::string_view what, std::string_view operation) {
    if (name.empty()) invalid_argument(std::string(operation), std::string(name), std::string(what) + " name is empty");
    if (name.size() >= NFT_NAME_MAXLEN)
        invalid_argument(std::string(operation), std::string(name),
                         std::string(what) + " name is " + std::to_string(name.size()) +
                             " bytes; nf_tables allows at most " + std::to_string(NFT_NAME_MAXLEN - 1));
    if (name.find('\0') != std::string_view::npos)
        invalid_argument(std::string(operation), std::string(name), std::string(what) + " name contains a NUL byte");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::size_t> BatchResult::failed() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < messages.size(); ++i)
        if (messages[i].ack.error) out.push_back(i);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL Error BatchResult::error() const {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Batch::add(const nl::MessageBuilder& msg, std::string operation, std::string object) {
    Entry e;
    e.bytes.assign(msg.bytes().begin(), msg.bytes().end());
    e.operation = std::move(operation);
    e.object = std::move(object);
    entries_.push_back(std::move(e));
    return entries_.size() - 1;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::byte> Batch::encode(std::uint32_t first_seq, bool ack) const {
    std::vector<std::byte> out;
    append_control(out, NFNL_MSG_BATCH_BEGIN, first_seq, generation_);
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

NSNET_LAZY_DEFINITION NSNET_DECL BatchResult Batch::run(nl::Socket& sock) const {
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

NSNET_LAZY_DEFINITION NSNET_DECL BatchResult Batch::run_or_throw(nl::Socket& sock) const {
    BatchResult r = run(sock);
    r.throw_if_failed();
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Batch::append_control(std::vector<std::byte>& out, std::uint16_t type, std::uint32_t seq,
                                      std::optional<std::uint32_t> generation) {
    nlmsghdr h{};
    const std::size_t genid_len = generation ? sizeof(nlattr) + sizeof(std::uint32_t) : 0;
    h.nlmsg_len = static_cast<std::uint32_t>(sizeof(nlmsghdr) + sizeof(nfgenmsg) + genid_len);
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
    if (generation) {
        nlattr a{};
        a.nla_len = static_cast<std::uint16_t>(genid_len);
        a.nla_type = NFNL_BATCH_GENID;
        const std::uint32_t be = htonl(*generation);
        p = reinterpret_cast<const std::byte*>(&a);
        out.insert(out.end(), p, p + sizeof a);
        p = reinterpret_cast<const std::byte*>(&be);
        out.insert(out.end(), p, p + sizeof be);
    }
}

}  // namespace nsnet::nft
