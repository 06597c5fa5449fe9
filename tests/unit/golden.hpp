// tests/unit/golden.hpp — read the golden netlink captures in tests/unit/golden/ and compare bytes.
//
//   auto g = nsnet::golden::load("route_add_gw");            // golden/route_add_gw.txt
//   NSNET_CHECK_GOLDEN(nsnet::golden::as_sent(msg), g);       // masks seq/pid and the "# vary:" ranges
//   NSNET_CHECK_GOLDEN(bytes, g.block(2), {{36, 39, "IFLA_NET_NS_FD"}});   // extra masked ranges
//
// The file format is described in golden/README.md: '#' lines are comments, other lines hex. A file
// holds one block, or several introduced by "# send k/n" (requests) or "# recv k/n" (kernel replies,
// capture_extra.py); every block has a "# vary: 8-11 nlmsg_seq, 36-39 IFLA_NET_NS_FD fd ..." line
// whose ranges (inclusive, relative to the block) are masked by default.
//
// On a mismatch the report shows both messages as annotated hex (netlink headers, attribute
// headers with their offsets) side by side, with differing bytes marked, so the wrong attribute is
// visible at a glance. The directory comes from NSNET_GOLDEN_DIR (set by tests/unit/meson.build).
#pragma once

#include <doctest/doctest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/nl/message.hpp"

#ifndef NSNET_GOLDEN_DIR
#error "NSNET_GOLDEN_DIR must name tests/unit/golden (tests/unit/meson.build defines it)"
#endif

namespace nsnet::golden {

using ByteVec = std::vector<std::uint8_t>;

// A byte range [first, last] (inclusive, as in the "# vary:" lines) that is not compared.
struct Mask {
    std::size_t first = 0, last = 0;
    std::string what{};
};

struct Block {
    std::string label{};       // "send 2/2", "recv 1/3" or "" for a single-block file
    std::string source{};      // "route_add_gw.txt", "dump_addr.txt send 2/2": for messages
    ByteVec bytes{};
    std::vector<Mask> vary{};  // parsed from "# vary:"
};

struct File {
    std::string name{}, path{}, cmd{}, note{};
    std::vector<Block> blocks{};

    // The only block; throws if the file has several.
    const Block& only() const {
        if (blocks.size() != 1)
            throw std::runtime_error("golden file " + path + " has " + std::to_string(blocks.size()) + " blocks, expected 1");
        return blocks.front();
    }
    // Block k, counted from 1 as in "# send k/n".
    const Block& block(std::size_t k) const {
        if (k == 0 || k > blocks.size())
            throw std::runtime_error("golden file " + path + " has no block " + std::to_string(k));
        return blocks[k - 1];
    }
    const ByteVec& bytes() const { return only().bytes; }
};

namespace detail {

inline std::string trim(std::string s) {
    auto b = s.find_first_not_of(" \t\r");
    auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "8-11 nlmsg_seq, 84-87 IFLA_NET_NS_FD fd (=4 here)" -> masks; "nothing" -> none.
inline std::vector<Mask> parse_vary(const std::string& text) {
    std::vector<Mask> out;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        item = trim(item);
        unsigned long a = 0, b = 0;
        int used = 0;
        if (std::sscanf(item.c_str(), "%lu-%lu%n", &a, &b, &used) == 2)
            out.push_back({a, b, trim(item.substr(static_cast<std::size_t>(used)))});
    }
    return out;
}

inline std::string hex2(std::uint8_t b) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    return buf;
}

inline std::uint32_t get32(const ByteVec& v, std::size_t off) {
    std::uint32_t x = 0;
    if (off + 4 <= v.size()) std::memcpy(&x, v.data() + off, 4);
    return x;
}
inline std::uint16_t get16(const ByteVec& v, std::size_t off) {
    std::uint16_t x = 0;
    if (off + 2 <= v.size()) std::memcpy(&x, v.data() + off, 2);
    return x;
}

// Size of the fixed family header after nlmsghdr for the rtnetlink types (0: unknown/none).
inline std::size_t family_header_size(std::uint16_t type) {
    switch (type) {
        case RTM_NEWLINK: case RTM_DELLINK: case RTM_GETLINK: case RTM_SETLINK: return sizeof(ifinfomsg);
        case RTM_NEWADDR: case RTM_DELADDR: case RTM_GETADDR: return sizeof(ifaddrmsg);
        case RTM_NEWROUTE: case RTM_DELROUTE: case RTM_GETROUTE: return sizeof(rtmsg);
        case RTM_NEWNEIGH: case RTM_DELNEIGH: case RTM_GETNEIGH: return sizeof(ndmsg);
        case RTM_NEWRULE: case RTM_DELRULE: case RTM_GETRULE: return 12;  // fib_rule_hdr
        case 104: case 105: case 106: return 8;                           // nhmsg
        default: return 0;
    }
}

// One note per interesting offset: where messages, family headers and top-level attributes start.
inline std::vector<std::string> annotate(const ByteVec& v) {
    std::vector<std::string> notes(v.size());
    std::size_t off = 0;
    while (off + 16 <= v.size()) {
        std::uint32_t len = get32(v, off);
        std::uint16_t type = get16(v, off + 4);
        notes[off] = "nlmsghdr len=" + std::to_string(len) + " type=" + std::to_string(type) + " flags=0x" +
                     hex2(v[off + 7]) + hex2(v[off + 6]);
        if (len < 16 || off + len > v.size()) break;
        std::size_t fh = family_header_size(type);
        if (fh && off + 16 + fh <= off + len) {
            notes[off + 16] = "family header (" + std::to_string(fh) + " bytes)";
            std::size_t a = off + 16 + ((fh + 3) & ~std::size_t{3});
            while (a + 4 <= off + len) {
                std::uint16_t alen = get16(v, a), atype = get16(v, a + 2);
                notes[a] = "attr type=" + std::to_string(atype & NLA_TYPE_MASK) +
                           ((atype & NLA_F_NESTED) ? "|NESTED" : "") + " len=" + std::to_string(alen);
                if (alen < 4) break;
                a += (alen + 3u) & ~3u;
            }
        }
        off += (len + 3u) & ~3u;
    }
    return notes;
}

}  // namespace detail

// Reads golden/<name>.txt. Throws std::runtime_error naming the path if it is missing or malformed.
inline File load(std::string_view name) {
    File f;
    f.name = std::string(name);
    f.path = std::string(NSNET_GOLDEN_DIR) + "/" + f.name + ".txt";
    std::ifstream in(f.path);
    if (!in) throw std::runtime_error("cannot open golden file " + f.path);
    Block* cur = nullptr;
    auto start = [&](std::string label) {
        std::string source = f.name + ".txt" + (label.empty() ? "" : " " + label);
        f.blocks.push_back(Block{std::move(label), std::move(source), {}, {}});
        cur = &f.blocks.back();
    };
    std::size_t lineno = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineno;
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::string c = detail::trim(line.substr(1));
            if (c.rfind("cmd:", 0) == 0 && f.cmd.empty()) f.cmd = detail::trim(c.substr(4));
            else if (c.rfind("note:", 0) == 0 && f.note.empty()) f.note = detail::trim(c.substr(5));
            else if (c.rfind("send ", 0) == 0 || c.rfind("recv ", 0) == 0) start(c);
            else if (c.rfind("vary:", 0) == 0) {
                if (!cur || !cur->bytes.empty()) start("");
                cur->vary = detail::parse_vary(c.substr(5));
            }
            continue;
        }
        if (!cur) start("");
        std::stringstream ss(line);
        for (std::string tok; ss >> tok;) {
            if (tok.size() != 2 || tok.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
                throw std::runtime_error(f.path + ":" + std::to_string(lineno) + ": '" + tok + "' is not a hex byte");
            cur->bytes.push_back(static_cast<std::uint8_t>(std::stoul(tok, nullptr, 16)));
        }
    }
    if (f.blocks.empty()) throw std::runtime_error("golden file " + f.path + " holds no bytes");
    return f;
}

// The bytes nl::request() puts on the wire for msg: NLM_F_ACK added unless it is a dump.
// (Sequence number and port id are left as they are: the comparison masks them.)
inline ByteVec as_sent(const nl::MessageBuilder& msg, bool ack = true) {
    ByteVec v(msg.size());
    std::memcpy(v.data(), msg.bytes().data(), v.size());
    std::uint16_t flags = msg.flags();
    if (ack && (flags & NLM_F_DUMP) != NLM_F_DUMP) flags |= NLM_F_ACK;
    std::memcpy(v.data() + 6, &flags, 2);
    return v;
}
inline ByteVec to_vec(nl::Bytes b) {
    ByteVec v(b.size());
    if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
    return v;
}
inline nl::Bytes as_bytes(const ByteVec& v) { return {reinterpret_cast<const std::byte*>(v.data()), v.size()}; }

struct Result {
    bool ok = false;
    std::string report{};
    explicit operator bool() const { return ok; }
};

// Compares actual with the block's bytes. Masked (not compared): nlmsg_seq and nlmsg_pid of every
// message found in expected, the block's "# vary:" ranges (unless use_vary=false) and `extra`.
inline Result compare(const ByteVec& actual, const Block& expected, const std::vector<Mask>& extra = {},
                      bool use_vary = true) {
    const ByteVec& exp = expected.bytes;
    std::vector<char> masked(std::max(actual.size(), exp.size()), 0);
    auto mask = [&](std::size_t a, std::size_t b) {
        for (std::size_t i = a; i <= b && i < masked.size(); ++i) masked[i] = 1;
    };
    for (std::size_t off = 0; off + 16 <= exp.size();) {
        mask(off + 8, off + 15);
        std::uint32_t len = detail::get32(exp, off);
        if (len < 16) break;
        off += (len + 3u) & ~3u;
    }
    if (use_vary)
        for (const Mask& m : expected.vary) mask(m.first, m.last);
    for (const Mask& m : extra) mask(m.first, m.last);

    Result r;
    r.ok = actual.size() == exp.size();
    for (std::size_t i = 0; r.ok && i < exp.size(); ++i)
        if (!masked[i] && actual[i] != exp[i]) r.ok = false;
    if (r.ok) return r;

    std::ostringstream o;
    o << "bytes differ from golden/" << expected.source << ": nsnet "
      << actual.size() << " bytes, iproute2 " << exp.size() << " bytes. '*' marks a differing byte, '..' a masked one.\n";
    auto na = detail::annotate(actual), ne = detail::annotate(exp);
    std::size_t n = std::max(actual.size(), exp.size());
    for (std::size_t row = 0; row < n; row += 8) {
        std::string a, e, marks, notes;
        bool diff = false;
        for (std::size_t i = row; i < row + 8; ++i) {
            bool in_a = i < actual.size(), in_e = i < exp.size();
            bool d = !(i < masked.size() && masked[i]) && (in_a != in_e || (in_a && actual[i] != exp[i]));
            diff |= d;
            a += in_a ? ((i < masked.size() && masked[i]) ? ".." : detail::hex2(actual[i])) : "  ";
            e += in_e ? ((i < masked.size() && masked[i]) ? ".." : detail::hex2(exp[i])) : "  ";
            a += d ? '*' : ' ';
            e += ' ';
            if (i < ne.size() && !ne[i].empty()) notes += " iproute2@" + std::to_string(i) + ": " + ne[i] + ";";
            if (i < na.size() && !na[i].empty() && (i >= ne.size() || na[i] != ne[i]))
                notes += " nsnet@" + std::to_string(i) + ": " + na[i] + ";";
        }
        char off[24];
        std::snprintf(off, sizeof off, "%4zu", row);
        o << (diff ? "! " : "  ") << off << "  nsnet " << a << "| iproute2 " << e << notes << "\n";
    }
    r.report = o.str();
    return r;
}
inline Result compare(const ByteVec& actual, const File& expected, const std::vector<Mask>& extra = {}) {
    return compare(actual, expected.only(), extra);
}

}  // namespace nsnet::golden

// CHECKs that `actual` (a ByteVec) equals a golden File (single block) or Block, masking as
// compare() does; on failure prints the annotated diff.
#define NSNET_CHECK_GOLDEN(actual, expected, ...)                                             \
    do {                                                                                      \
        auto nsnet_golden_result_ = ::nsnet::golden::compare((actual), (expected) __VA_OPT__(,) __VA_ARGS__); \
        CHECK_MESSAGE(nsnet_golden_result_.ok, nsnet_golden_result_.report);                  \
    } while (0)
