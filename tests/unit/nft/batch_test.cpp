// Unit tests for include/nsnet/nft/batch.hpp: the framing equals nft's (BEGIN/END with res_id
// NFNL_SUBSYS_NFTABLES, consecutive sequence numbers), and run() reads every answer the kernel
// queued — fed canned answers over a socketpair — and reports each refusal against its message.
#include "nsnet/nft/batch.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "golden.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"

using namespace nsnet;
using namespace nsnet::test;

namespace {

constexpr std::uint32_t kPort = 5151;

// `sock` is nsnet's end; the test writes the kernel's answers into `kernel`. A for_testing socket
// starts its sequence counter at 0, so a batch of n messages is numbered 1 (BEGIN) .. n+2 (END).
struct FakeKernel {
    nl::Socket sock;
    int kernel = -1;
    FakeKernel() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
        sock = nl::Socket::for_testing(detail::UniqueFd(sv[0]), kPort, NETLINK_NETFILTER);
        kernel = sv[1];
    }
    ~FakeKernel() { ::close(kernel); }
    void answer(const nl::MessageBuilder& m) const {
        REQUIRE(::send(kernel, m.bytes().data(), m.size(), 0) == static_cast<ssize_t>(m.size()));
    }
    std::vector<std::byte> sent() const {
        std::vector<std::byte> buf(65536);
        ssize_t n = ::recv(kernel, buf.data(), buf.size(), MSG_DONTWAIT);
        buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return buf;
    }
};

// NLMSG_ERROR as the kernel sends it (capped, with ext-ack TLVs when there is text).
nl::MessageBuilder ack(std::uint32_t seq, int error, const std::string& text = {}) {
    nl::MessageBuilder m(NLMSG_ERROR, NLM_F_CAPPED | (text.empty() ? 0 : NLM_F_ACK_TLVS));
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    nlmsgerr e{};
    e.error = -error;
    e.msg.nlmsg_len = 16;
    e.msg.nlmsg_seq = seq;
    m.put_header(e);
    if (!text.empty()) m.put_string(NLMSGERR_ATTR_MSG, text);
    return m;
}

// The kernel's NLM_F_ECHO copy of a new rule, with its handle.
nl::MessageBuilder echo_rule(std::uint32_t seq, std::uint64_t handle) {
    nl::MessageBuilder m = nft::make_message(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, nft::TableFamily::Ip);
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    m.put_string(NFTA_RULE_TABLE, "nsnet");
    m.put_string(NFTA_RULE_CHAIN, "forward");
    m.put(NFTA_RULE_HANDLE, __builtin_bswap64(handle));
    return m;
}

nft::Rule drop_rule() {
    nft::Rule r;
    r.table = "nsnet";
    r.chain = "forward";
    r.exprs.push_back(nft::verdict(nft::Verdict::Drop));
    return r;
}

nft::Batch three() {
    nft::Batch b;
    nft::Table t;
    t.name = "nsnet";
    b.add(nft::table_new(t), "add table", "ip nsnet");
    b.add(nft::rule_new(drop_rule(), {.echo = true}), "add rule", "ip nsnet forward: drop");
    b.add(nft::rule_new(drop_rule()), "add rule", "ip nsnet forward: second drop");
    return b;
}

}  // namespace

TEST_CASE("framing: BEGIN and END carry res_id NFNL_SUBSYS_NFTABLES, messages are numbered in order") {
    nft::Batch b = three();
    ByteVec w = to_vec(b.encode(100, false));
    nl::Bytes all = as_bytes(w);
    std::vector<std::pair<std::uint16_t, std::uint32_t>> seen;
    for (nl::MessageView m : nl::MessageRange(all)) {
        seen.emplace_back(m.type(), m.seq());
        CHECK(m.pid() == 0);
        CHECK((m.flags() & NLM_F_ACK) == 0);
        if (m.type() == NFNL_MSG_BATCH_BEGIN || m.type() == NFNL_MSG_BATCH_END) {
            auto g = m.family_header<nfgenmsg>();
            CHECK(g.nfgen_family == AF_UNSPEC);
            CHECK(ntohs(g.res_id) == NFNL_SUBSYS_NFTABLES);
            CHECK(m.header().nlmsg_len == 20);
        }
    }
    REQUIRE(seen.size() == 5);
    CHECK(seen[0] == std::make_pair<std::uint16_t, std::uint32_t>(NFNL_MSG_BATCH_BEGIN, 100));
    CHECK(seen[1].second == 101);
    CHECK(seen[3].second == 103);
    CHECK(seen[4] == std::make_pair<std::uint16_t, std::uint32_t>(NFNL_MSG_BATCH_END, 104));
    // With ack (what run() sends) every message but BEGIN/END asks for NLM_F_ACK.
    ByteVec wa = to_vec(b.encode(100, true));
    int i = 0;
    for (nl::MessageView m : nl::MessageRange(as_bytes(wa))) {
        bool control = i == 0 || i == 4;
        CHECK(bool(m.flags() & NLM_F_ACK) == !control);
        ++i;
    }
}

TEST_CASE("what run() sends for the tutorial's masquerade differs from nft's only by NLM_F_ACK|NLM_F_ECHO") {
    nft::Rule r;
    r.table = "nsnet";
    r.chain = "postrouting";
    nft::detail::append(r.exprs, nft::match_saddr(Prefix::parse("172.17.0.0/16")));
    nft::detail::append(r.exprs, nft::match_oifname("docker0", true));
    nft::detail::append(r.exprs, nft::masquerade());
    nft::Batch b;
    b.add(nft::rule_new(r, {.echo = true}), "add rule", "masquerade");
    ByteVec got = to_vec(b.encode(0, true));
    ByteVec want = golden_bytes("nft_rule_masquerade");
    REQUIRE(got.size() == want.size());
    // The NEWRULE's nlmsg_flags are bytes 26-27 (BEGIN is 20 bytes; flags at +6).
    CHECK(got[26] == (want[26] | NLM_F_ACK | NLM_F_ECHO));
    got[26] = want[26];
    CHECK_MESSAGE(got == want, first_difference(got, want));
}

TEST_CASE("run: every message acked -> applied; echo copies are kept with their message") {
    FakeKernel k;
    nft::Batch b = three();
    // Answers the kernel queues during sendmsg: seq 1 = BEGIN, 2..4 = messages, 5 = END.
    k.answer(ack(2, 0));
    k.answer(echo_rule(3, 77));
    k.answer(ack(3, 0));
    k.answer(ack(4, 0));
    k.answer(ack(999, EINVAL, "stale answer to an older request"));  // ignored
    nft::BatchResult r = b.run(k.sock);
    CHECK(r.applied);
    CHECK_FALSE(r.batch_error);
    REQUIRE(r.messages.size() == 3);
    for (auto& m : r.messages) CHECK(m.answered);
    REQUIRE(r.messages[1].replies.size() == 1);
    auto& rep = r.messages[1].replies[0];
    nft::Rule echoed = nft::decode_rule(nl::MessageView(nl::Bytes(rep.data(), rep.size())));
    CHECK(echoed.handle == std::optional<std::uint64_t>(77));
    CHECK(r.messages[0].replies.empty());
    // It sent exactly encode(1, ack=true), in one datagram.
    CHECK(to_vec(k.sent()) == to_vec(b.encode(1, true)));
    CHECK(k.sent().empty());
}

TEST_CASE("run: one refused message -> nothing applied; the error names that message and the kernel's text") {
    FakeKernel k;
    nft::Batch b = three();
    k.answer(ack(2, 0));
    k.answer(ack(3, ENOENT, "No such chain"));
    k.answer(ack(4, EOPNOTSUPP));
    nft::BatchResult r = b.run(k.sock);
    CHECK_FALSE(r.applied);
    CHECK(r.failed() == std::vector<std::size_t>{1, 2});
    Error e = r.error();
    CHECK(e.errnum() == ENOENT);
    CHECK(e.operation() == "add rule");
    CHECK(e.object() == "ip nsnet forward: drop");
    CHECK(e.kernel_message() == "No such chain");
    CHECK(e.detail().find("rolled back: nothing was applied") != std::string::npos);
    CHECK(e.detail().find("also refused: add rule 'ip nsnet forward: second drop'") != std::string::npos);
    CHECK_THROWS_AS(r.throw_if_failed(), Error);
    FakeKernel k2;
    k2.answer(ack(2, EEXIST));
    CHECK_THROWS_AS(three().run_or_throw(k2.sock), Error);
}

TEST_CASE("run: a refusal of the whole batch (sent against BEGIN) is reported as such") {
    FakeKernel k;
    nft::Batch b = three();
    k.answer(ack(1, EPERM));
    nft::BatchResult r = b.run(k.sock);
    CHECK_FALSE(r.applied);
    REQUIRE(r.batch_error);
    CHECK(r.failed().empty());
    Error e = r.error();
    CHECK(e.errnum() == EPERM);
    CHECK(e.operation() == "commit nf_tables batch");
}

TEST_CASE("run: an ack for BEGIN/END (newer kernels, when asked) is not mistaken for a message's") {
    FakeKernel k;
    nft::Batch b = three();
    k.answer(ack(1, 0));
    for (std::uint32_t s = 2; s <= 4; ++s) k.answer(ack(s, 0));
    k.answer(ack(5, 0));
    CHECK(b.run(k.sock).applied);
}

TEST_CASE("run: a message the kernel never answered makes the outcome unknown, not a success") {
    FakeKernel k;
    nft::Batch b = three();
    k.answer(ack(2, 0));
    k.answer(ack(4, 0));
    nft::BatchResult r = b.run(k.sock);
    CHECK_FALSE(r.applied);
    CHECK_FALSE(r.messages[1].answered);
    Error e = r.error();
    CHECK(e.errnum() == EPROTO);
    CHECK(e.object() == "ip nsnet forward: drop");
}

TEST_CASE("run: lost answers (ENOBUFS) throw; an empty batch sends nothing") {
    struct Inj : detail::FaultInjector {
        int before(detail::Call c) override { return c == detail::Call::recvmsg ? ENOBUFS : 0; }
    } inj;
    FakeKernel k;
    {
        detail::ScopedFaultInjector scope(inj);
        try {
            three().run(k.sock);
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.errnum() == ENOBUFS);
            CHECK(e.detail().find("outcome of the batch is unknown") != std::string::npos);
        }
    }
    FakeKernel k2;
    nft::Batch empty;
    CHECK(empty.run(k2.sock).applied);
    CHECK(k2.sent().empty());
}

TEST_CASE("generation: GETGEN equals nft's request, NEWGEN is decoded, and BEGIN carries NFNL_BATCH_GENID") {
    // `strace -xx nft list tables`: nft's first request, 20 bytes (seq masked below).
    const ByteVec nft_getgen = {0x14, 0x00, 0x00, 0x00, 0x10, 0x0a, 0x01, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    ByteVec ours = to_vec(nft::generation_get().bytes());
    REQUIRE(ours.size() == nft_getgen.size());
    std::fill(ours.begin() + 8, ours.begin() + 16, std::uint8_t{0});  // seq and pid
    CHECK(ours == nft_getgen);

    // The kernel's answer: NFTA_GEN_ID (big endian), NFTA_GEN_PROC_PID, NFTA_GEN_PROC_NAME.
    nl::MessageBuilder newgen(nft::message_type(NFT_MSG_NEWGEN), 0);
    nfgenmsg g{};
    newgen.put_header(g);
    newgen.put_be32(NFTA_GEN_ID, 0x01020304);
    newgen.put_be32(NFTA_GEN_PROC_PID, 77);
    newgen.put_string(NFTA_GEN_PROC_NAME, "nft");
    CHECK(nft::decode_generation(nl::MessageView(newgen.bytes())) == 0x01020304u);
    nl::MessageBuilder other = nft::make_message(NFT_MSG_NEWTABLE, 0, nft::TableFamily::Ip);
    CHECK_FALSE(nft::decode_generation(nl::MessageView(other.bytes())));
    nl::MessageBuilder short_id(nft::message_type(NFT_MSG_NEWGEN), 0);
    short_id.put_header(g);
    short_id.put_u16(NFTA_GEN_ID, 1);
    CHECK_THROWS_AS((void)nft::decode_generation(nl::MessageView(short_id.bytes())), Error);

    // A batch with a generation: BEGIN grows by one attribute, NFNL_BATCH_GENID = the generation
    // in network order; every other byte is the same as without it.
    nft::Batch plain = three();
    nft::Batch checked = three();
    CHECK_FALSE(checked.generation());
    checked.set_generation(0x11223344);
    CHECK(checked.generation() == 0x11223344u);
    ByteVec a = to_vec(plain.encode(7, true)), b = to_vec(checked.encode(7, true));
    REQUIRE(b.size() == a.size() + 8);
    const ByteVec genid = {0x08, 0x00, NFNL_BATCH_GENID, 0x00, 0x11, 0x22, 0x33, 0x44};
    CHECK(ByteVec(b.begin() + 20, b.begin() + 28) == genid);
    CHECK(b[0] == 28);  // BEGIN's nlmsg_len
    CHECK(ByteVec(b.begin() + 1, b.begin() + 20) == ByteVec(a.begin() + 1, a.begin() + 20));
    CHECK(ByteVec(b.begin() + 28, b.end()) == ByteVec(a.begin() + 20, a.end()));
}

TEST_CASE("read_generation asks with an ack and returns NFTA_GEN_ID; an answer without one is an error") {
    {
        FakeKernel k;
        nl::MessageBuilder newgen(nft::message_type(NFT_MSG_NEWGEN), 0);
        newgen.header().nlmsg_flags = 0;
        newgen.set_seq(1);
        newgen.header().nlmsg_pid = kPort;
        nfgenmsg g{};
        newgen.put_header(g);
        newgen.put_be32(NFTA_GEN_ID, 4242);
        k.answer(newgen);
        k.answer(ack(1, 0));
        CHECK(nft::read_generation(k.sock) == 4242u);
        std::vector<std::byte> sent = k.sent();
        REQUIRE(sent.size() == 20);
        nl::MessageView m(nl::Bytes(sent.data(), sent.size()));
        CHECK(m.type() == nft::message_type(NFT_MSG_GETGEN));
        CHECK((m.flags() & NLM_F_ACK) != 0);
    }
    {
        FakeKernel k;
        k.answer(ack(1, 0));
        try {
            (void)nft::read_generation(k.sock);
            FAIL("read a generation from an answer without one");
        } catch (const Error& e) {
            CHECK(e.errnum() == EBADMSG);
            CHECK(e.operation() == "get nf_tables generation");
        }
    }
}
