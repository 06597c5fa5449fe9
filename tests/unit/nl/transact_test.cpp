// Unit tests for include/nsnet/nl/transact.hpp and socket.hpp: the request loop, dumps and batches
// fed canned kernel replies over a socketpair, plus injected EINTR / ENOBUFS / truncation.
#include <doctest/doctest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "nsnet/detail/sys.hpp"
#include "nsnet/nl/transact.hpp"

using namespace nsnet;

namespace {

constexpr std::uint32_t kPort = 4242;

// A socketpair: `sock` is what nsnet uses, `kernel` is the end the test writes replies into.
struct FakeKernel {
    nl::Socket sock;
    int kernel = -1;
    FakeKernel() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
        sock = nl::Socket::for_testing(detail::UniqueFd(sv[0]), kPort);
        kernel = sv[1];
    }
    ~FakeKernel() { ::close(kernel); }
    void reply(const std::vector<std::byte>& datagram) const {
        REQUIRE(::send(kernel, datagram.data(), datagram.size(), 0) == static_cast<ssize_t>(datagram.size()));
    }
    // The next request nsnet sent, as bytes.
    std::vector<std::byte> sent() const {
        std::vector<std::byte> buf(65536);
        ssize_t n = ::recv(kernel, buf.data(), buf.size(), MSG_DONTWAIT);
        buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return buf;
    }
};

void append(std::vector<std::byte>& out, const nl::MessageBuilder& m) {
    out.insert(out.end(), m.bytes().begin(), m.bytes().end());
}

// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
nl::MessageBuilder ack(std::uint32_t seq, int error, const std::string& text = {}, int offset = -1) {
    nl::MessageBuilder m(NLMSG_ERROR, NLM_F_CAPPED | ((text.empty() && offset < 0) ? 0 : NLM_F_ACK_TLVS));
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    nlmsgerr e{};
    e.error = -error;
    e.msg.nlmsg_len = 16;
    e.msg.nlmsg_seq = seq;
    e.msg.nlmsg_pid = kPort;
    m.put_header(e);
    if (!text.empty()) m.put_string(NLMSGERR_ATTR_MSG, text);
    if (offset >= 0) m.put_u32(NLMSGERR_ATTR_OFFS, static_cast<std::uint32_t>(offset));
    return m;
}

nl::MessageBuilder link_msg(std::uint32_t seq, int index, std::uint16_t flags = NLM_F_MULTI) {
    nl::MessageBuilder m(RTM_NEWLINK, flags);
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    return m;
}

nl::MessageBuilder done(std::uint32_t seq, std::uint16_t flags = NLM_F_MULTI) {
    nl::MessageBuilder m(NLMSG_DONE, flags);
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    int status = 0;
    m.put_header(status);
    return m;
}

std::vector<std::byte> datagram(std::initializer_list<const nl::MessageBuilder*> msgs) {
    std::vector<std::byte> d;
    for (auto* m : msgs) append(d, *m);
    return d;
}

}  // namespace

TEST_CASE("request: a plain ack succeeds and the request carries NLM_F_ACK and a sequence number") {
    FakeKernel k;
    auto a = ack(1, 0);
    k.reply(datagram({&a}));
    nl::MessageBuilder req(RTM_NEWLINK, 0);
    nl::request(k.sock, req, "set link up", "veth0");
    auto sent = k.sent();
    REQUIRE(sent.size() == 16);
    nl::MessageView v({sent.data(), sent.size()});
    CHECK((v.flags() & NLM_F_ACK));
    CHECK((v.flags() & NLM_F_REQUEST));
    CHECK(v.seq() == 1);
}

TEST_CASE("request: an error carries errno, operation, object and the kernel's extended-ack text") {
    FakeKernel k;
    auto a = ack(1, EINVAL, "mtu greater than device maximum", 20);
    k.reply(datagram({&a}));
    nl::MessageBuilder req(RTM_NEWLINK, 0);
    try {
        nl::request(k.sock, req, "set link mtu", "veth0");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK((e.code() == std::errc::invalid_argument));
        CHECK(e.operation() == "set link mtu");
        CHECK(e.object() == "veth0");
        CHECK(e.kernel_message() == "mtu greater than device maximum");
        CHECK(e.bad_attribute_offset() == 20);
        std::string what = e.what();
        CHECK(what.find("set link mtu 'veth0'") != std::string::npos);
        CHECK(what.find("mtu greater than device maximum") != std::string::npos);
    }
}

TEST_CASE("request: replies to other sequence numbers are stale and skipped; replies reach the callback") {
    FakeKernel k;
    auto stale = ack(99, EEXIST);
    auto reply = link_msg(1, 3, 0);
    auto a = ack(1, 0);
    k.reply(datagram({&stale}));
    k.reply(datagram({&reply, &a}));
    nl::MessageBuilder req(RTM_GETLINK, 0);
    int seen = 0;
    nl::request(k.sock, req, "find link", "x", [&](const nl::MessageView& m) {
        CHECK(m.family_header<ifinfomsg>().ifi_index == 3);
        ++seen;
    });
    CHECK(seen == 1);
}

TEST_CASE("dump: multi-part over several datagrams, ended by NLMSG_DONE") {
    FakeKernel k;
    auto l1 = link_msg(1, 1), l2 = link_msg(1, 2), l3 = link_msg(1, 3);
    auto d = done(1);
    k.reply(datagram({&l1, &l2}));
    k.reply(datagram({&l3, &d}));
    nl::MessageBuilder req(RTM_GETLINK, 0);
    std::vector<int> idx;
    nl::dump(k.sock, req, "list links",
             [&](const nl::MessageView& m) { idx.push_back(m.family_header<ifinfomsg>().ifi_index); });
    CHECK(idx == std::vector<int>{1, 2, 3});
    auto sent = k.sent();
    nl::MessageView v({sent.data(), sent.size()});
    CHECK((v.flags() & NLM_F_DUMP) == NLM_F_DUMP);
}

TEST_CASE("dump: NLM_F_DUMP_INTR restarts the dump after on_restart; without it, EINTR") {
    SUBCASE("restart") {
        FakeKernel k;
        auto l1 = link_msg(1, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        auto d1 = done(1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        auto l2 = link_msg(2, 5), d2 = done(2);
        k.reply(datagram({&l1, &d1}));
        k.reply(datagram({&l2, &d2}));
        nl::MessageBuilder req(RTM_GETLINK, 0);
        std::vector<int> idx;
        int restarts = 0;
        nl::dump(k.sock, req, "list links",
                 [&](const nl::MessageView& m) { idx.push_back(m.family_header<ifinfomsg>().ifi_index); },
                 nl::DumpOptions{.on_restart = [&] { idx.clear(); ++restarts; }});
        CHECK(restarts == 1);
        CHECK(idx == std::vector<int>{5});
    }
    SUBCASE("no restart handler") {
        FakeKernel k;
        auto l1 = link_msg(1, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        auto d1 = done(1);
        k.reply(datagram({&l1, &d1}));
        nl::MessageBuilder req(RTM_GETLINK, 0);
        try {
            nl::dump(k.sock, req, "list links", [](const nl::MessageView&) {});
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.errnum() == EINTR);
        }
    }
    SUBCASE("dump_collect restarts transparently") {
        FakeKernel k;
        auto l1 = link_msg(1, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
        auto d1 = done(1);
        auto l2 = link_msg(2, 7), d2 = done(2);
        k.reply(datagram({&l1, &d1}));
        k.reply(datagram({&l2, &d2}));
        nl::MessageBuilder req(RTM_GETLINK, 0);
        auto v = nl::dump_collect(k.sock, req, "list links",
                                  [](const nl::MessageView& m) { return m.family_header<ifinfomsg>().ifi_index; });
        CHECK(v == std::vector<int>{7});
    }
}

TEST_CASE("dump: an error inside the dump is thrown with the kernel's text") {
    FakeKernel k;
    auto e = ack(1, EOPNOTSUPP, "dump not supported");
    k.reply(datagram({&e}));
    nl::MessageBuilder req(RTM_GETLINK, 0);
    CHECK_THROWS_WITH_AS(nl::dump(k.sock, req, "list links", [](const nl::MessageView&) {}),
                         doctest::Contains("dump not supported"), Error);
}

TEST_CASE("Batch: every request gets its own outcome, matched by sequence number") {
    FakeKernel k;
    nl::Batch batch;
    for (int i = 0; i < 3; ++i) {
        nl::MessageBuilder m(RTM_NEWROUTE, NLM_F_CREATE);
        batch.add(m, "add route", "r" + std::to_string(i));
    }
    // Acks in a different order than the requests, one refusal.
    auto a3 = ack(3, 0), a1 = ack(1, 0), a2 = ack(2, EEXIST, "route exists");
    k.reply(datagram({&a3}));
    k.reply(datagram({&a1, &a2}));
    auto out = batch.run(k.sock);
    REQUIRE(out.size() == 3);
    CHECK(out[0].ack.error == 0);
    CHECK(out[1].ack.error == EEXIST);
    CHECK(out[1].ack.kernel_message == "route exists");
    CHECK(out[2].ack.error == 0);
    // All three requests went out in one sendmsg.
    auto sent = k.sent();
    int n = 0;
    for (nl::MessageView v : nl::MessageRange({sent.data(), sent.size()})) {
        CHECK(v.seq() == static_cast<std::uint32_t>(++n));
        CHECK((v.flags() & NLM_F_ACK));
    }
    CHECK(n == 3);
}

TEST_CASE("Batch: run_or_throw names the failing request") {
    FakeKernel k;
    nl::Batch batch;
    nl::MessageBuilder m(RTM_NEWROUTE, 0);
    batch.add(m, "add route", "10.0.0.0/8");
    batch.add(m, "add route", "10.1.0.0/16");
    auto a1 = ack(1, 0), a2 = ack(2, ENETUNREACH, "Nexthop has invalid gateway");
    k.reply(datagram({&a1, &a2}));
    CHECK_THROWS_WITH_AS(batch.run_or_throw(k.sock), doctest::Contains("'10.1.0.0/16'"), Error);
}

TEST_CASE("Batch: ErrorsOnly acks only the last request of a window but still reports failures") {
    FakeKernel k;
    nl::Batch batch;
    nl::MessageBuilder m(RTM_NEWROUTE, 0);
    for (int i = 0; i < 4; ++i) batch.add(m, "add route", std::to_string(i));
    auto e2 = ack(2, EEXIST), a4 = ack(4, 0);
    k.reply(datagram({&e2, &a4}));
    auto out = batch.run(k.sock, nl::Batch::AckMode::ErrorsOnly);
    CHECK(out[1].ack.error == EEXIST);
    CHECK_FALSE(out[0].answered);
    CHECK(out[3].answered);
    auto sent = k.sent();
    std::vector<bool> acked;
    for (nl::MessageView v : nl::MessageRange({sent.data(), sent.size()})) acked.push_back(v.flags() & NLM_F_ACK);
    CHECK(acked == std::vector<bool>{false, false, false, true});
}

namespace {
struct Injector : detail::FaultInjector {
    detail::Call target;
    int err;
    int times;
    int after_receive_cut = -1;
    int before(detail::Call c) override {
        if (c == target && times > 0) {
            --times;
            return err;
        }
        return 0;
    }
    ssize_t after_receive(std::byte*, ssize_t n, std::size_t) override {
        return after_receive_cut >= 0 ? std::min<ssize_t>(n, after_receive_cut) : n;
    }
};
}  // namespace

TEST_CASE("system calls: EINTR is retried, ENOBUFS and other errors are reported") {
    SUBCASE("EINTR on send and receive") {
        FakeKernel k;
        auto a = ack(1, 0);
        k.reply(datagram({&a}));
        Injector inj;
        inj.target = detail::Call::recvmsg;
        inj.err = EINTR;
        inj.times = 3;
        detail::ScopedFaultInjector scope(inj);
        nl::MessageBuilder req(RTM_NEWLINK, 0);
        CHECK_NOTHROW(nl::request(k.sock, req, "set link up", "x"));
        CHECK(inj.times == 0);
    }
    SUBCASE("ENOBUFS on receive") {
        FakeKernel k;
        Injector inj;
        inj.target = detail::Call::recvmsg;
        inj.err = ENOBUFS;
        inj.times = 1;
        detail::ScopedFaultInjector scope(inj);
        nl::MessageBuilder req(RTM_GETLINK, 0);
        try {
            nl::dump(k.sock, req, "list links", [](const nl::MessageView&) {});
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.errnum() == ENOBUFS);
        }
    }
    SUBCASE("ENOMEM on send") {
        FakeKernel k;
        Injector inj;
        inj.target = detail::Call::sendmsg;
        inj.err = ENOMEM;
        inj.times = 1;
        detail::ScopedFaultInjector scope(inj);
        nl::MessageBuilder req(RTM_GETLINK, 0);
        CHECK_THROWS_AS(nl::request(k.sock, req, "find link", "x"), Error);
    }
    SUBCASE("a truncated reply is rejected as EBADMSG") {
        FakeKernel k;
        auto l = link_msg(1, 1), d = done(1);
        k.reply(datagram({&l, &d}));
        Injector inj;
        inj.target = detail::Call::other;
        inj.err = 0;
        inj.times = 0;
        inj.after_receive_cut = 20;
        detail::ScopedFaultInjector scope(inj);
        nl::MessageBuilder req(RTM_GETLINK, 0);
        try {
            nl::dump(k.sock, req, "list links", [](const nl::MessageView&) {});
            FAIL("no exception");
        } catch (const Error& e) {
            CHECK(e.errnum() == EBADMSG);
        }
    }
}

TEST_CASE("parse_ack reads TLVs after an uncapped echo of the request") {
    // Built by hand: the echoed request (header + 8 bytes) sits between nlmsgerr.error and the TLVs.
    std::vector<std::byte> raw(16);
    nlmsghdr h{};
    h.nlmsg_type = NLMSG_ERROR;
    h.nlmsg_flags = NLM_F_ACK_TLVS;
    std::vector<std::byte> body(sizeof(int) + 24);
    int err = -EPERM;
    std::memcpy(body.data(), &err, sizeof err);
    nlmsghdr echoed{};
    echoed.nlmsg_len = 24;
    std::memcpy(body.data() + sizeof(int), &echoed, sizeof echoed);
    nl::MessageBuilder tlv(0, 0);
    tlv.put_string(NLMSGERR_ATTR_MSG, "nope");
    auto tb = tlv.bytes().subspan(16);
    body.insert(body.end(), tb.begin(), tb.end());
    h.nlmsg_len = static_cast<std::uint32_t>(16 + body.size());
    std::memcpy(raw.data(), &h, sizeof h);
    raw.insert(raw.end(), body.begin(), body.end());
    auto info = nl::parse_ack(nl::MessageView({raw.data(), raw.size()}));
    CHECK(info.error == EPERM);
    CHECK(info.kernel_message == "nope");
}

TEST_CASE("parse_ack / parse_done: error codes outside 0..-4095 and echoes ending unaligned") {
    // Found by tests/fuzz/nl_ack: a positive code gave a negative AckInfo::error (and INT_MIN's
    // negation overflowed); an uncapped echo ending within the last 3 bytes of the message made
    // parse_ack take a subspan past the end and read outside the buffer.
    auto message = [](std::uint16_t type, std::uint16_t flags, std::vector<std::byte> payload) {
        nlmsghdr h{};
        h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + payload.size());
        h.nlmsg_type = type;
        h.nlmsg_flags = flags;
        std::vector<std::byte> raw(sizeof h);
        std::memcpy(raw.data(), &h, sizeof h);
        raw.insert(raw.end(), payload.begin(), payload.end());
        return raw;
    };
    auto with_code = [](int code, std::size_t size) {
        std::vector<std::byte> p(size);
        std::memcpy(p.data(), &code, sizeof code);
        return p;
    };
    auto malformed = [](const std::vector<std::byte>& raw, bool done) {
        try {
            nl::MessageView m({raw.data(), raw.size()});
            if (done) (void)nl::parse_done(m);
            else (void)nl::parse_ack(m);
        } catch (const Error& e) {
            return e.errnum() == EBADMSG;
        }
        return false;
    };
    for (int code : {1, 4096, -4096, INT_MIN, INT_MAX}) {
        CAPTURE(code);
        CHECK(malformed(message(NLMSG_ERROR, 0, with_code(code, sizeof(nlmsgerr))), false));
    }
    CHECK(malformed(message(NLMSG_DONE, 0, with_code(INT_MIN, 4)), true));
    CHECK(malformed(message(NLMSG_DONE, 0, with_code(-5000, 4)), true));
    CHECK(nl::parse_done(nl::MessageView(message(NLMSG_DONE, 0, with_code(-EPERM, 4)))).error == EPERM);
    CHECK(nl::parse_ack(nl::MessageView(message(NLMSG_ERROR, 0, with_code(-4095, sizeof(nlmsgerr))))).error == 4095);

    // Uncapped, ACK_TLVS, an echoed request of 17 bytes: TLVs would start at 4 + 20 = 24, past the
    // 22-byte payload. No TLVs, and nothing read outside the message.
    std::vector<std::byte> p = with_code(-EPERM, 22);
    std::uint32_t echoed_len = 17;
    std::memcpy(p.data() + sizeof(int), &echoed_len, sizeof echoed_len);
    auto raw = message(NLMSG_ERROR, NLM_F_ACK_TLVS, p);
    auto info = nl::parse_ack(nl::MessageView({raw.data(), raw.size()}));
    CHECK(info.error == EPERM);
    CHECK(info.kernel_message.empty());
}
