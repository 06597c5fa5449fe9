// Unit tests for include/nsnet/nl/socket.hpp against the real kernel, no privileges: a datagram
// another process sends to the library socket's port id (issue 12 item 4: any NETLINK_ROUTE socket
// may unicast to any port id) is dropped before its size is looked at, on every receive path, and
// the next request is unaffected. Only read-only requests (RTM_GETLINK of lo) are sent.
#include <doctest/doctest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "nsnet/detail/fd.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"

using namespace nsnet;

namespace {

// A NETLINK_ROUTE socket of "another process", bound to its own port id.
struct Forger {
    detail::UniqueFd fd{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)};
    Forger() {
        REQUIRE(fd);
        sockaddr_nl local{};
        local.nl_family = AF_NETLINK;
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    }
    // Sends a datagram of `size` bytes shaped like a netlink error message (so that, were it read
    // as the kernel's, it would answer the victim's next request with EPERM), to `port`. Returns 0
    // when sent, else the errno: EAGAIN when the victim's queue is full, ECONNREFUSED when the
    // victim is connected to the kernel.
    int send(std::uint32_t port, std::size_t size, std::uint32_t seq = 0) const {
        std::vector<std::byte> d(size);
        nlmsghdr h{};
        h.nlmsg_len = static_cast<std::uint32_t>(size);
        h.nlmsg_type = NLMSG_ERROR;
        h.nlmsg_seq = seq;
        h.nlmsg_pid = port;
        std::memcpy(d.data(), &h, sizeof h);
        int err = -EPERM;
        std::memcpy(d.data() + sizeof h, &err, sizeof err);
        sockaddr_nl to{};
        to.nl_family = AF_NETLINK;
        to.nl_pid = port;
        ssize_t n = ::sendto(fd.get(), d.data(), d.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (n < 0 && (errno == EAGAIN || errno == ECONNREFUSED)) return errno;
        REQUIRE_MESSAGE(n == static_cast<ssize_t>(size), "sendto: " << std::strerror(errno));
        return 0;
    }
};

// Undoes Socket's connect() to the kernel, so that datagrams from other sockets reach it again and
// the test exercises receive()'s own check (the second line of defence).
void disconnect(const nl::Socket& s) {
    sockaddr_nl unspec{};
    unspec.nl_family = AF_UNSPEC;
    REQUIRE(::connect(s.fd(), reinterpret_cast<sockaddr*>(&unspec), sizeof unspec) == 0);
}

// RTM_GETLINK of lo (ifindex 1): a read-only request every namespace answers.
std::string get_lo(nl::Socket& s) {
    nl::MessageBuilder m(RTM_GETLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = 1;
    m.put_header(ifi);
    std::string name;
    nl::request(s, m, "find link", "lo", [&](const nl::MessageView& v) {
        if (v.type() != RTM_NEWLINK) return;
        if (auto a = v.attrs<ifinfomsg>().find(IFLA_IFNAME)) name = std::string(a->str());
    });
    return name;
}

}  // namespace

TEST_CASE("a library socket is connected to the kernel: another socket's unicast is refused") {
    nl::Socket s = nl::Socket::open(NETLINK_ROUTE);
    Forger forger;
    CHECK(forger.send(s.port_id(), 100 * 1024) == ECONNREFUSED);
    CHECK(forger.send(s.port_id(), 32) == ECONNREFUSED);
    CHECK(get_lo(s) == "lo");  // the kernel's answers still arrive
    disconnect(s);
    CHECK(forger.send(s.port_id(), 32) == 0);
}

TEST_CASE("Socket::receive drops a 100 KiB datagram from another process before its size matters") {
    nl::Socket s = nl::Socket::open(NETLINK_ROUTE);
    disconnect(s);
    Forger forger;
    // Before the fix: the truncation check came first, so this request failed with EMSGSIZE
    // ("Message too long", outcome_unknown) although the kernel had answered it.
    REQUIRE(forger.send(s.port_id(), 100 * 1024) == 0);
    CHECK(get_lo(s) == "lo");

    // Small ones too, and more than one before the answer.
    REQUIRE(forger.send(s.port_id(), 64, 0) == 0);
    REQUIRE(forger.send(s.port_id(), 100 * 1024) == 0);
    CHECK(get_lo(s) == "lo");
    CHECK(get_lo(s) == "lo");

    // A nonblocking receive with only forged datagrams queued: nothing, no error.
    REQUIRE(forger.send(s.port_id(), 100 * 1024) == 0);
    REQUIRE(forger.send(s.port_id(), 32) == 0);
    nl::Bytes none;
    CHECK_NOTHROW(none = s.receive(true));
    CHECK(none.empty());
}

TEST_CASE("Socket::receive_many skips datagrams from another process, truncated or not") {
    nl::Socket s = nl::Socket::open(NETLINK_ROUTE);
    disconnect(s);
    Forger forger;
    REQUIRE(forger.send(s.port_id(), 100 * 1024) == 0);
    REQUIRE(forger.send(s.port_id(), 40) == 0);
    nl::MessageBuilder m(RTM_GETLINK, NLM_F_ACK);
    ifinfomsg ifi{};
    ifi.ifi_index = 1;
    m.put_header(ifi);
    const std::uint32_t seq = s.send(m);
    std::size_t seen = 0;
    bool got_ack = false;
    while (!got_ack) {
        s.receive_many([&](nl::Bytes d, bool truncated) {
            ++seen;
            CHECK_FALSE(truncated);
            for (nl::MessageView v : nl::MessageRange(d)) {
                CHECK(v.seq() == seq);  // only the kernel's answer and ack
                if (v.type() == NLMSG_ERROR) got_ack = true;
            }
        });
    }
    CHECK(seen >= 1);
}
