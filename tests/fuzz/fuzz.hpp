// tests/fuzz/fuzz.hpp — what every libFuzzer target of nsnet shares.
//
// The contract the targets check: on any input, a parser or decoder either returns a value or
// throws nsnet::Error (EBADMSG for a malformed message, EINVAL for bad text). Anything else — a
// crash, an out-of-bounds read (ASan), undefined behaviour (UBSan), a leak, another exception
// type, a broken round trip (NSNET_FUZZ_CHECK) — aborts the run and is a finding.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <span>
#include <string>

#include "nsnet/error.hpp"
#include "nsnet/nl/attr.hpp"

namespace nsnet::fuzz {

inline std::span<const std::byte> bytes(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const std::byte*>(data), size};
}

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
    std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what.c_str());
    std::abort();
}

#define NSNET_FUZZ_CHECK(cond)                                                         \
    do {                                                                               \
        if (!(cond)) ::nsnet::fuzz::fail(__FILE__, __LINE__, #cond);                   \
    } while (0)
#define NSNET_FUZZ_CHECK_MSG(cond, msg)                                                \
    do {                                                                               \
        if (!(cond)) ::nsnet::fuzz::fail(__FILE__, __LINE__, std::string(#cond ": ") + (msg)); \
    } while (0)

// what() is one printable line (control bytes escaped): whatever bytes the input held, a message
// can be logged or shown as it is.
inline bool printable(const Error& e) {
    const std::string_view w = e.what();
    for (char c : w)
        if (::nsnet::detail::is_control_byte(c)) return false;
    return true;
}

// Runs f(); an nsnet::Error with errno `expected` is the documented answer to bad input and is
// swallowed. Any other errno fails (e.g. a decoder reporting a malformed kernel message as EINVAL,
// the code for bad user input). Other exception types propagate and abort the target.
template <class F>
void expect_error(int expected, F&& f) {
    try {
        f();
    } catch (const Error& e) {
        NSNET_FUZZ_CHECK_MSG(e.errnum() == expected, "errno " + std::to_string(e.errnum()) + " from " + e.what());
        NSNET_FUZZ_CHECK(e.what() != nullptr && e.what()[0] != '\0');
        NSNET_FUZZ_CHECK(printable(e));
    }
}
template <class F>
void malformed_ok(F&& f) { expect_error(EBADMSG, std::forward<F>(f)); }
template <class F>
void invalid_ok(F&& f) { expect_error(EINVAL, std::forward<F>(f)); }

// Runs f(), which must not throw at all (formatting a decoded value, for instance).
template <class F>
void no_throw(const char* what, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        fail(__FILE__, __LINE__, std::string(what) + " threw: " + e.what());
    }
}

// Keeps results observable so the optimiser cannot drop a decode whose value is unused.
inline void consume(std::size_t v) noexcept {
    static volatile std::size_t sink;
    sink = sink + v;
}

// Walks every attribute of `range` and, up to `depth` levels, the attributes nested in each,
// checking that no view points outside `whole`. The first `budget` attributes also get every typed
// getter applied, which must accept exactly the payload sizes it documents (a budget, because a
// refused getter throws, and exceptions on every attribute of a 32 KiB dump would make the target
// too slow to fuzz). Nested walks start only where a payload begins with a plausible attribute
// header (the others would throw at once). Returns the number of attributes seen.
inline std::size_t walk_attrs(nl::AttrRange range, nl::Bytes whole, int depth, int& budget) {
    std::size_t n = 0;
    auto inside = [&](nl::Bytes b) {
        return b.empty() || (b.data() >= whole.data() && b.data() + b.size() <= whole.data() + whole.size());
    };
    malformed_ok([&] {
        for (nl::Attr a : range) {
            ++n;
            NSNET_FUZZ_CHECK(inside(a.payload()));
            NSNET_FUZZ_CHECK(a.type() == (a.type() & NLA_TYPE_MASK));
            const std::size_t size = a.size();
            std::string_view s = a.str();
            NSNET_FUZZ_CHECK(s.size() <= size && (s.empty() || s.back() != '\0'));
            if (budget > 0) {
                --budget;
                // Getters whose size matches must succeed. Of the others, one per attribute (in
                // turn) must throw EBADMSG: throwing is slow, and one refusal per attribute is
                // enough to exercise every getter's check across a run.
                const std::size_t probe = n % 10;
                std::size_t index = 0;
                auto check = [&](bool valid, auto get) {
                    bool mine = index++ == probe;
                    if (!valid && !mine) return;
                    bool ok = true;
                    try {
                        consume(static_cast<std::size_t>(get()));
                    } catch (const Error& e) {
                        NSNET_FUZZ_CHECK(e.errnum() == EBADMSG);
                        ok = false;
                    }
                    NSNET_FUZZ_CHECK_MSG(ok == valid, "getter " + std::to_string(index - 1) + " on a payload of " +
                                                          std::to_string(size) + " bytes");
                };
                struct Twelve {
                    std::uint32_t a, b, c;
                };
                check(size == 1, [&] { return a.u8(); });
                check(size == 2, [&] { return a.u16(); });
                check(size == 4, [&] { return a.u32(); });
                check(size == 8, [&] { return a.u64(); });
                check(size == 4, [&] { return a.s32(); });
                check(size == 2, [&] { return a.be16(); });
                check(size == 4, [&] { return a.be32(); });
                check(size == 4 || size == 16, [&] {
                    IpAddress ip = a.ip();
                    NSNET_FUZZ_CHECK(ip.size() == size);
                    return ip.to_string().size();
                });
                check(size == 6, [&] { return a.mac().to_string().size(); });
                check(size >= sizeof(Twelve), [&] { return a.as_prefix<Twelve>().c; });
            }
            if (depth > 0 && size >= sizeof(nlattr)) {
                std::uint16_t len;
                std::memcpy(&len, a.payload().data(), sizeof len);
                if (len >= sizeof(nlattr) && len <= size) n += walk_attrs(a.nested(), whole, depth - 1, budget);
            }
        }
    });
    return n;
}

}  // namespace nsnet::fuzz
