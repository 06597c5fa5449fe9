// Integration tests of include/nsnet/tun.hpp (root): TUN/TAP devices born inside a namespace,
// living with their fds or outliving them (TUNSETPERSIST; deleted by the owner unless persisted),
// kept by persist() and reopened by another process (Tun::open, in a fork child), then adopted,
// multi-queue, read back; a TUN device answering a ping from user space — this test reads the
// ICMP echo request from the fd and writes the reply, and nsnet::ping sees it answered; a TAP
// device hands out Ethernet frames (the kernel's ARP request).
#include "nsnet/tun.hpp"

#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nsnet_probe/probe.hpp"
#include "support.hpp"

using namespace nsnet;
using namespace std::chrono_literals;

namespace {

std::uint16_t inet_checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// The reply to an IPv4 ICMP echo request (addresses swapped, type 0, checksums recomputed), or
// nullopt for any other packet.
std::optional<std::vector<std::byte>> echo_reply(const std::vector<std::byte>& packet) {
    std::vector<std::uint8_t> p(packet.size());
    std::memcpy(p.data(), packet.data(), p.size());
    if (p.size() < 28 || (p[0] >> 4) != 4) return std::nullopt;
    std::size_t ihl = (p[0] & 0x0f) * 4u;
    if (ihl < 20 || p.size() < ihl + 8 || p[9] != 1 /* ICMP */ || p[ihl] != 8 /* echo request */) return std::nullopt;
    for (int i = 0; i < 4; ++i) std::swap(p[12 + i], p[16 + i]);
    p[8] = 64;                  // TTL
    p[10] = p[11] = 0;
    std::uint16_t c = inet_checksum(p.data(), ihl);
    p[10] = static_cast<std::uint8_t>(c >> 8);
    p[11] = static_cast<std::uint8_t>(c);
    p[ihl] = 0;                 // echo reply
    p[ihl + 2] = p[ihl + 3] = 0;
    c = inet_checksum(p.data() + ihl, p.size() - ihl);
    p[ihl + 2] = static_cast<std::uint8_t>(c >> 8);
    p[ihl + 3] = static_cast<std::uint8_t>(c);
    std::vector<std::byte> out(p.size());
    std::memcpy(out.data(), p.data(), p.size());
    return out;
}

// "" when this kernel has TUN/TAP (/dev/net/tun can be opened), else why not.
std::string tun_missing() {
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return std::string("cannot open /dev/net/tun: ") + std::strerror(errno);
    ::close(fd);
    return {};
}

std::string ipv4_dst(const std::vector<std::byte>& p) {
    if (p.size() < 20) return {};
    IpAddress a = *IpAddress::from_bytes(p.data() + 16, 4);
    return a.to_string();
}

}  // namespace

TEST_CASE("Tun: a process-owned TUN device is born in the namespace and lives with the object") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    {
        Tun tun = Tun::create(ns, {.name = "tun0"});
        CHECK(tun.name() == "tun0");
        CHECK(Link::find(ns, "tun0"));
        TunInfo t = tun.settings();
        CHECK(t.mode == TunMode::Tun);
        CHECK_FALSE(t.outlives_fds);
        CHECK_FALSE(t.packet_info);
        CHECK_FALSE(t.multi_queue);  // (the kernel reports queue counts of multi-queue devices only)
        CHECK(rtnl::decode_tun(tun.info()) == t);
        // Nothing waiting: try_read does not block, read times out.
        std::vector<std::byte> buf(2048);
        CHECK_FALSE(tun.try_read(buf));
        auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(tun.read(buf, 100ms));
        CHECK(std::chrono::steady_clock::now() - t0 >= 90ms);
        // A down device refuses packets, and says so. (An IPv4 header: without one a TUN device
        // refuses the bytes as malformed, EINVAL, before it looks at its state.)
        std::vector<std::byte> junk(20);
        junk[0] = std::byte{0x45};
        junk[3] = std::byte{20};
        try {
            tun.write(junk);
            FAIL("write to a down device succeeded");
        } catch (const Error& e) {
            CHECK(e.errnum() == EIO);
            CHECK(std::string(e.what()).find("'tun0'") != std::string::npos);
        }
    }
    CHECK_FALSE(Link::find(ns, "tun0"));

    // close(): a process-owned device disappears with its fds.
    Tun t2 = Tun::create(ns, {.name = "tun1"});
    t2.close();
    CHECK_FALSE(Link::find(ns, "tun1"));
    t2.remove();  // already gone counts as removed

    // No name: the kernel picks tun%d.
    Tun anon = Tun::create(ns, {});
    CHECK(anon.name().rfind("tun", 0) == 0);
    CHECK(Link::find(ns, anon.name()));
}

TEST_CASE("Tun: devices that outlive their fds; the owner deletes them unless persisted") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    {
        Tun tap = Tun::create(ns, {.name = "tap0", .mode = TunMode::Tap, .outlive_fds = true});
        CHECK(tap.outlives_fds());
        CHECK(tap.settings().outlives_fds);
        CHECK(tap.settings().mode == TunMode::Tap);
        tap.close();
        REQUIRE(Link::find(ns, "tap0"));  // ip tuntap add tap0 mode tap: it outlives the fd
        CHECK(tap.settings().outlives_fds);
        CHECK_THROWS_AS(tap.fd(), Error);  // no fds any more
    }
    CHECK_FALSE(Link::find(ns, "tap0"));  // but the owner deleted it

    {
        Tun tun = Tun::create(ns, {.name = "tun0"});
        tun.set_outlive_fds(true);
        CHECK(tun.settings().outlives_fds);
        tun.set_outlive_fds(false);
        CHECK_FALSE(tun.settings().outlives_fds);
        tun.persist();  // keep the kernel device: its fd closes with TUNSETPERSIST set
        CHECK_FALSE(tun.owned());
    }
    auto kept = Tun::find(ns, "tun0");
    REQUIRE(kept);
    CHECK(rtnl::decode_tun(kept->info())->outlives_fds);
    CHECK(Link::remove(ns, "tun0"));  // by name, as a later process would
    CHECK_FALSE(Link::find(ns, "tun0"));
    CHECK_FALSE(Link::remove(ns, "tun0"));  // already gone: success, nothing deleted
}

TEST_CASE("Tun: a kept device is reopened by another process (open), then adopted; its mode is checked") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    {
        Tun tun = Tun::create(ns, {.name = "tun0"});
        tun.add_address("10.98.0.1/24");
        tun.up();
        tun.persist();
    }
    REQUIRE(Tun::find(ns, "tun0"));
    // A second process (a fork child) reopens it and reads what the kernel routes into it: a UDP
    // datagram to 10.98.0.2, sent from inside the namespace. Exit code 0: it saw the datagram.
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 1;
        try {
            Tun t = Tun::open(ns, "tun0", TunMode::Tun);
            code = t.owned() || t.queues() != 1 ? 3 : 2;
            for (int i = 0; i < 50 && code == 2; ++i) {
                ns.run([] {
                    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                    sockaddr_in a{};
                    a.sin_family = AF_INET;
                    a.sin_port = htons(9);
                    ::inet_pton(AF_INET, "10.98.0.2", &a.sin_addr);
                    (void)::sendto(s, "x", 1, 0, reinterpret_cast<const sockaddr*>(&a), sizeof a);
                    ::close(s);
                });
                while (auto p = t.read(100ms))
                    if (ipv4_dst(*p) == "10.98.0.2") {
                        code = 0;
                        break;
                    }
            }
        } catch (...) {
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK_MESSAGE(WEXITSTATUS(status) == 0, "child exit code " << WEXITSTATUS(status) << " (1: open threw, 2: no datagram, 3: owned)");
    REQUIRE(Link::find(ns, "tun0"));  // the child's fd closed; the device outlives it

    // Checked: the mode, the kind, the existence (open never creates a device).
    try {
        (void)Tun::open(ns, "tun0", TunMode::Tap);
        FAIL("a TUN device was opened as a TAP");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("link 'tun0' in namespace " + ns.display_name() + " is a tun, not a tap") !=
              std::string::npos);
    }
    try {
        (void)Tun::open(ns, "lo", TunMode::Tun);
        FAIL("lo was opened as a TUN");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("is a device without a kind") != std::string::npos);
    }
    try {
        (void)Tun::open(ns, "nosuch0", TunMode::Tun);
        FAIL("open of a missing device returned");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENODEV);
    }
    CHECK_FALSE(Link::find(ns, "nosuch0"));

    {
        Tun a = Tun::adopt(ns, "tun0", TunMode::Tun);
        CHECK(a.owned());
        CHECK(a.outlives_fds());
        try {
            (void)Tun::open(ns, "tun0", TunMode::Tun);  // single-queue: one fd at a time
            FAIL("a second fd was attached to a single-queue device");
        } catch (const Error& e) {
            CHECK(e.errnum() == EBUSY);
        }
    }
    CHECK_FALSE(Link::find(ns, "tun0"));  // the adopting owner deleted it
}

TEST_CASE("Tun: an existing name is an error, never silently attached to") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    Tun a = Tun::create(ns, {.name = "tun0", .outlive_fds = true});
    try {
        Tun b = Tun::create(ns, {.name = "tun0"});
        FAIL("second tun0 created");
    } catch (const Error& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(std::string(e.what()).find("tun0") != std::string::npos);
    }
    CHECK(a.settings().outlives_fds);  // the first is untouched
}

TEST_CASE("Tun: multi-queue TAP with one fd per queue") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    Tun tap = Tun::create(ns, {.name = "tap0", .mode = TunMode::Tap, .queues = 4});
    CHECK(tap.queues() == 4);
    TunInfo t = tap.settings();
    CHECK(t.multi_queue);
    CHECK(t.queues == 4);
    CHECK_THROWS_AS(tap.fd(4), Error);
}

TEST_CASE("Tun: a ping to 10.99.0.2 is answered by this test's own code on the TUN fd") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    Link::loopback(ns).up();
    Tun tun = Tun::create(ns, {.name = "tun0"});
    tun.add_address("10.99.0.1/24");
    tun.up();

    std::atomic<int> answered{0};
    std::string seen_dst{};
    std::string failure{};
    std::jthread responder([&](std::stop_token stop) {  // stopped and joined even if a CHECK throws
        try {
            while (!stop.stop_requested()) {
                auto packet = tun.read(50ms);
                if (!packet) continue;
                if (auto reply = echo_reply(*packet)) {
                    if (seen_dst.empty()) seen_dst = ipv4_dst(*packet);
                    tun.write(*reply);
                    ++answered;
                }
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
    });
    PingResult r = ping(ns, "10.99.0.2", {.count = 3, .interval = 50ms, .timeout = 1000ms});
    responder.request_stop();
    responder.join();
    CHECK_MESSAGE(r.all_answered(), r.summary());
    CHECK(failure.empty());
    CHECK(answered == 3);
    CHECK(seen_dst == "10.99.0.2");

    // Without the user-space responder nothing answers: the kernel only hands the packets over.
    PingResult silent = ping(ns, "10.99.0.2", {.count = 2, .interval = 50ms, .timeout = 300ms});
    CHECK_MESSAGE(silent.none_answered(), silent.summary());
}

TEST_CASE("Tun: a TAP device hands out Ethernet frames (the kernel's ARP request)") {
    if (auto why = tun_missing(); !why.empty()) NSNET_SKIP(why);
    Netns ns = Netns::create(test::unique_name("tt"));
    Tun tap = Tun::create(ns, {.name = "tap0", .mode = TunMode::Tap});
    tap.add_address("10.98.0.1/24");
    tap.up();
    std::jthread pinger([&] {
        try {
            ping(ns, "10.98.0.2", {.count = 1, .timeout = 500ms});
        } catch (...) {
        }
    });
    bool arp = false;
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!arp && std::chrono::steady_clock::now() < deadline) {
        auto frame = tap.read(100ms);
        if (!frame || frame->size() < 42) continue;
        auto b = [&](std::size_t i) { return static_cast<std::uint8_t>((*frame)[i]); };
        bool broadcast = true;
        for (int i = 0; i < 6; ++i) broadcast &= b(i) == 0xff;
        // ethertype 0x0806, ARP op 1 (request), target protocol address 10.98.0.2
        arp = broadcast && b(12) == 0x08 && b(13) == 0x06 && b(21) == 1 && b(38) == 10 && b(39) == 98 && b(40) == 0 && b(41) == 2;
    }
    pinger.join();
    CHECK(arp);  // (the ping itself gets no answer: nobody replies to the ARP request)
}
