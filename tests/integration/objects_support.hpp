// tests/integration/objects_support.hpp — helpers of the rule / neighbour / nexthop / monitor tests.
//
// Testbed: one namespace of the test's own with lo up and a veth pair a<->b (both ends inside),
// a = 10.99.0.1/16 + 2001:db8:99::1/64 (nodad), both up. connect_errno() does a UDP connect() from
// inside the namespace, which runs the kernel's route lookup (rules included) without sending a
// packet: 0 when a route is found, else the errno the lookup gave (EACCES for prohibit, ...).
// iproute2_output() runs `ip` for cross-checks when iproute2 is installed (busybox ip in the VM
// is not iproute2: callers skip the cross-check when it returns nullopt).
#pragma once

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstdio>
#include <optional>
#include <string>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/veth.hpp"
#include "support.hpp"

namespace nsnet::test {

struct ObjectsBed {
    Netns ns;
    VethPair veth;
    const Link& a() const { return veth.first(); }
    const Link& b() const { return veth.second(); }
};

inline ObjectsBed make_objects_bed(const char* tag) {
    ObjectsBed bed{Netns::create(unique_name(tag)), {}};
    Link::loopback(bed.ns).up();
    bed.veth = VethPair::create(bed.ns, {.name = "a", .peer = {.name = "b"}});
    bed.a().add_address("10.99.0.1/16");
    bed.a().add_address("2001:db8:99::1/64");
    bed.b().up();
    bed.a().up();
    return bed;
}

// UDP connect() from inside ns (optionally bound to a source address, optionally with SO_MARK):
// 0 when the kernel found a route, else its errno.
inline int connect_errno(const NetnsRef& ns, const std::string& to, const std::string& from = {},
                         std::optional<unsigned> mark = {}) {
    IpAddress dst = IpAddress::parse(to);
    auto fd = ns.socket(dst.af(), SOCK_DGRAM);
    if (mark) {
        int m = static_cast<int>(*mark);
        REQUIRE(::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &m, sizeof m) == 0);
    }
    auto fill = [](const IpAddress& ip, sockaddr_storage& ss) -> socklen_t {
        ss = {};
        if (ip.is_v4()) {
            auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
            s4->sin_family = AF_INET;
            s4->sin_port = htons(9);
            std::memcpy(&s4->sin_addr, ip.data(), 4);
            return sizeof(sockaddr_in);
        }
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(9);
        std::memcpy(&s6->sin6_addr, ip.data(), 16);
        return sizeof(sockaddr_in6);
    };
    sockaddr_storage ss;
    if (!from.empty()) {
        socklen_t len = fill(IpAddress::parse(from), ss);
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = 0;
        if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = 0;
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return errno;
    }
    socklen_t len = fill(dst, ss);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
}

// stdout of `ip ARGS` when iproute2 is installed, else nullopt.
inline std::optional<std::string> iproute2_output(const std::string& args) {
    auto run = [](const std::string& cmd) {
        std::string out;
        FILE* p = ::popen(cmd.c_str(), "r");
        if (!p) return out;
        char buf[512];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
        return out;
    };
    static const bool have = run("ip -V 2>/dev/null").find("iproute2") != std::string::npos;
    if (!have) return std::nullopt;
    return run("ip " + args + " 2>&1");
}

}  // namespace nsnet::test
