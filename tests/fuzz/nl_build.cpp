// Fuzz target nl_build: the WRITER side. The input is a program of MessageBuilder calls (put of
// any size up to 131 KiB, put_string with and without NUL bytes, the typed puts, put_flag, nests
// opened, closed explicitly or by their destructor, nested up to 64 deep). The target keeps its own
// model of what was written and its own sizes, and checks (issue 12):
//   - a call throws exactly when it must (an attribute over nla_len, a string with a NUL, an open
//     nest that would outgrow nla_len), and then only InvalidArgument (EINVAL), leaving the message
//     as it was (its size and nlmsg_len unchanged);
//   - otherwise the finished message equals, byte for byte, what an independent encoder of the model
//     writes, and the parsers (MessageView, AttrRange, Attr::nested) read back exactly the
//     attributes written: types, flags, lengths, payloads, nesting. Never a silent wrap.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

using namespace nsnet;

namespace {

constexpr std::size_t kMaxNla = 0xffff;
constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kBudget = 256 << 10;  // payload bytes one input may ask for (4 full nests; keeps execs fast)

struct Node {
    std::uint16_t raw_type = 0;
    bool nest = false;
    std::vector<std::uint8_t> payload{};  // a leaf's bytes (a string's include its NUL)
    std::vector<Node> children{};
};

// Reads the program; every read past the end gives 0 and stops the loop.
struct Reader {
    const std::uint8_t* p;
    std::size_t n;
    bool done() const { return n == 0; }
    std::uint8_t u8() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
};

std::size_t encoded_size(const Node& x) {
    if (!x.nest) return nl::align(sizeof(nlattr) + x.payload.size());
    std::size_t s = sizeof(nlattr);
    for (const Node& c : x.children) s += encoded_size(c);
    return s;
}

// The independent encoder: what the message must hold.
void encode(const Node& x, std::vector<std::uint8_t>& out) {
    const std::size_t at = out.size();
    nlattr h{};
    h.nla_type = x.raw_type;
    out.resize(at + sizeof h);
    if (x.nest) {
        for (const Node& c : x.children) encode(c, out);
        h.nla_len = static_cast<std::uint16_t>(out.size() - at);
        NSNET_FUZZ_CHECK(out.size() - at <= kMaxNla);
    } else {
        out.insert(out.end(), x.payload.begin(), x.payload.end());
        h.nla_len = static_cast<std::uint16_t>(sizeof h + x.payload.size());
        NSNET_FUZZ_CHECK(sizeof h + x.payload.size() <= kMaxNla);
        out.resize(nl::align(out.size()));
    }
    std::memcpy(out.data() + at, &h, sizeof h);
}

// The parsers must read back exactly the model.
void compare(nl::AttrRange range, const std::vector<Node>& want, int depth) {
    std::size_t i = 0;
    for (nl::Attr a : range) {
        NSNET_FUZZ_CHECK_MSG(i < want.size(), "an attribute more than written at depth " + std::to_string(depth));
        const Node& w = want[i++];
        NSNET_FUZZ_CHECK(a.type() == (w.raw_type & NLA_TYPE_MASK));
        NSNET_FUZZ_CHECK(a.nested_flag() == ((w.raw_type & NLA_F_NESTED) != 0));
        if (w.nest) {
            NSNET_FUZZ_CHECK(a.size() == encoded_size(w) - sizeof(nlattr));
            compare(a.nested(), w.children, depth + 1);
        } else {
            NSNET_FUZZ_CHECK(a.size() == w.payload.size());
            NSNET_FUZZ_CHECK(w.payload.empty() || std::memcmp(a.payload().data(), w.payload.data(), w.payload.size()) == 0);
        }
    }
    NSNET_FUZZ_CHECK_MSG(i == want.size(), "read " + std::to_string(i) + " attributes of " + std::to_string(want.size()) +
                                               " at depth " + std::to_string(depth));
}

// Runs one builder call. `must_fail` is the model's verdict; the builder must agree, and leave the
// message untouched when it refuses.
template <class F>
bool call(nl::MessageBuilder& b, bool must_fail, F&& f) {
    const std::size_t before = b.size();
    try {
        f();
    } catch (const Error& e) {
        NSNET_FUZZ_CHECK_MSG(e.errnum() == EINVAL, e.what());
        NSNET_FUZZ_CHECK_MSG(must_fail, std::string("refused a call that fits: ") + e.what());
        NSNET_FUZZ_CHECK(b.size() == before);
        nlmsghdr h;
        std::memcpy(&h, b.bytes().data(), sizeof h);
        NSNET_FUZZ_CHECK(h.nlmsg_len == before);
        return false;
    }
    NSNET_FUZZ_CHECK_MSG(!must_fail, "accepted a call that does not fit (silent wrap)");
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in{data, size};
    const std::uint8_t mode = in.u8();
    nl::MessageBuilder b(RTM_NEWLINK, 0);
    std::size_t header = 0;
    if (mode & 1) {
        b.put_header(ifinfomsg{});
        header = sizeof(ifinfomsg);
    }

    std::vector<Node> top;
    // Open nests: the model node being filled, its offset in the message, and the builder's Nest.
    struct Open {
        Node node;
        std::size_t start;
        std::unique_ptr<nl::MessageBuilder::Nest> nest;
    };
    std::vector<Open> open;
    std::size_t msg = sizeof(nlmsghdr) + nl::align(header);  // the model's own count of the size
    std::size_t budget = kBudget;

    auto fits = [&](std::size_t need) {
        if (msg + need > nl::MessageBuilder::max_message_size) return false;
        return open.empty() || msg + need - open.front().start <= kMaxNla;
    };
    auto add = [&](Node n) {
        msg += encoded_size(n);
        (open.empty() ? top : open.back().node.children).push_back(std::move(n));
    };
    auto close_one = [&](bool explicitly) {
        Open o = std::move(open.back());
        open.pop_back();
        if (explicitly) o.nest->close();
        o.nest.reset();  // the destructor closes (again: a no-op after close())
        (open.empty() ? top : open.back().node.children).push_back(std::move(o.node));
    };
    // A small payload is read from the program; a large one is one fill byte from it.
    auto payload = [&](std::size_t n) {
        if (n > 16) return std::vector<std::uint8_t>(n, in.u8());
        std::vector<std::uint8_t> p(n);
        for (auto& c : p) c = in.u8();
        return p;
    };
    // Sizes around the limits are the interesting ones.
    auto size_of = [&](std::size_t limit) -> std::size_t {
        switch (in.u8() % 5) {
            case 0: return in.u8();
            case 1: return in.u16();
            case 2: return limit - 8 + in.u8() % 16;
            case 3: return 65536 + in.u8();
            default: return std::size_t{in.u16()} * 2;
        }
    };

    while (!in.done()) {
        const std::uint8_t op = in.u8() % 9;
        const std::uint16_t type = in.u16();
        switch (op) {
            case 0:
            case 1: {  // put
                std::size_t n = op == 0 ? in.u8() : size_of(nl::MessageBuilder::max_attr_payload);
                if (n > budget) break;
                budget -= n;
                Node x{type, false, payload(n), {}};
                bool ok = n <= nl::MessageBuilder::max_attr_payload && fits(nl::align(sizeof(nlattr) + n));
                if (call(b, !ok, [&] { b.put(type, x.payload.data(), x.payload.size()); })) add(std::move(x));
                break;
            }
            case 2: {  // put_string
                std::size_t n = size_of(nl::MessageBuilder::max_attr_payload - 1);
                if (n > budget) break;
                budget -= n;
                std::string s(n, static_cast<char>('a' + in.u8() % 26));
                const std::uint8_t nul = in.u8();
                bool has_nul = n > 0 && nul < 32;
                if (has_nul) s[n * nul / 32] = '\0';
                bool ok = !has_nul && n + 1 <= nl::MessageBuilder::max_attr_payload && fits(nl::align(sizeof(nlattr) + n + 1));
                std::vector<std::uint8_t> p(s.begin(), s.end());
                p.push_back(0);
                if (call(b, !ok, [&] { b.put_string(type, s); })) add(Node{type, false, std::move(p), {}});
                break;
            }
            case 3: {  // typed puts and a flag
                const std::uint8_t which = in.u8() % 5;
                const std::uint64_t v = 0x0102030405060708ull * (1 + in.u8());
                std::size_t n = which == 0 ? 1 : which == 1 ? 2 : which == 2 ? 4 : which == 3 ? 8 : 0;
                std::vector<std::uint8_t> p(n);
                if (n) std::memcpy(p.data(), &v, n);  // little-endian: the low bytes
                bool ok = fits(nl::align(sizeof(nlattr) + n));
                bool done = call(b, !ok, [&] {
                    switch (which) {
                        case 0: b.put_u8(type, static_cast<std::uint8_t>(v)); break;
                        case 1: b.put_u16(type, static_cast<std::uint16_t>(v)); break;
                        case 2: b.put_u32(type, static_cast<std::uint32_t>(v)); break;
                        case 3: b.put_u64(type, v); break;
                        default: b.put_flag(type); break;
                    }
                });
                if (done) add(Node{type, false, std::move(p), {}});
                break;
            }
            case 4:
            case 5: {  // open a nest, with or without NLA_F_NESTED
                if (open.size() >= kMaxDepth) break;
                const bool flag = op == 4;
                const auto raw = static_cast<std::uint16_t>(flag ? (type | NLA_F_NESTED) : type);
                std::unique_ptr<nl::MessageBuilder::Nest> nest;
                if (call(b, !fits(sizeof(nlattr)), [&] {
                        // Guaranteed copy elision: the Nest nest() builds is the one on the heap.
                        nest.reset(new nl::MessageBuilder::Nest(b.nest(type, flag)));
                    })) {
                    open.push_back(Open{Node{raw, true, {}, {}}, msg, std::move(nest)});
                    msg += sizeof(nlattr);
                }
                break;
            }
            case 6:
            case 7:  // close the innermost nest, explicitly or by its destructor
                if (!open.empty()) close_one(op == 6);
                break;
            default: {  // several mid-size puts in a row: fills nests quickly
                const std::size_t n = 1000 + in.u8() * 64;
                const int times = in.u8() % 8;
                for (int i = 0; i < times && n <= budget; ++i) {
                    budget -= n;
                    Node x{type, false, std::vector<std::uint8_t>(n, static_cast<std::uint8_t>(i)), {}};
                    if (call(b, !fits(nl::align(sizeof(nlattr) + n)), [&] { b.put(type, x.payload.data(), n); }))
                        add(std::move(x));
                }
                break;
            }
        }
        NSNET_FUZZ_CHECK(b.size() == msg);
    }
    while (!open.empty()) close_one(open.size() % 2 == 0);

    // Byte for byte what the independent encoder writes.
    std::vector<std::uint8_t> want(sizeof(nlmsghdr) + nl::align(header));
    for (const Node& x : top) encode(x, want);
    NSNET_FUZZ_CHECK(want.size() == b.size());
    NSNET_FUZZ_CHECK(std::memcmp(want.data() + sizeof(nlmsghdr), b.bytes().data() + sizeof(nlmsghdr),
                                 want.size() - sizeof(nlmsghdr)) == 0);

    // And what the parsers read back.
    nl::MessageView v(b.bytes());
    NSNET_FUZZ_CHECK(v.header().nlmsg_len == b.size());
    NSNET_FUZZ_CHECK(v.type() == RTM_NEWLINK);
    compare(v.attrs(header), top, 0);
    return 0;
}
