// nsnet_probe/probe.hpp — traffic probes for labs, tests and benchmarks: ping, TCP and HTTP
// servers/clients.
//
// Not part of the installed library: test and lab tooling, built from examples/support/ by nsnet's
// own tests, labs, examples and benchmarks through the Meson dependency `probe_dep`
// (`#include <nsnet_probe/probe.hpp>`). The `ip a` view it used to hold is in the library:
// <nsnet/show.hpp>.
//
// Everything here works from inside a namespace without moving the caller's thread: sockets are
// opened inside the target namespace (NetnsRef::socket), server threads enter their namespace on
// their own thread. No external binaries (no `ping`, no `ip`), no name resolution (hosts are IP
// literals), so it also works in a static binary.
//
// What it deliberately does not do: it is not a benchmark tool (rtt and throughput are measured
// with steady_clock, good to ~10 µs), not a general HTTP implementation (HTTP/1.0 GET only), and
// it never resolves names (no DNS, no /etc/hosts).
#pragma once

#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nsnet/detail/fd.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"

namespace nsnet {

// ---------------------------------------------------------------------------------------------
// ping
// ---------------------------------------------------------------------------------------------

struct PingOptions {
    int count = 4;
    std::chrono::milliseconds interval{200};     // between two echo requests
    std::chrono::milliseconds timeout{1000};     // how long replies may take (see ping())
    std::optional<IpAddress> source{};           // ping -I ADDR
    std::string interface{};                     // ping -I DEV (SO_BINDTODEVICE)
    int ttl = 64;                                // ping -t (IPv6: hop limit)
};

struct PingResult {
    int sent = 0, received = 0;
    double loss_percent = 100, rtt_min_ms = 0, rtt_avg_ms = 0, rtt_max_ms = 0;
    std::string error{};  // why packets were lost: "Network is unreachable" (sendto),
                          // "From 10.0.0.1: Destination Host Unreachable" (ICMP), "no reply within 1000 ms"

    bool all_answered() const { return sent > 0 && received == sent; }
    bool none_answered() const { return received == 0; }
    // "4 sent, 4 received, 0% loss, rtt 0.05/0.07/0.10 ms" or "4 sent, 0 received, 100% loss: Network is unreachable"
    std::string summary() const {
        char loss[32];
        double rounded = static_cast<double>(static_cast<long long>(loss_percent));
        if (loss_percent == rounded) std::snprintf(loss, sizeof loss, "%.0f%%", loss_percent);
        else std::snprintf(loss, sizeof loss, "%.1f%%", loss_percent);
        std::string s = std::to_string(sent) + " sent, " + std::to_string(received) + " received, " + loss + " loss";
        if (received > 0) {
            char rtt[96];
            std::snprintf(rtt, sizeof rtt, ", rtt %.2f/%.2f/%.2f ms", rtt_min_ms, rtt_avg_ms, rtt_max_ms);
            s += rtt;
        }
        if (received < sent && !error.empty()) s += ": " + error;
        return s;
    }
};

namespace detail::icmp {

// ICMP types nsnet uses (RFC 792 / RFC 4443); spelled out here so that no <netinet/ip_icmp.h> vs
// <linux/icmp.h> clash can reach users of this header.
inline constexpr std::uint8_t v4_echo_reply = 0, v4_dest_unreach = 3, v4_echo_request = 8, v4_time_exceeded = 11,
                              v4_param_problem = 12;
inline constexpr std::uint8_t v6_dest_unreach = 1, v6_packet_too_big = 2, v6_time_exceeded = 3, v6_param_problem = 4,
                              v6_echo_request = 128, v6_echo_reply = 129;
inline constexpr int raw_icmp_filter = 1;  // ICMP_FILTER (SOL_RAW) from <linux/icmp.h>
inline constexpr std::size_t echo_header = 8, cookie_size = 8, default_payload = 56;

// The Internet checksum (RFC 1071) of `len` bytes: the value to put in the checksum field, or 0
// when checking data that already contains a correct checksum.
inline std::uint16_t checksum(const std::uint8_t* data, std::size_t len, std::uint32_t sum = 0) {
    for (std::size_t i = 0; i + 1 < len; i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    if (len & 1) sum += static_cast<std::uint32_t>(data[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

inline std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// An echo request: type, code 0, checksum, identifier, sequence, then the payload: an 8-byte
// cookie (unique per ping() call, so a reply is never taken for someone else's) and a filler
// pattern up to `payload` bytes (56 like ping). IPv4 gets its checksum here; for ICMPv6 the
// kernel computes it (it covers a pseudo-header only the kernel knows), so it stays 0.
inline std::vector<std::uint8_t> echo_request(Family family, std::uint16_t id, std::uint16_t seq, std::uint64_t cookie,
                                              std::size_t payload = default_payload) {
    payload = std::max(payload, cookie_size);
    std::vector<std::uint8_t> p(echo_header + payload, 0);
    p[0] = family == Family::V4 ? v4_echo_request : v6_echo_request;
    put16(&p[4], id);
    put16(&p[6], seq);
    for (std::size_t i = 0; i < cookie_size; ++i) p[echo_header + i] = static_cast<std::uint8_t>(cookie >> (56 - 8 * i));
    for (std::size_t i = echo_header + cookie_size; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i);
    if (family == Family::V4) put16(&p[2], checksum(p.data(), p.size()));
    return p;
}

// Text for an ICMP error, worded like ping's.
inline std::string error_text(Family family, int type, int code) {
    if (family == Family::V4) {
        if (type == v4_dest_unreach) {
            switch (code) {
                case 0: return "Destination Net Unreachable";
                case 1: return "Destination Host Unreachable";
                case 2: return "Destination Protocol Unreachable";
                case 3: return "Destination Port Unreachable";
                case 4: return "Frag needed";
                case 5: return "Source Route Failed";
                case 6: return "Destination Net Unknown";
                case 7: return "Destination Host Unknown";
                case 9: return "Destination Net Prohibited";
                case 10: return "Destination Host Prohibited";
                case 13: return "Packet filtered";
                default: return "Destination Unreachable, Bad Code: " + std::to_string(code);
            }
        }
        if (type == v4_time_exceeded) return code == 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
        if (type == v4_param_problem) return "Parameter problem";
    } else {
        if (type == v6_dest_unreach) {
            switch (code) {
                case 0: return "Destination unreachable: No route";
                case 1: return "Destination unreachable: Administratively prohibited";
                case 2: return "Destination unreachable: Beyond scope of source address";
                case 3: return "Destination unreachable: Address unreachable";
                case 4: return "Destination unreachable: Port unreachable";
                case 5: return "Destination unreachable: Source address failed ingress/egress policy";
                case 6: return "Destination unreachable: Reject route to destination";
                default: return "Destination unreachable: Unknown code " + std::to_string(code);
            }
        }
        if (type == v6_packet_too_big) return "Packet too big";
        if (type == v6_time_exceeded) return "Time exceeded: Hop limit";
        if (type == v6_param_problem) return "Parameter problem";
    }
    return "ICMP type " + std::to_string(type) + " code " + std::to_string(code);
}

// One received ICMP message that concerns an echo request: either the reply, or an error whose
// quoted original is an echo request.
struct Received {
    enum class Kind { reply, error } kind = Kind::reply;
    std::uint16_t id = 0, seq = 0;
    std::optional<std::uint64_t> cookie{};  // replies only
    IpAddress from{};                       // who sent this message
    IpAddress original_destination{};       // errors: where the echo request was going
    int type = 0, code = 0;
};

inline std::uint64_t read_cookie(const std::uint8_t* p) {
    std::uint64_t c = 0;
    for (std::size_t i = 0; i < cookie_size; ++i) c = c << 8 | p[i];
    return c;
}

// Parses what an IPv4 raw ICMP socket receives: the IPv4 header, then ICMP. Anything that is not
// an echo reply or an error about an echo request (our own request looped back, a bad checksum,
// a truncated packet) is nullopt.
inline std::optional<Received> parse_v4(const std::uint8_t* data, std::size_t len) {
    if (len < 20 || (data[0] >> 4) != 4) return std::nullopt;
    std::size_t ihl = static_cast<std::size_t>(data[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl + echo_header || data[9] != IPPROTO_ICMP) return std::nullopt;
    const std::uint8_t* icmp = data + ihl;
    // The IPv4 total length bounds the ICMP message (ignore it if it is implausible).
    std::size_t total = get16(data + 2);
    std::size_t icmp_len = (total >= ihl + echo_header && total <= len ? total : len) - ihl;
    Received r{};
    r.from = *IpAddress::from_bytes(data + 12, 4);
    r.type = icmp[0];
    r.code = icmp[1];
    if (r.type == v4_echo_reply) {
        if (checksum(icmp, icmp_len) != 0) return std::nullopt;
        r.kind = Received::Kind::reply;
        r.id = get16(icmp + 4);
        r.seq = get16(icmp + 6);
        if (icmp_len >= echo_header + cookie_size) r.cookie = read_cookie(icmp + echo_header);
        return r;
    }
    if (r.type == v4_dest_unreach || r.type == v4_time_exceeded || r.type == v4_param_problem) {
        const std::uint8_t* inner = icmp + echo_header;
        std::size_t inner_len = icmp_len - echo_header;
        if (inner_len < 20 || (inner[0] >> 4) != 4) return std::nullopt;
        std::size_t inner_ihl = static_cast<std::size_t>(inner[0] & 0x0f) * 4;
        if (inner_ihl < 20 || inner_len < inner_ihl + echo_header || inner[9] != IPPROTO_ICMP) return std::nullopt;
        const std::uint8_t* orig = inner + inner_ihl;
        if (orig[0] != v4_echo_request) return std::nullopt;
        r.kind = Received::Kind::error;
        r.original_destination = *IpAddress::from_bytes(inner + 16, 4);
        r.id = get16(orig + 4);
        r.seq = get16(orig + 6);
        return r;
    }
    return std::nullopt;
}

// Parses what an IPv6 raw ICMPv6 socket receives: ICMPv6 only (no IPv6 header); `from` is the
// sender from recvfrom. The kernel has verified the checksum.
inline std::optional<Received> parse_v6(const std::uint8_t* icmp, std::size_t len, const IpAddress& from) {
    if (len < echo_header) return std::nullopt;
    Received r{};
    r.from = from;
    r.type = icmp[0];
    r.code = icmp[1];
    if (r.type == v6_echo_reply) {
        r.kind = Received::Kind::reply;
        r.id = get16(icmp + 4);
        r.seq = get16(icmp + 6);
        if (len >= echo_header + cookie_size) r.cookie = read_cookie(icmp + echo_header);
        return r;
    }
    if (r.type == v6_dest_unreach || r.type == v6_packet_too_big || r.type == v6_time_exceeded ||
        r.type == v6_param_problem) {
        // error header (8), the original IPv6 header (40, next header at 6, destination at 24),
        // then (without extension headers) the original ICMPv6 echo request.
        const std::uint8_t* inner = icmp + echo_header;
        if (len < echo_header + 40 + echo_header || (inner[0] >> 4) != 6 || inner[6] != IPPROTO_ICMPV6)
            return std::nullopt;
        const std::uint8_t* orig = inner + 40;
        if (orig[0] != v6_echo_request) return std::nullopt;
        r.kind = Received::Kind::error;
        r.original_destination = *IpAddress::from_bytes(inner + 24, 16);
        r.id = get16(orig + 4);
        r.seq = get16(orig + 6);
        return r;
    }
    return std::nullopt;
}

// Fills loss and min/avg/max from the measured rtts.
inline void finish(PingResult& r, const std::vector<double>& rtts) {
    r.received = static_cast<int>(rtts.size());
    r.loss_percent = r.sent > 0 ? 100.0 * (r.sent - r.received) / r.sent : 100.0;
    if (!rtts.empty()) {
        r.rtt_min_ms = *std::min_element(rtts.begin(), rtts.end());
        r.rtt_max_ms = *std::max_element(rtts.begin(), rtts.end());
        double sum = 0;
        for (double v : rtts) sum += v;
        r.rtt_avg_ms = sum / static_cast<double>(rtts.size());
    }
}

// A fresh identifier/cookie pair per ping() call: concurrent pings (other threads, other
// processes) each see every ICMP message of the namespace on their raw sockets and keep only theirs.
inline std::pair<std::uint16_t, std::uint64_t> new_identity() {
    static std::atomic<std::uint32_t> counter{0};
    std::uint64_t cookie = 0;
    if (::getrandom(&cookie, sizeof cookie, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof cookie))
        cookie = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    std::uint32_t n = counter.fetch_add(1);
    cookie ^= static_cast<std::uint64_t>(n) << 32;
    auto id = static_cast<std::uint16_t>((static_cast<std::uint32_t>(::getpid()) * 2654435761u >> 16) + n * 40503u);
    return {id, cookie};
}

}  // namespace detail::icmp

namespace detail {

// sockaddr for an address and port.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

inline SockAddr make_sockaddr(const IpAddress& a, std::uint16_t port = 0, unsigned scope_id = 0) {
    SockAddr s{};
    if (a.is_v4()) {
        auto* in = reinterpret_cast<sockaddr_in*>(&s.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        std::memcpy(&in->sin_addr, a.data(), 4);
        s.length = sizeof(sockaddr_in);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&s.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_scope_id = scope_id;
        std::memcpy(&in6->sin6_addr, a.data(), 16);
        s.length = sizeof(sockaddr_in6);
    }
    return s;
}

// The address and port in a sockaddr; IPv4-mapped IPv6 addresses (a dual-stack listener's view
// of an IPv4 client) come back as plain IPv4.
inline std::pair<IpAddress, std::uint16_t> from_sockaddr(const sockaddr_storage& s) {
    if (s.ss_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(&s);
        return {*IpAddress::from_bytes(&in->sin_addr, 4), ntohs(in->sin_port)};
    }
    if (s.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(&s);
        const auto* b = reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr);
        static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(b, mapped, 12) == 0) return {*IpAddress::from_bytes(b + 12, 4), ntohs(in6->sin6_port)};
        return {*IpAddress::from_bytes(b, 16), ntohs(in6->sin6_port)};
    }
    return {IpAddress(), 0};
}

// A host given as an IP literal ("10.0.0.1", "2001:db8::1", "[2001:db8::1]"); nsnet never
// resolves names.
inline IpAddress parse_host(std::string_view host, const char* operation) {
    std::string_view h = host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (auto a = IpAddress::try_parse(h)) return *a;
    invalid_argument(operation, std::string(host),
                     "'" + std::string(host) + "' is not an IP address (nsnet does not resolve host names)");
}

inline std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

using Clock = std::chrono::steady_clock;

inline int ms_until(Clock::time_point deadline) {
    if (deadline == Clock::time_point::max()) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return static_cast<int>(std::min<long long>(left + 1, 24 * 3600 * 1000));
}

// Waits until `fd` is ready for `events`, `stop_fd` (if >= 0) is readable, or the timeout ends.
// Returns 1 ready, 0 timeout, -1 stopped, -2 error (errno set).
inline int wait_fd(int fd, short events, int timeout_ms, int stop_fd = -1) {
    pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int n = sys_call(Call::other, [&] { return ::poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms); });
    if (n < 0) return -2;
    if (stop_fd >= 0 && (p[1].revents & POLLIN)) return -1;
    if (n == 0) return 0;
    return 1;
}

// Connects a TCP socket opened inside `from`; returns the socket, or an empty fd and the reason.
inline std::pair<UniqueFd, std::string> tcp_connect(const NetnsRef& from, const IpAddress& to, std::uint16_t port,
                                                    std::chrono::milliseconds timeout) {
    UniqueFd s = from.socket(to.af(), SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
    SockAddr sa = make_sockaddr(to, port);
    int r = sys_call(Call::other, [&] { return ::connect(s.get(), sa.get(), sa.length); });
    if (r != 0 && errno != EINPROGRESS) return {UniqueFd(), errno_text(errno)};
    if (r != 0) {
        int w = wait_fd(s.get(), POLLOUT, static_cast<int>(timeout.count()));
        if (w == 0)
            return {UniqueFd(), "Connection timed out (no answer within " + std::to_string(timeout.count()) + " ms)"};
        if (w < 0) return {UniqueFd(), errno_text(errno)};
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) return {UniqueFd(), errno_text(err)};
    }
    return {std::move(s), std::string()};
}

}  // namespace detail

// ICMP echo from inside `from` (IPv4 and IPv6), no `ping` binary; the caller's thread never
// changes namespace. `ip netns exec FROM ping -c COUNT DESTINATION`.
//
// Requests go out every `interval`; a reply counts if it arrives within `timeout` of the *last*
// request (like ping, which keeps listening after its last request: a first reply delayed by
// ARP still counts, with its real rtt), so a ping that loses everything takes
// (count-1)*interval + timeout. A request that sendto
// refuses (ENETUNREACH: no route; lo down) or that an ICMP error answers (host unreachable,
// TTL exceeded, prohibited) counts as sent and lost, with the reason in `error`. Only replies
// carrying this call's identifier, sequence and cookie count, so concurrent pings in other
// threads or processes never take each other's replies. Destination is an IP literal; a
// link-local IPv6 destination may name its interface: "fe80::1%veth0".
inline PingResult ping(const NetnsRef& from, std::string_view destination, const PingOptions& o = {}) {
    using namespace detail;
    std::string dest_text(destination);
    std::string interface = o.interface;
    if (auto pct = dest_text.find('%'); pct != std::string::npos) {
        if (interface.empty()) interface = dest_text.substr(pct + 1);
        dest_text.resize(pct);
    }
    IpAddress dest = parse_host(dest_text, "ping");
    if (o.count < 1 || o.count > 65535)
        invalid_argument("ping", std::string(destination), "count " + std::to_string(o.count) + " is outside 1..65535");
    if (o.ttl < 1 || o.ttl > 255)
        invalid_argument("ping", std::string(destination), "ttl " + std::to_string(o.ttl) + " is outside 1..255");
    if (o.interval.count() < 0 || o.timeout.count() < 0)
        invalid_argument("ping", std::string(destination), "interval and timeout must not be negative");
    if (o.source && o.source->family() != dest.family())
        invalid_argument("ping", std::string(destination),
                         "source " + o.source->to_string() + " and destination are of different families");
    if (!interface.empty()) validate_interface_name(interface, "ping");

    const Family family = dest.family();
    UniqueFd sock = family == Family::V4 ? from.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP)
                                         : from.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMPV6);
    const std::string object = dest.to_string() + " from " + from.display_name();
    auto opt = [&](int level, int name, const void* value, socklen_t len, const char* what) {
        if (::setsockopt(sock.get(), level, name, value, len) != 0) throw_errno(std::string("ping: ") + what, object);
    };
    if (family == Family::V4) {
        // Wake up only for echo replies and errors.
        std::uint32_t mask = ~((1u << icmp::v4_echo_reply) | (1u << icmp::v4_dest_unreach) |
                               (1u << icmp::v4_time_exceeded) | (1u << icmp::v4_param_problem));
        opt(SOL_RAW, icmp::raw_icmp_filter, &mask, sizeof mask, "set ICMP filter");
        opt(IPPROTO_IP, IP_TTL, &o.ttl, sizeof o.ttl, "set ttl");
    } else {
        icmp6_filter f{};
        ICMP6_FILTER_SETBLOCKALL(&f);
        for (int t : {icmp::v6_echo_reply, icmp::v6_dest_unreach, icmp::v6_packet_too_big, icmp::v6_time_exceeded,
                      icmp::v6_param_problem})
            ICMP6_FILTER_SETPASS(t, &f);
        opt(IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f, "set ICMPv6 filter");
        opt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, &o.ttl, sizeof o.ttl, "set hop limit");
    }
    if (!interface.empty())
        opt(SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), static_cast<socklen_t>(interface.size() + 1),
            "bind to device");
    if (o.source) {
        SockAddr sa = make_sockaddr(*o.source);
        if (::bind(sock.get(), sa.get(), sa.length) != 0) throw_errno("ping: bind source " + o.source->to_string(), object);
    }

    auto [id, cookie] = icmp::new_identity();
    const SockAddr to = make_sockaddr(dest);
    const int count = o.count;
    enum class State { unsent, pending, answered, lost };
    std::vector<State> state(static_cast<std::size_t>(count) + 1, State::unsent);
    std::vector<Clock::time_point> sent_at(static_cast<std::size_t>(count) + 1);
    std::vector<double> rtts;
    PingResult result{};
    auto note_error = [&](std::string why) {
        if (result.error.empty()) result.error = std::move(why);
    };

    int next_seq = 1;
    Clock::time_point next_send = Clock::now();
    std::uint8_t buf[4096];
    for (;;) {
        Clock::time_point now = Clock::now();
        if (next_seq <= count && now >= next_send) {
            auto seq = static_cast<std::uint16_t>(next_seq);
            auto packet = icmp::echo_request(family, id, seq, cookie);
            sent_at[seq] = Clock::now();
            ++result.sent;
            ssize_t n = sys_call(Call::other, [&] {
                return ::sendto(sock.get(), packet.data(), packet.size(), 0, to.get(), to.length);
            });
            if (n < 0) {
                state[seq] = State::lost;
                note_error(errno_text(errno));
            } else {
                state[seq] = State::pending;
            }
            ++next_seq;
            next_send += o.interval;
            continue;
        }
        // Once everything is sent, replies still missing `timeout` after the last request are lost.
        Clock::time_point wake = next_seq <= count ? next_send : Clock::time_point::max();
        bool pending = false;
        for (int s = 1; s < next_seq; ++s) {
            if (state[s] != State::pending) continue;
            Clock::time_point deadline = next_seq <= count ? Clock::time_point::max() : sent_at[count] + o.timeout;
            if (now >= deadline) {
                state[s] = State::lost;
                note_error("no reply within " + std::to_string(o.timeout.count()) + " ms");
            } else {
                pending = true;
                wake = std::min(wake, deadline);
            }
        }
        if (next_seq > count && !pending) break;

        int w = wait_fd(sock.get(), POLLIN, ms_until(wake));
        if (w == -2) throw_errno("ping: wait for reply", object);
        if (w != 1) continue;
        for (;;) {
            sockaddr_storage peer{};
            socklen_t peer_len = sizeof peer;
            ssize_t n = ::recvfrom(sock.get(), buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), &peer_len);
            Clock::time_point arrived = Clock::now();
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                // A queued socket error (e.g. ICMP error reported on the socket): not fatal.
                break;
            }
            std::optional<icmp::Received> r =
                family == Family::V4 ? icmp::parse_v4(buf, static_cast<std::size_t>(n))
                                     : icmp::parse_v6(buf, static_cast<std::size_t>(n), from_sockaddr(peer).first);
            if (!r || r->id != id || r->seq < 1 || r->seq >= next_seq) continue;
            if (state[r->seq] != State::pending) continue;  // duplicate, late, or already failed
            if (r->kind == icmp::Received::Kind::reply) {
                if (r->cookie != cookie) continue;
                state[r->seq] = State::answered;
                rtts.push_back(std::chrono::duration<double, std::milli>(arrived - sent_at[r->seq]).count());
            } else {
                if (r->original_destination != dest) continue;
                state[r->seq] = State::lost;
                note_error("From " + r->from.to_string() + ": " + icmp::error_text(family, r->type, r->code));
            }
        }
    }
    icmp::finish(result, rtts);
    return result;
}

// ---------------------------------------------------------------------------------------------
// TCP server and client
// ---------------------------------------------------------------------------------------------

// One accepted connection, handed to a TcpServer handler. All I/O waits at most `timeout` for
// progress and gives up at once when the server is stopping.
class TcpConnection {
public:
    TcpConnection(detail::UniqueFd fd, IpAddress peer, std::uint16_t peer_port, int stop_fd)
        : fd_(std::move(fd)), peer_(peer), peer_port_(peer_port), stop_fd_(stop_fd) {}

    int fd() const noexcept { return fd_.get(); }
    // The client's address as the server sees it (after any NAT on the way).
    const IpAddress& peer() const noexcept { return peer_; }
    std::uint16_t peer_port() const noexcept { return peer_port_; }
    std::uint64_t bytes_read() const noexcept { return bytes_read_; }
    std::uint64_t bytes_written() const noexcept { return bytes_written_; }

    // Up to `size` bytes; 0 at end of stream; -1 on error, timeout or server stop.
    ssize_t read_some(void* data, std::size_t size, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        for (;;) {
            ssize_t n = ::recv(fd_.get(), data, size, MSG_DONTWAIT);
            if (n >= 0) {
                bytes_read_ += static_cast<std::uint64_t>(n);
                return n;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            if (detail::wait_fd(fd_.get(), POLLIN, static_cast<int>(timeout.count()), stop_fd_) != 1) return -1;
        }
    }
    // Reads until `delimiter` has been seen (included in the result) or `max` bytes; nullopt on
    // end of stream, error, timeout or stop before that.
    std::optional<std::string> read_until(std::string_view delimiter, std::size_t max = 64 * 1024,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        std::string s;
        char buf[1024];
        while (s.find(delimiter) == std::string::npos) {
            if (s.size() >= max) return s;
            ssize_t n = read_some(buf, std::min(sizeof buf, max - s.size()), timeout);
            if (n <= 0) return std::nullopt;
            s.append(buf, static_cast<std::size_t>(n));
        }
        return s;
    }
    // Reads and discards until the client closes; returns the bytes read (also on error/stop).
    std::uint64_t drain(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        char buf[64 * 1024];
        std::uint64_t total = 0;
        for (;;) {
            ssize_t n = read_some(buf, sizeof buf, timeout);
            if (n <= 0) return total;
            total += static_cast<std::uint64_t>(n);
        }
    }
    // Writes everything; false on error, timeout or stop.
    bool write_all(std::string_view data, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                bytes_written_ += static_cast<std::uint64_t>(n);
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
            if (detail::wait_fd(fd_.get(), POLLOUT, static_cast<int>(timeout.count()), stop_fd_) != 1) return false;
        }
        return true;
    }
    // No more writes from the server (the client reads end of stream).
    void shutdown_write() noexcept { ::shutdown(fd_.get(), SHUT_WR); }

private:
    detail::UniqueFd fd_;
    IpAddress peer_;
    std::uint16_t peer_port_ = 0;
    int stop_fd_ = -1;
    std::uint64_t bytes_read_ = 0, bytes_written_ = 0;
};

// A TCP server: a thread inside a namespace accepting connections and passing each to a handler,
// one at a time (`ip netns exec NS nc -lk PORT`). The default handler is a sink: it reads until
// the client closes (tcp_transfer's counterpart). The destructor (or stop()) wakes the thread
// through an eventfd, so it ends promptly even mid-connection, joins it and closes the sockets.
class TcpServer {
public:
    using Handler = std::function<void(TcpConnection&)>;

    // A peer the server accepted, as it saw it.
    struct Peer {
        IpAddress address{};
        std::uint16_t port = 0;
    };

    TcpServer() = default;

    // Listens on every address of the namespace, IPv4 and IPv6 (port 0: the kernel picks; see port()).
    static TcpServer listen(const NetnsRef& ns, std::uint16_t port, Handler handler = {}) {
        return start(ns, std::nullopt, port, std::move(handler));
    }
    // Listens on one address (it must be configured in the namespace already).
    static TcpServer listen(const NetnsRef& ns, const IpAddress& address, std::uint16_t port, Handler handler = {}) {
        return start(ns, address, port, std::move(handler));
    }

    TcpServer(TcpServer&&) noexcept = default;
    TcpServer& operator=(TcpServer&& o) noexcept {
        if (this != &o) {
            stop();
            state_ = std::move(o.state_);
        }
        return *this;
    }
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;
    ~TcpServer() { stop(); }

    bool running() const noexcept { return state_ && state_->thread.joinable(); }
    // The port it listens on (the kernel's choice when 0 was asked for).
    std::uint16_t port() const noexcept { return state_ ? state_->port : 0; }
    std::size_t connections() const {
        if (!state_) return 0;
        std::lock_guard lock(state_->mutex);
        return state_->peers.size();
    }
    // Every client accepted so far, in order.
    std::vector<Peer> peers() const {
        if (!state_) return {};
        std::lock_guard lock(state_->mutex);
        return state_->peers;
    }
    // Bytes read from all finished connections.
    std::uint64_t bytes_received() const {
        if (!state_) return 0;
        std::lock_guard lock(state_->mutex);
        return state_->bytes_received;
    }
    // The last exception a handler threw (the server goes on), or "".
    std::string last_error() const {
        if (!state_) return {};
        std::lock_guard lock(state_->mutex);
        return state_->last_error;
    }
    // Stops accepting, interrupts the current connection, joins the thread. Idempotent.
    void stop() noexcept {
        if (!state_) return;
        if (!state_->made_here) {
            // A fork child's copy: the serving thread exists only in the parent, so joining (or
            // destroying the joinable std::thread, which terminates) is impossible. Leave the
            // state to the child's exit; the parent's server goes on.
            (void)state_.release();
            return;
        }
        if (state_->thread.joinable()) {
            std::uint64_t one = 1;
            (void)!::write(state_->stop.get(), &one, sizeof one);
            state_->thread.join();
        }
        state_.reset();
    }

private:
    struct State {
        detail::UniqueFd listener{}, stop{}, netns{};
        std::uint16_t port = 0;
        Handler handler{};
        std::string where{};
        mutable std::mutex mutex{};
        std::vector<Peer> peers{};
        std::uint64_t bytes_received = 0;
        std::string last_error{};
        std::thread thread{};
        detail::ProcessOwned made_here = true;  // false in a fork child (see stop())
    };

    static TcpServer start(const NetnsRef& ns, std::optional<IpAddress> address, std::uint16_t port, Handler handler) {
        auto st = std::make_unique<State>();
        st->where = ns.display_name() + " " + (address ? address->to_string() : std::string("*")) + ":" +
                    std::to_string(port);
        const char* op = "tcp listen";
        auto open = [&](int af) { return ns.socket(af, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP); };
        if (address) {
            st->listener = open(address->af());
        } else {
            // Dual stack (IPv6 socket taking IPv4 too); a kernel without IPv6 gets IPv4 only.
            try {
                st->listener = open(AF_INET6);
                int off = 0;
                ::setsockopt(st->listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
            } catch (const Error& e) {
                if (e.errnum() != EAFNOSUPPORT) throw;
                st->listener = open(AF_INET);
            }
        }
        int on = 1;
        ::setsockopt(st->listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        detail::SockAddr sa{};
        if (address) {
            sa = detail::make_sockaddr(*address, port);
        } else {
            sockaddr_storage probe{};
            socklen_t len = sizeof probe;
            ::getsockname(st->listener.get(), reinterpret_cast<sockaddr*>(&probe), &len);
            sa = detail::make_sockaddr(probe.ss_family == AF_INET6 ? IpAddress::parse("::") : IpAddress(), port);
        }
        if (::bind(st->listener.get(), sa.get(), sa.length) != 0) throw_errno(op, st->where);
        if (::listen(st->listener.get(), 64) != 0) throw_errno(op, st->where);
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        if (::getsockname(st->listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) throw_errno(op, st->where);
        st->port = detail::from_sockaddr(bound).second;
        int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0) throw_errno("create eventfd", st->where);
        st->stop.reset(efd);
        st->netns = detail::UniqueFd(::fcntl(ns.fd(), F_DUPFD_CLOEXEC, 0));
        st->handler = std::move(handler);
        if (!st->handler) st->handler = [](TcpConnection& c) { c.drain(); };
        State* raw = st.get();
        st->thread = std::thread([raw] { serve(*raw); });
        TcpServer server;
        server.state_ = std::move(st);
        return server;
    }

    static void serve(State& st) {
        // The handler runs inside the namespace too (sockets it opens live there).
        if (st.netns && ::setns(st.netns.get(), CLONE_NEWNET) != 0) {
            std::lock_guard lock(st.mutex);
            st.last_error = "enter network namespace: " + detail::errno_text(errno);
        }
        for (;;) {
            int w = detail::wait_fd(st.listener.get(), POLLIN, -1, st.stop.get());
            if (w == -1) return;
            if (w != 1) {
                if (w == -2) return;
                continue;
            }
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            int c = ::accept4(st.listener.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (c < 0) continue;  // EAGAIN (another wakeup), ECONNABORTED, ...
            auto [address, port] = detail::from_sockaddr(peer);
            {
                std::lock_guard lock(st.mutex);
                st.peers.push_back({address, port});
            }
            TcpConnection conn(detail::UniqueFd(c), address, port, st.stop.get());
            std::string error;
            try {
                st.handler(conn);
            } catch (const std::exception& e) {
                error = e.what();
            } catch (...) {
                error = "unknown exception";
            }
            std::lock_guard lock(st.mutex);
            st.bytes_received += conn.bytes_read();
            if (!error.empty()) st.last_error = error;
        }
    }

    std::unique_ptr<State> state_{};
};

struct TcpTransferResult {
    bool connected = false;
    std::size_t bytes = 0;   // bytes sent and delivered (the server closed after reading them)
    double seconds = 0;      // from connection established to the server's close
    std::string error{};     // "Connection refused", "Connection timed out (...)", ...
    double megabits_per_second() const { return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e6 : 0; }
};

// Connects from inside `from` to host:port and sends `bytes` bytes, then waits for the server to
// close (a TcpServer sink does after reading everything). `timeout` bounds the connect and every
// stall of the transfer. Failures are reported in the result, not thrown (bad input is thrown).
inline TcpTransferResult tcp_transfer(const NetnsRef& from, std::string_view host, std::uint16_t port, std::size_t bytes,
                                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
    using namespace detail;
    IpAddress to = parse_host(host, "tcp transfer");
    TcpTransferResult r{};
    auto [sock, why] = tcp_connect(from, to, port, timeout);
    if (!sock) {
        r.error = why;
        return r;
    }
    r.connected = true;
    auto start = Clock::now();
    std::vector<char> chunk(std::min<std::size_t>(bytes, 64 * 1024), 'x');
    std::size_t left = bytes;
    while (left > 0) {
        ssize_t n = ::send(sock.get(), chunk.data(), std::min(left, chunk.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            left -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            r.error = "send: " + errno_text(errno);
            break;
        }
        int w = wait_fd(sock.get(), POLLOUT, static_cast<int>(timeout.count()));
        if (w != 1) {
            r.error = w == 0 ? "send stalled for " + std::to_string(timeout.count()) + " ms" : "poll: " + errno_text(errno);
            break;
        }
    }
    std::size_t sent = bytes - left;
    if (r.error.empty()) {
        ::shutdown(sock.get(), SHUT_WR);
        char buf[4096];
        for (;;) {
            ssize_t n = ::recv(sock.get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0) break;
            if (n > 0) continue;
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                r.error = "waiting for the server to close: " + errno_text(errno);
                break;
            }
            if (wait_fd(sock.get(), POLLIN, static_cast<int>(timeout.count())) != 1) {
                r.error = "the server did not close within " + std::to_string(timeout.count()) + " ms";
                break;
            }
        }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.bytes = r.error.empty() ? sent : 0;
    return r;
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

// Response header in which HttpServer tells the client the address it saw the request come from.
inline constexpr const char* http_peer_header = "X-Nsnet-Peer";

// A minimal HTTP/1.0 file server inside a namespace (the docker-bridge lab's nginx/gitlab;
// `python3 -m http.server PORT` in a directory). GET PATH returns files[PATH]; GET / returns a
// directory listing naming the files (unless "/" is itself a file). Every response carries the
// client's address as the server saw it (header X-Nsnet-Peer), and requests() logs them.
class HttpServer {
public:
    struct Request {
        IpAddress peer{};
        std::uint16_t peer_port = 0;
        std::string method{}, path{};
        int status = 0;
    };

    HttpServer() = default;

    static HttpServer serve(const NetnsRef& ns, std::uint16_t port, std::map<std::string, std::string> files) {
        return start(ns, std::nullopt, port, std::move(files));
    }
    static HttpServer serve(const NetnsRef& ns, const IpAddress& address, std::uint16_t port,
                            std::map<std::string, std::string> files) {
        return start(ns, address, port, std::move(files));
    }

    std::uint16_t port() const noexcept { return server_.port(); }
    std::vector<Request> requests() const {
        if (!log_) return {};
        std::lock_guard lock(log_->mutex);
        return log_->requests;
    }
    void stop() noexcept { server_.stop(); }

    // The HTTP response for one request line (pure; used by the server and by unit tests).
    static std::string respond(const std::map<std::string, std::string>& files, std::string_view request,
                               const std::string& peer, int* status_out = nullptr, std::string* method_out = nullptr,
                               std::string* path_out = nullptr) {
        std::string_view line = request.substr(0, request.find("\r\n"));
        if (line.find('\n') != std::string_view::npos) line = line.substr(0, line.find('\n'));
        auto sp1 = line.find(' ');
        auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        std::string method(line.substr(0, sp1));
        std::string path = sp1 == std::string_view::npos ? std::string() : std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
        if (auto q = path.find_first_of("?#"); q != std::string::npos) path.resize(q);
        if (method_out) *method_out = method;
        if (path_out) *path_out = path;
        int status = 200;
        std::string type = "text/plain", body;
        if (method != "GET" && method != "HEAD") {
            status = method.empty() || path.empty() ? 400 : 501;
        } else if (path.empty() || path[0] != '/') {
            status = 400;
        } else if (auto f = files.find(path); f != files.end()) {
            body = f->second;
        } else if (path == "/") {
            type = "text/html";
            body = "<!DOCTYPE HTML>\n<html>\n<head><title>Directory listing for /</title></head>\n<body>\n"
                   "<h1>Directory listing for /</h1>\n<hr>\n<ul>\n";
            for (const auto& [name, content] : files) {
                std::string n = name.substr(1);
                body += "<li><a href=\"" + n + "\">" + n + "</a></li>\n";
            }
            body += "</ul>\n<hr>\n</body>\n</html>\n";
        } else {
            status = 404;
        }
        const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 400 ? "Bad Request" : "Not Implemented";
        if (status != 200) body = std::to_string(status) + " " + reason + "\n";
        if (status_out) *status_out = status;
        std::string head = "HTTP/1.0 " + std::to_string(status) + " " + reason + "\r\nServer: nsnet\r\nContent-Type: " +
                           type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + http_peer_header +
                           ": " + peer + "\r\nConnection: close\r\n\r\n";
        return method == "HEAD" ? head : head + body;
    }

private:
    struct Log {
        std::mutex mutex{};
        std::vector<Request> requests{};
    };

    static HttpServer start(const NetnsRef& ns, std::optional<IpAddress> address, std::uint16_t port,
                            std::map<std::string, std::string> files) {
        for (const auto& [name, content] : files)
            if (name.empty() || name[0] != '/')
                invalid_argument("http serve", name, "file name '" + name + "' must start with '/'");
        HttpServer h;
        h.log_ = std::make_shared<Log>();
        auto handler = [files = std::move(files), log = h.log_](TcpConnection& c) {
            auto request = c.read_until("\r\n\r\n", 16 * 1024, std::chrono::seconds(5));
            if (!request) return;
            Request entry{.peer = c.peer(), .peer_port = c.peer_port()};
            std::string reply = respond(files, *request, c.peer().to_string(), &entry.status, &entry.method, &entry.path);
            {
                std::lock_guard lock(log->mutex);
                log->requests.push_back(entry);
            }
            c.write_all(reply);
        };
        h.server_ = address ? TcpServer::listen(ns, *address, port, handler) : TcpServer::listen(ns, port, handler);
        return h;
    }

    std::shared_ptr<Log> log_{};
    TcpServer server_{};
};

struct HttpResponse {
    int status = 0;                    // 0: no HTTP answer (see error)
    std::string body{};
    std::string peer_seen_by_server{}; // the client address HttpServer saw (after NAT), "" for other servers
    std::string error{};               // "Connection refused", "Connection timed out (...)", ...
    bool ok() const { return status == 200; }
};

namespace detail {

// Splits a raw HTTP response into status, X-Nsnet-Peer and body.
inline HttpResponse parse_http_response(std::string_view raw) {
    HttpResponse r{};
    auto end = raw.find("\r\n\r\n");
    std::string_view head = raw.substr(0, end);
    if (end != std::string_view::npos) r.body = std::string(raw.substr(end + 4));
    std::string_view status_line = head.substr(0, head.find("\r\n"));
    if (status_line.rfind("HTTP/", 0) != 0) {
        r.error = "not an HTTP response";
        return r;
    }
    auto sp = status_line.find(' ');
    if (sp != std::string_view::npos && sp + 4 <= status_line.size()) {
        std::string code(status_line.substr(sp + 1, 3));
        if (code.find_first_not_of("0123456789") == std::string::npos) r.status = std::stoi(code);
    }
    if (r.status == 0) r.error = "malformed status line '" + std::string(status_line) + "'";
    std::string key = std::string(http_peer_header) + ":";
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
        pos += 2;
        std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
        if (line.size() > key.size() && strncasecmp(line.data(), key.data(), key.size()) == 0) {
            std::string_view v = line.substr(key.size());
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            r.peer_seen_by_server = std::string(v);
        }
    }
    return r;
}

}  // namespace detail

// GET http://HOST:PORT/PATH from inside `from` (HTTP/1.0; `ip netns exec FROM curl ...`). HOST is
// an IP literal. Connection failures are reported in `error` with status 0, not thrown.
inline HttpResponse http_get(const NetnsRef& from, std::string_view host, std::uint16_t port, std::string_view path = "/",
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
    using namespace detail;
    IpAddress to = parse_host(host, "http get");
    if (path.empty() || path[0] != '/') invalid_argument("http get", std::string(path), "path must start with '/'");
    HttpResponse r{};
    auto [sock, why] = tcp_connect(from, to, port, timeout);
    if (!sock) {
        r.error = why;
        return r;
    }
    std::string host_header = to.is_v6() ? "[" + to.to_string() + "]" : to.to_string();
    std::string req = "GET " + std::string(path) + " HTTP/1.0\r\nHost: " + host_header + ":" + std::to_string(port) +
                      "\r\nUser-Agent: nsnet\r\n\r\n";
    std::string_view left = req;
    while (!left.empty()) {
        ssize_t n = ::send(sock.get(), left.data(), left.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            left.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if ((n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
            wait_fd(sock.get(), POLLOUT, static_cast<int>(timeout.count())) != 1) {
            r.error = "sending the request failed: " + errno_text(errno);
            return r;
        }
    }
    std::string raw;
    char buf[16 * 1024];
    auto deadline = Clock::now() + timeout;
    for (;;) {
        ssize_t n = ::recv(sock.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) break;
        if (n > 0) {
            raw.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            r.error = "reading the response failed: " + errno_text(errno);
            return r;
        }
        if (wait_fd(sock.get(), POLLIN, ms_until(deadline)) != 1) {
            r.error = "no complete response within " + std::to_string(timeout.count()) + " ms";
            return r;
        }
    }
    return parse_http_response(raw);
}

}  // namespace nsnet
