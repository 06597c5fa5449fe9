// Unit tests for nl::Batch's and nl::BatchStream's windows and ack reading (include/nsnet/nl/transact.hpp) and
// Socket::receive_many (socket.hpp), against a fake kernel thread on a socketpair that answers
// each sendmsg as rtnetlink does: requests in order, an ack for NLM_F_ACK, an error always.
#include <doctest/doctest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "nsnet/nl/transact.hpp"

using namespace nsnet;

namespace {

constexpr std::uint32_t kPort = 4343;

nl::MessageBuilder make_ack(std::uint32_t seq, int error, std::size_t text_size = 0) {
    nl::MessageBuilder m(NLMSG_ERROR, NLM_F_CAPPED | (text_size ? NLM_F_ACK_TLVS : 0));
    m.header().nlmsg_flags &= static_cast<std::uint16_t>(~NLM_F_REQUEST);
    m.set_seq(seq);
    m.header().nlmsg_pid = kPort;
    nlmsgerr e{};
    e.error = -error;
    e.msg.nlmsg_len = 16;
    e.msg.nlmsg_seq = seq;
    m.put_header(e);
    if (text_size) m.put_string(NLMSGERR_ATTR_MSG, std::string(text_size, 'x'));
    return m;
}

// Answers requests like the kernel, one datagram per answer. refuse[i] makes it refuse request i
// (batch_of()'s numbering) with that errno; big_error_text makes the refusal carry a long text.
struct KernelThread {
    nl::Socket sock;
    int kernel = -1;
    std::map<std::size_t, int> refuse;
    std::size_t big_error_text = 0;
    std::mutex mutex;
    std::vector<std::size_t> per_datagram;  // requests in each sendmsg
    std::thread thread;
    std::atomic<bool> stop{false};

    KernelThread() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
        sock = nl::Socket::for_testing(detail::UniqueFd(sv[0]), kPort);
        kernel = sv[1];
        // Room for whatever the tests queue (acks of a whole window) without blocking.
        int big = 4 << 20;
        ::setsockopt(kernel, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    }
    void start() {
        thread = std::thread([this] {
            std::vector<std::byte> buf(1 << 20);
            for (;;) {
                ssize_t n = ::recv(kernel, buf.data(), buf.size(), 0);
                if (n <= 0 || stop) return;
                nl::MessageRange msgs({buf.data(), static_cast<std::size_t>(n)});
                {
                    std::size_t count = 0;
                    for (auto it = msgs.begin(); it != msgs.end(); ++it) ++count;
                    std::lock_guard lock(mutex);
                    per_datagram.push_back(count);  // before answering: run() may return on the last ack
                }
                for (nl::MessageView m : msgs) {
                    // The request's number, as batch_of() wrote it.
                    std::size_t index = m.attrs(0).find(RTA_PRIORITY)->u32();
                    auto it = refuse.find(index);
                    int err = it == refuse.end() ? 0 : it->second;
                    if (!err && !(m.flags() & NLM_F_ACK)) continue;
                    auto a = make_ack(m.seq(), err, err ? big_error_text : 0);
                    ::send(kernel, a.bytes().data(), a.size(), 0);
                }
            }
        });
    }
    std::vector<std::size_t> datagrams() {
        std::lock_guard lock(mutex);
        return per_datagram;
    }
    ~KernelThread() {
        stop = true;
        ::shutdown(kernel, SHUT_RDWR);
        // Unblock recv(): a zero-length datagram from the nsnet side.
        ::send(sock.fd(), "", 0, 0);
        if (thread.joinable()) thread.join();
        ::close(kernel);
    }
};

nl::Batch batch_of(std::size_t n) {
    nl::Batch b;
    for (std::size_t i = 0; i < n; ++i) {
        nl::MessageBuilder m(RTM_NEWROUTE, NLM_F_CREATE);  // no family header: attributes right away
        m.put_u32(RTA_PRIORITY, static_cast<std::uint32_t>(i));
        b.add(m, "add route", "r" + std::to_string(i));
    }
    return b;
}

}  // namespace

TEST_CASE("Batch: more requests than the window go out in several sendmsg, every ack matched") {
    KernelThread k;
    k.refuse[4] = EEXIST;
    k.start();
    auto b = batch_of(7);
    b.set_window(3);
    auto out = b.run(k.sock);
    REQUIRE(out.size() == 7);
    for (std::size_t i = 0; i < 7; ++i) {
        CHECK(out[i].answered);
        CHECK(out[i].ack.error == (i == 4 ? EEXIST : 0));
    }
    CHECK(k.datagrams() == std::vector<std::size_t>{3, 3, 1});
}

TEST_CASE("Batch: ErrorsOnly over several windows reports each refusal against its request") {
    KernelThread k;
    k.refuse[1] = EEXIST;
    k.refuse[5] = ENETUNREACH;
    k.start();
    auto b = batch_of(8);
    b.set_window(3);
    auto failures = b.run_failures(k.sock, nl::Batch::AckMode::ErrorsOnly);
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].index == 1);
    CHECK(failures[0].ack.error == EEXIST);
    CHECK(failures[1].index == 5);
    CHECK(failures[1].ack.error == ENETUNREACH);
    CHECK(k.datagrams() == std::vector<std::size_t>{3, 3, 2});
    CHECK_THROWS_WITH_AS(b.run_or_throw(k.sock, nl::Batch::AckMode::ErrorsOnly), doctest::Contains("'r1'"), Error);
}

TEST_CASE("BatchStream: a full window goes out on the next add(); refusals come back with stream indices") {
    KernelThread k;
    k.refuse[1] = EEXIST;
    k.refuse[5] = ENETUNREACH;
    k.start();
    std::vector<std::pair<std::size_t, int>> answers;
    auto on_answer = [&](std::size_t i, const nl::AckInfo& a) { answers.emplace_back(i, a.error); };
    nl::BatchStream stream(k.sock, nl::Batch::AckMode::ErrorsOnly, on_answer, 3);
    static_assert(!std::is_constructible_v<nl::BatchStream, nl::Socket&, nl::Batch::AckMode, decltype(on_answer)&&>,
                  "a temporary callable would dangle");
    auto add = [&](std::uint32_t i) {
        nl::MessageBuilder m(RTM_NEWROUTE, NLM_F_CREATE);
        m.put_u32(RTA_PRIORITY, i);
        return stream.add(m, "add route", "r" + std::to_string(i));
    };
    for (std::uint32_t i = 0; i < 3; ++i) CHECK(add(i) == i);
    CHECK(stream.sent() == 0);  // a full window waits for the next request (or finish)
    CHECK(answers.empty());
    CHECK(add(3) == 3);  // sends requests 0..2 first and reads their answers
    CHECK(stream.sent() == 3);
    CHECK(answers == std::vector<std::pair<std::size_t, int>>{{1, EEXIST}, {2, 0}});  // the refusal, the window's end
    for (std::uint32_t i = 4; i < 8; ++i) add(i);
    stream.finish();
    CHECK(stream.sent() == 8);
    CHECK(stream.size() == 8);
    CHECK(answers == std::vector<std::pair<std::size_t, int>>{{1, EEXIST}, {2, 0}, {5, ENETUNREACH}, {7, 0}});
    CHECK(k.datagrams() == std::vector<std::size_t>{3, 3, 2});
}

TEST_CASE("Batch: a window never holds more requests than the receive queue has ack room for") {
    KernelThread k;
    k.start();
    auto b = batch_of(3000);
    b.set_window(100000);
    auto out = b.run(k.sock);
    for (const auto& o : out) REQUIRE(o.answered);
    const std::size_t room = std::max<std::size_t>(1, static_cast<std::size_t>(k.sock.receive_buffer()) / nl::Batch::ack_room);
    std::size_t total = 0;
    for (std::size_t n : k.datagrams()) {
        CHECK(n <= room);
        total += n;
    }
    CHECK(total == 3000);
}

TEST_CASE("Batch: an error too large for its receive slot still reports its errno") {
    KernelThread k;
    k.refuse[1] = EINVAL;
    k.big_error_text = 9000;  // the error datagram exceeds receive_many's 4 KiB slot
    k.start();
    auto b = batch_of(3);
    auto out = b.run(k.sock);
    CHECK(out[0].ack.error == 0);
    CHECK(out[1].answered);
    CHECK(out[1].ack.error == EINVAL);
    CHECK(out[2].ack.error == 0);
}

TEST_CASE("Socket::receive_many: several queued datagrams in one call, each delivered whole") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
    auto sock = nl::Socket::for_testing(detail::UniqueFd(sv[0]), kPort);
    for (std::uint32_t seq = 1; seq <= 3; ++seq) {
        auto a = make_ack(seq, 0);
        REQUIRE(::send(sv[1], a.bytes().data(), a.size(), 0) == static_cast<ssize_t>(a.size()));
    }
    std::vector<std::uint32_t> seqs;
    std::size_t n = sock.receive_many([&](nl::Bytes d, bool truncated) {
        CHECK_FALSE(truncated);
        for (nl::MessageView m : nl::MessageRange(d)) seqs.push_back(m.seq());
    });
    CHECK(n == 3);
    CHECK(seqs == std::vector<std::uint32_t>{1, 2, 3});
    ::close(sv[1]);
}
