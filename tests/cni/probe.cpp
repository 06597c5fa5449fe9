// cni-probe — the probes of the CNI behaviour matrix (tests/cni/run), run inside namespaces the
// test created. A static program (no interpreter), so that the same probe runs on the host and in
// the VM stage's bare initramfs, and starts in a millisecond under qemu's emulation.
//
//   cni-probe serve NAME tcp:PORT|udp:PORT...  answer every TCP connection / UDP datagram with
//                                             "NAME PEER" (PEER: the source address seen)
//   cni-probe tcp HOST PORT                    print the answer, or "no-answer"
//   cni-probe udp HOST PORT                    one datagram (up to 5 tries); the answer, or "no-answer"
//   cni-probe udpstream HOST PORT STOPFILE     one socket (fixed source port) sending every 100 ms
//                                             until 3 s after STOPFILE exists; print the answering
//                                             names in order, e.g. "c1 c3" (repeats collapsed)
//   cni-probe conf KIND NAME BRIDGE DATADIR PORTS [PREV]
//                                             print a network configuration: KIND bridge (reference
//                                             bridge), portmap (reference portmap) or nsnet
//                                             (nsnet-bridge: both); PORTS "18080:80/tcp,..." or "-";
//                                             PREV a result file (prevResult)
//   cni-probe result FILE addr4|addr6|gw4|gw6  a value of a CNI result: the container's first
//                                             IPv4/IPv6 address (without length) or its gateway
//   cni-probe error FILE [WORD]                exit 0 if FILE is a CNI error object (code and msg),
//                                             and, with WORD, its msg contains WORD; print the msg
//
// The timeouts scale with CNI_PROBE_SLOW (a factor, default 1; the VM stage sets it: emulated
// guests answer later).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

double slow() {
    const char* s = std::getenv("CNI_PROBE_SLOW");
    double f = s ? std::atof(s) : 1.0;
    return f >= 1.0 ? f : 1.0;
}

int ms(double base) { return static_cast<int>(base * slow()); }

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "cni-probe: %s\n", msg.c_str());
    std::exit(2);
}

std::uint16_t port_of(const std::string& s) {
    char* end = nullptr;
    long p = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end || p < 1 || p > 65535) die("'" + s + "' is not a port");
    return static_cast<std::uint16_t>(p);
}

// A socket address for HOST (IPv4 or IPv6 text) and PORT.
sockaddr_storage address(const std::string& host, std::uint16_t port, socklen_t& len) {
    sockaddr_storage ss{};
    if (host.find(':') != std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) die("'" + host + "' is not an address");
        len = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        if (::inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) die("'" + host + "' is not an address");
        len = sizeof(sockaddr_in);
    }
    return ss;
}

// The peer's address as text; an IPv4-mapped IPv6 address as plain IPv4.
std::string peer_text(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
    } else {
        const auto& a = reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a)) ::inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf);
        else ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
    }
    return buf;
}

bool wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int r;
    while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
    return r > 0;
}

// ---- serve ----------------------------------------------------------------------------------------

int serve(const std::string& name, const std::vector<std::string>& specs) {
    std::vector<std::thread> threads;
    for (const auto& spec : specs) {
        auto colon = spec.find(':');
        if (colon == std::string::npos) die("'" + spec + "' is not tcp:PORT or udp:PORT");
        const std::string proto = spec.substr(0, colon);
        const bool tcp = proto == "tcp";
        if (!tcp && proto != "udp") die("'" + spec + "' is not tcp:PORT or udp:PORT");
        int s = ::socket(AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
        if (s < 0) die("socket: " + std::string(std::strerror(errno)));
        int off = 0, on = 1;
        ::setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_any;
        a.sin6_port = htons(port_of(spec.substr(colon + 1)));
        if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind " + spec + ": " + std::strerror(errno));
        if (tcp && ::listen(s, 64) != 0) die("listen " + spec + ": " + std::strerror(errno));
        threads.emplace_back([s, tcp, name] {
            for (;;) {
                sockaddr_storage peer{};
                socklen_t len = sizeof peer;
                if (tcp) {
                    int c = ::accept(s, reinterpret_cast<sockaddr*>(&peer), &len);
                    if (c < 0) continue;
                    const std::string answer = name + " " + peer_text(peer) + "\n";
                    if (::send(c, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) {}
                    ::close(c);
                } else {
                    char buf[2048];
                    if (::recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len) < 0) continue;
                    const std::string answer = name + " " + peer_text(peer) + "\n";
                    if (::sendto(s, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&peer), len) < 0) {}
                }
            }
        });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (auto& t : threads) t.join();
    return 0;
}

// ---- clients --------------------------------------------------------------------------------------

std::string first_line(const char* data, std::size_t n) {
    std::string s(data, n);
    auto nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    return s;
}

std::string tcp(const std::string& host, std::uint16_t port) {
    socklen_t len = 0;
    sockaddr_storage a = address(host, port, len);
    int s = ::socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0) return "no-answer";
    std::string out = "no-answer";
    const int timeout = ms(1500);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), len) == 0 || errno == EINPROGRESS) {
        int err = 0;
        socklen_t el = sizeof err;
        if (wait_for(s, POLLOUT, timeout) && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0 &&
            wait_for(s, POLLIN, timeout)) {
            char buf[200];
            ssize_t n = ::recv(s, buf, sizeof buf, 0);
            if (n > 0) out = first_line(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(s);
    return out.empty() ? "no-answer" : out;
}

std::string udp(const std::string& host, std::uint16_t port) {
    socklen_t len = 0;
    sockaddr_storage a = address(host, port, len);
    int s = ::socket(a.ss_family, SOCK_DGRAM, 0);
    if (s < 0) return "no-answer";
    std::string out = "no-answer";
    for (int i = 0; i < 5 && out == "no-answer"; ++i) {
        if (::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), len) < 0) {
            ::usleep(static_cast<useconds_t>(ms(300)) * 1000);
            continue;
        }
        if (wait_for(s, POLLIN, ms(300))) {
            char buf[200];
            ssize_t n = ::recv(s, buf, sizeof buf, 0);
            if (n > 0) out = first_line(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(s);
    return out;
}

std::string udpstream(const std::string& host, std::uint16_t port, const std::string& stopfile) {
    socklen_t len = 0;
    sockaddr_storage a = address(host, port, len);
    int s = ::socket(a.ss_family, SOCK_DGRAM, 0);
    if (s < 0) return "no-answer";
    std::vector<std::string> names;
    auto end = clock_type::now() + std::chrono::seconds(60 * static_cast<int>(slow()));  // at most
    bool stopping = false;
    while (clock_type::now() < end) {
        struct stat st {};
        if (!stopping && ::stat(stopfile.c_str(), &st) == 0) {
            stopping = true;
            end = std::min(end, clock_type::now() + std::chrono::milliseconds(ms(3000)));
        }
        if (::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), len) < 0) {}
        auto until = clock_type::now() + std::chrono::milliseconds(100);
        for (auto now = clock_type::now(); now < until; now = clock_type::now()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
            if (!wait_for(s, POLLIN, static_cast<int>(left) + 1)) break;
            char buf[200];
            ssize_t n = ::recv(s, buf, sizeof buf, 0);
            if (n <= 0) continue;
            std::string name = first_line(buf, static_cast<std::size_t>(n));
            name = name.substr(0, name.find(' '));
            if (names.empty() || names.back() != name) names.push_back(name);
        }
    }
    ::close(s);
    if (names.empty()) return "no-answer";
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
    return out;
}

// ---- configurations and results -------------------------------------------------------------------

json read_json(const std::string& file) {
    std::ifstream in(file);
    if (!in) die("cannot read " + file);
    try {
        return json::parse(in);
    } catch (const json::parse_error& e) {
        die(file + " is not JSON: " + e.what());
    }
}

int conf(const std::vector<std::string>& a) {
    if (a.size() < 5 || a.size() > 6) die("usage: conf KIND NAME BRIDGE DATADIR PORTS [PREV]");
    const std::string &kind = a[0], &name = a[1], &bridge = a[2], &datadir = a[3], &ports = a[4];
    if (kind != "bridge" && kind != "portmap" && kind != "nsnet") die("conf: KIND is bridge, portmap or nsnet, not " + kind);
    json mappings = json::array();
    if (ports != "-") {
        std::stringstream list(ports);
        for (std::string p; std::getline(list, p, ',');) {
            auto colon = p.find(':'), slash = p.find('/');
            if (colon == std::string::npos || slash == std::string::npos || slash < colon) die("'" + p + "' is not HOST:CONTAINER/PROTO");
            mappings.push_back({{"hostPort", port_of(p.substr(0, colon))},
                                {"containerPort", port_of(p.substr(colon + 1, slash - colon - 1))},
                                {"protocol", p.substr(slash + 1)}});
        }
    }
    json c = {{"cniVersion", "1.0.0"}, {"name", name}};
    if (kind == "bridge" || kind == "nsnet") {
        c["type"] = kind == "bridge" ? "bridge" : "nsnet-bridge";
        c["bridge"] = bridge;
        c["isGateway"] = true;
        c["ipMasq"] = true;
        c["hairpinMode"] = true;
        c["ipam"] = {{"type", "host-local"},
                     {"ranges", json::array({json::array({{{"subnet", "10.88.0.0/24"}}}),
                                             json::array({{{"subnet", "fd00:88::/64"}}})})},
                     {"routes", json::array({{{"dst", "0.0.0.0/0"}}, {{"dst", "::/0"}}})},
                     {"dataDir", datadir}};
    }
    if (kind == "portmap" || kind == "nsnet") {
        if (kind == "portmap") c["type"] = "portmap";
        c["capabilities"] = {{"portMappings", true}};
        c["runtimeConfig"] = {{"portMappings", mappings}};
    }
    if (a.size() == 6) c["prevResult"] = read_json(a[5]);
    std::cout << c.dump() << "\n";
    return 0;
}

int result(const std::string& file, const std::string& what) {
    json r = read_json(file);
    const bool want4 = what == "addr4" || what == "gw4";
    const bool gw = what == "gw4" || what == "gw6";
    if (!gw && what != "addr4" && what != "addr6") die("result: addr4, addr6, gw4 or gw6, not " + what);
    if (r.contains("ips"))
        for (const auto& ip : r["ips"]) {
            std::string addr = ip.value("address", "");
            if ((addr.find(':') == std::string::npos) != want4) continue;
            if (gw) {
                if (!ip.contains("gateway")) continue;
                std::cout << ip["gateway"].get<std::string>() << "\n";
            } else {
                std::cout << addr.substr(0, addr.find('/')) << "\n";
            }
            return 0;
        }
    die("result " + file + ": no " + what);
}

int error(const std::string& file, const std::string& word) {
    std::ifstream in(file);
    json r;
    try {
        r = json::parse(in);
    } catch (const json::parse_error&) {
        std::printf("not JSON\n");
        return 1;
    }
    if (!r.is_object() || !r.contains("code") || !r.contains("msg") || !r["msg"].is_string()) {
        std::printf("not a CNI error object\n");
        return 1;
    }
    const std::string msg = r["msg"].get<std::string>();
    std::printf("%s\n", msg.c_str());
    return word.empty() || msg.find(word) != std::string::npos ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> a(argv + 1, argv + argc);
    if (a.empty()) die("usage: cni-probe serve|tcp|udp|udpstream|conf|result|error ... (see the source)");
    const std::string cmd = a[0];
    a.erase(a.begin());
    if (cmd == "serve" && a.size() >= 2) return serve(a[0], {a.begin() + 1, a.end()});
    if (cmd == "tcp" && a.size() == 2) return std::printf("%s\n", tcp(a[0], port_of(a[1])).c_str()), 0;
    if (cmd == "udp" && a.size() == 2) return std::printf("%s\n", udp(a[0], port_of(a[1])).c_str()), 0;
    if (cmd == "udpstream" && a.size() == 3) return std::printf("%s\n", udpstream(a[0], port_of(a[1]), a[2]).c_str()), 0;
    if (cmd == "conf") return conf(a);
    if (cmd == "result" && a.size() == 2) return result(a[0], a[1]);
    if (cmd == "error" && (a.size() == 1 || a.size() == 2)) return error(a[0], a.size() == 2 ? a[1] : "");
    die("unknown command or wrong arguments: " + cmd);
}
