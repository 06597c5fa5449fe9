// Unit tests of examples/support/nsnet_probe/probe.hpp (the probes of tests and labs), the parts
// that need no namespace: ICMP echo packets (building, checksum, parsing replies and errors,
// truncated input), ping's summary, the HTTP server's responses and the client's parser, sockaddr
// helpers. The `ip a` formatting: show_test.cpp.
#include "nsnet_probe/probe.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace icmp = nsnet::detail::icmp;
using nsnet::Family;
using nsnet::IpAddress;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A 20-byte IPv4 header (no options unless ihl > 5) in front of `payload`.
std::vector<std::uint8_t> ipv4(const std::string& src, const std::string& dst, const std::vector<std::uint8_t>& payload,
                               unsigned ihl = 5, std::uint8_t protocol = IPPROTO_ICMP) {
    std::vector<std::uint8_t> p(ihl * 4, 0);
    p[0] = static_cast<std::uint8_t>(0x40 | ihl);
    std::size_t total = p.size() + payload.size();
    p[2] = static_cast<std::uint8_t>(total >> 8);
    p[3] = static_cast<std::uint8_t>(total);
    p[8] = 64;
    p[9] = protocol;
    auto s = IpAddress::parse(src), d = IpAddress::parse(dst);
    std::copy(s.data(), s.data() + 4, p.begin() + 12);
    std::copy(d.data(), d.data() + 4, p.begin() + 16);
    icmp::put16(&p[10], icmp::checksum(p.data(), p.size()));
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

// The echo reply a host sends back for `request` (type changed, checksum redone).
std::vector<std::uint8_t> reply_to(std::vector<std::uint8_t> request) {
    request[0] = icmp::v4_echo_reply;
    request[2] = request[3] = 0;
    icmp::put16(&request[2], icmp::checksum(request.data(), request.size()));
    return request;
}

// An ICMP error of type/code quoting `original` (IP header + at least 8 bytes of it).
std::vector<std::uint8_t> icmp_error(std::uint8_t type, std::uint8_t code, const std::vector<std::uint8_t>& original) {
    std::vector<std::uint8_t> e = {type, code, 0, 0, 0, 0, 0, 0};
    e.insert(e.end(), original.begin(), original.end());
    icmp::put16(&e[2], icmp::checksum(e.data(), e.size()));
    return e;
}

}  // namespace

TEST_CASE("checksum: RFC 1071's example and self-verification") {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement.
    const std::uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(icmp::checksum(rfc, sizeof rfc) == 0x220d);
    // Odd length: the last byte is padded with zero.
    const std::uint8_t odd[] = {0x01};
    CHECK(icmp::checksum(odd, 1) == static_cast<std::uint16_t>(~0x0100));
    auto p = icmp::echo_request(Family::V4, 0x1234, 7, 0x0102030405060708ull);
    CHECK(icmp::checksum(p.data(), p.size()) == 0);
}

TEST_CASE("echo_request: layout like ping's (8-byte header, 56 bytes of data with the cookie first)") {
    auto p = icmp::echo_request(Family::V4, 0xbeef, 0x0102, 0x1122334455667788ull);
    REQUIRE(p.size() == 64);
    CHECK(p[0] == 8);
    CHECK(p[1] == 0);
    CHECK(icmp::get16(&p[4]) == 0xbeef);
    CHECK(icmp::get16(&p[6]) == 0x0102);
    CHECK(icmp::read_cookie(&p[8]) == 0x1122334455667788ull);

    auto v6 = icmp::echo_request(Family::V6, 1, 2, 3);
    CHECK(v6[0] == 128);
    CHECK(icmp::get16(&v6[2]) == 0);  // the kernel fills in the ICMPv6 checksum
    CHECK(icmp::echo_request(Family::V4, 1, 1, 1, 2).size() == 16);  // never shorter than the cookie
}

TEST_CASE("parse_v4: an echo reply gives identifier, sequence, cookie and sender") {
    auto req = icmp::echo_request(Family::V4, 0x4242, 3, 0xabcdef0123456789ull);
    auto pkt = ipv4("10.10.10.2", "10.10.10.1", reply_to(req));
    auto r = icmp::parse_v4(pkt.data(), pkt.size());
    REQUIRE(r);
    CHECK(r->kind == icmp::Received::Kind::reply);
    CHECK(r->id == 0x4242);
    CHECK(r->seq == 3);
    CHECK(r->cookie == 0xabcdef0123456789ull);
    CHECK(r->from == IpAddress::parse("10.10.10.2"));

    SUBCASE("an IPv4 header with options (IHL 6)") {
        auto opt = ipv4("10.10.10.2", "10.10.10.1", reply_to(req), 6);
        auto o = icmp::parse_v4(opt.data(), opt.size());
        REQUIRE(o);
        CHECK(o->seq == 3);
    }
    SUBCASE("a corrupted reply is ignored") {
        pkt.back() ^= 0xff;
        CHECK_FALSE(icmp::parse_v4(pkt.data(), pkt.size()));
    }
    SUBCASE("our own request looped back is not a reply") {
        auto own = ipv4("127.0.0.1", "127.0.0.1", req);
        CHECK_FALSE(icmp::parse_v4(own.data(), own.size()));
    }
    SUBCASE("not ICMP, not IPv4") {
        auto udp = ipv4("10.0.0.1", "10.0.0.2", reply_to(req), 5, IPPROTO_UDP);
        CHECK_FALSE(icmp::parse_v4(udp.data(), udp.size()));
        pkt[0] = 0x65;
        CHECK_FALSE(icmp::parse_v4(pkt.data(), pkt.size()));
    }
}

TEST_CASE("parse_v4: an ICMP error quoting our request names the request and the reason") {
    auto req = icmp::echo_request(Family::V4, 0x0777, 9, 1);
    auto original = ipv4("10.10.10.1", "198.51.100.8", req);
    original.resize(20 + 8);  // routers quote the IP header and 8 bytes
    auto pkt = ipv4("10.10.10.254", "10.10.10.1", icmp_error(icmp::v4_dest_unreach, 1, original));
    auto r = icmp::parse_v4(pkt.data(), pkt.size());
    REQUIRE(r);
    CHECK(r->kind == icmp::Received::Kind::error);
    CHECK(r->id == 0x0777);
    CHECK(r->seq == 9);
    CHECK_FALSE(r->cookie);
    CHECK(r->from == IpAddress::parse("10.10.10.254"));
    CHECK(r->original_destination == IpAddress::parse("198.51.100.8"));
    CHECK(icmp::error_text(Family::V4, r->type, r->code) == "Destination Host Unreachable");
    CHECK(icmp::error_text(Family::V4, icmp::v4_dest_unreach, 0) == "Destination Net Unreachable");
    CHECK(icmp::error_text(Family::V4, icmp::v4_dest_unreach, 13) == "Packet filtered");
    CHECK(icmp::error_text(Family::V4, icmp::v4_time_exceeded, 0) == "Time to live exceeded");

    SUBCASE("an error about something else (a UDP datagram) is not ours") {
        auto udp = ipv4("10.10.10.1", "198.51.100.8", std::vector<std::uint8_t>(8, 0), 5, IPPROTO_UDP);
        auto other = ipv4("10.10.10.254", "10.10.10.1", icmp_error(icmp::v4_dest_unreach, 3, udp));
        CHECK_FALSE(icmp::parse_v4(other.data(), other.size()));
    }
}

TEST_CASE("parse_v4 and parse_v6 never read past a truncated packet") {
    auto req = icmp::echo_request(Family::V4, 1, 1, 1);
    auto original = ipv4("10.0.0.1", "10.0.0.2", req);
    for (const auto& pkt : {ipv4("10.0.0.2", "10.0.0.1", reply_to(req)),
                            ipv4("10.0.0.9", "10.0.0.1", icmp_error(icmp::v4_dest_unreach, 1, original))}) {
        for (std::size_t len = 0; len < pkt.size(); ++len) {
            // A copy of exactly `len` bytes, so a sanitizer catches any read beyond it.
            std::vector<std::uint8_t> cut(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(len));
            auto r = icmp::parse_v4(cut.data(), cut.size());
            if (r) CHECK(r->id == 1);
        }
    }
    auto v6 = icmp::echo_request(Family::V6, 5, 6, 7);
    v6[0] = icmp::v6_echo_reply;
    for (std::size_t len = 0; len < v6.size(); ++len) {
        std::vector<std::uint8_t> cut(v6.begin(), v6.begin() + static_cast<std::ptrdiff_t>(len));
        auto r = icmp::parse_v6(cut.data(), cut.size(), IpAddress::parse("::1"));
        CHECK(static_cast<bool>(r) == (len >= 8));
        if (r) CHECK(r->cookie.has_value() == (len >= 16));
    }
}

TEST_CASE("parse_v6: replies and errors") {
    auto req = icmp::echo_request(Family::V6, 0x1111, 2, 0x99);
    auto reply = req;
    reply[0] = icmp::v6_echo_reply;
    auto from = IpAddress::parse("fd00::2");
    auto r = icmp::parse_v6(reply.data(), reply.size(), from);
    REQUIRE(r);
    CHECK(r->kind == icmp::Received::Kind::reply);
    CHECK(r->id == 0x1111);
    CHECK(r->seq == 2);
    CHECK(r->cookie == 0x99u);
    CHECK(r->from == from);
    CHECK_FALSE(icmp::parse_v6(req.data(), req.size(), from));  // our own request

    // Destination unreachable, address unreachable: header, original IPv6 header, our request.
    std::vector<std::uint8_t> err = {icmp::v6_dest_unreach, 3, 0, 0, 0, 0, 0, 0};
    std::vector<std::uint8_t> ip6(40, 0);
    ip6[0] = 0x60;
    ip6[6] = IPPROTO_ICMPV6;
    auto dst = IpAddress::parse("fd00::99");
    std::copy(dst.data(), dst.data() + 16, ip6.begin() + 24);
    err.insert(err.end(), ip6.begin(), ip6.end());
    err.insert(err.end(), req.begin(), req.end());
    auto e = icmp::parse_v6(err.data(), err.size(), IpAddress::parse("fd00::1"));
    REQUIRE(e);
    CHECK(e->kind == icmp::Received::Kind::error);
    CHECK(e->seq == 2);
    CHECK(e->original_destination == dst);
    CHECK(icmp::error_text(Family::V6, e->type, e->code) == "Destination unreachable: Address unreachable");
    err[8 + 6] = IPPROTO_UDP;
    CHECK_FALSE(icmp::parse_v6(err.data(), err.size(), IpAddress::parse("fd00::1")));
}

TEST_CASE("PingResult: summary, loss and rtt statistics") {
    nsnet::PingResult all{.sent = 4};
    icmp::finish(all, {0.05, 0.07, 0.09, 0.07});
    CHECK(all.all_answered());
    CHECK_FALSE(all.none_answered());
    CHECK(all.summary() == "4 sent, 4 received, 0% loss, rtt 0.05/0.07/0.09 ms");

    nsnet::PingResult none{.sent = 4, .error = "Network is unreachable"};
    icmp::finish(none, {});
    CHECK(none.none_answered());
    CHECK_FALSE(none.all_answered());
    CHECK(none.loss_percent == 100);
    CHECK(none.summary() == "4 sent, 0 received, 100% loss: Network is unreachable");

    nsnet::PingResult part{.sent = 3, .error = "no reply within 1000 ms"};
    icmp::finish(part, {1.0, 3.0});
    CHECK(part.summary() == "3 sent, 2 received, 33.3% loss, rtt 1.00/2.00/3.00 ms: no reply within 1000 ms");

    nsnet::PingResult nothing{};
    CHECK_FALSE(nothing.all_answered());  // nothing sent is not "all answered"
}

TEST_CASE("HttpServer::respond: files, the listing, errors, and the peer header") {
    std::map<std::string, std::string> files = {{"/nginx.file", "nginx\n"}, {"/gitlab.file", "gitlab\n"}};
    int status = 0;
    std::string method, path;
    auto r = nsnet::HttpServer::respond(files, "GET /nginx.file HTTP/1.1\r\nHost: x\r\n\r\n", "192.168.54.230", &status,
                                        &method, &path);
    CHECK(status == 200);
    CHECK(method == "GET");
    CHECK(path == "/nginx.file");
    CHECK(r.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(contains(r, "Content-Length: 6\r\n"));
    CHECK(contains(r, "X-Nsnet-Peer: 192.168.54.230\r\n"));
    CHECK(r.substr(r.size() - 6) == "nginx\n");

    auto listing = nsnet::HttpServer::respond(files, "GET / HTTP/1.0\r\n\r\n", "10.0.0.1", &status);
    CHECK(status == 200);
    CHECK(contains(listing, "Directory listing for /"));
    CHECK(contains(listing, "<a href=\"nginx.file\">nginx.file</a>"));
    CHECK(contains(listing, "<a href=\"gitlab.file\">gitlab.file</a>"));

    nsnet::HttpServer::respond(files, "GET /nope HTTP/1.0\r\n\r\n", "p", &status);
    CHECK(status == 404);
    nsnet::HttpServer::respond(files, "GET /nginx.file?x=1 HTTP/1.0\r\n\r\n", "p", &status);
    CHECK(status == 200);
    nsnet::HttpServer::respond(files, "POST /nginx.file HTTP/1.0\r\n\r\n", "p", &status);
    CHECK(status == 501);
    nsnet::HttpServer::respond(files, "\r\n\r\n", "p", &status);
    CHECK(status == 400);
    auto head = nsnet::HttpServer::respond(files, "HEAD /nginx.file HTTP/1.0\r\n\r\n", "p", &status);
    CHECK(status == 200);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");  // headers only
}

TEST_CASE("parse_http_response: status, body and the address the server saw") {
    auto r = nsnet::detail::parse_http_response("HTTP/1.0 200 OK\r\nx-nsnet-peer:  10.1.2.3\r\nA: b\r\n\r\nbody");
    CHECK(r.status == 200);
    CHECK(r.ok());
    CHECK(r.body == "body");
    CHECK(r.peer_seen_by_server == "10.1.2.3");
    CHECK(r.error.empty());

    auto other = nsnet::detail::parse_http_response("HTTP/1.1 404 Not Found\r\n\r\n");
    CHECK(other.status == 404);
    CHECK(other.peer_seen_by_server.empty());

    auto junk = nsnet::detail::parse_http_response("SSH-2.0-OpenSSH\r\n");
    CHECK(junk.status == 0);
    CHECK_FALSE(junk.error.empty());
    CHECK(nsnet::detail::parse_http_response("HTTP/1.0 2x0 OK\r\n\r\n").status == 0);
}

TEST_CASE("hosts are IP literals; names are rejected naming the value") {
    CHECK(nsnet::detail::parse_host("10.0.0.1", "t") == IpAddress::parse("10.0.0.1"));
    CHECK(nsnet::detail::parse_host("[fd00::1]", "t") == IpAddress::parse("fd00::1"));
    try {
        nsnet::detail::parse_host("example.com", "http get");
        FAIL("a host name was accepted");
    } catch (const nsnet::InvalidArgument& e) {
        CHECK(contains(e.what(), "'example.com'"));
        CHECK(contains(e.what(), "does not resolve"));
    }
}

TEST_CASE("sockaddr helpers: IPv4-mapped peers of a dual-stack listener come back as IPv4") {
    auto v4 = nsnet::detail::make_sockaddr(IpAddress::parse("192.0.2.1"), 8080);
    auto [a4, p4] = nsnet::detail::from_sockaddr(v4.storage);
    CHECK(a4 == IpAddress::parse("192.0.2.1"));
    CHECK(p4 == 8080);
    auto mapped = nsnet::detail::make_sockaddr(IpAddress::parse("::ffff:192.0.2.7"), 80);
    CHECK(nsnet::detail::from_sockaddr(mapped.storage).first == IpAddress::parse("192.0.2.7"));
    auto v6 = nsnet::detail::make_sockaddr(IpAddress::parse("fd00::5"), 1);
    CHECK(nsnet::detail::from_sockaddr(v6.storage).first == IpAddress::parse("fd00::5"));
}
