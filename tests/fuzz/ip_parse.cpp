// Fuzz target ip_parse: the text parsers of nsnet/ip.hpp — IpAddress, Prefix, MacAddress and
// validate_interface_name — on arbitrary bytes.
//
// Properties: bad text throws InvalidArgument (EINVAL) naming the text (its object); accepted
// text round-trips (parse(to_string(x)) == x), contains no NUL byte, and gives values inside their
// ranges (prefix length <= 32/128; network() clears host bits; a prefix contains its address); the
// interface-name check accepts exactly what the kernel's dev_valid_name() accepts.
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz.hpp"
#include "nsnet/ip.hpp"

using namespace nsnet;

namespace {

// The error names the bad value: it is the error's object (what() shows it escaped), and what()
// stays one printable line whatever bytes the value holds.
bool names_text(const Error& e, std::string_view text) { return e.object() == text && fuzz::printable(e); }

void address(std::string_view text) {
    auto a = IpAddress::try_parse(text);
    try {
        IpAddress p = IpAddress::parse(text);
        NSNET_FUZZ_CHECK(a && *a == p);
    } catch (const InvalidArgument& e) {
        NSNET_FUZZ_CHECK(!a);
        NSNET_FUZZ_CHECK(names_text(e, text));
    }
    if (!a) return;
    NSNET_FUZZ_CHECK_MSG(text.find('\0') == std::string_view::npos, "accepted an address with a NUL byte");
    NSNET_FUZZ_CHECK(a->is_v6() == (text.find(':') != std::string_view::npos));
    auto again = IpAddress::try_parse(a->to_string());
    NSNET_FUZZ_CHECK(again && *again == *a);
}

void prefix(std::string_view text) {
    auto p = Prefix::try_parse(text);
    try {
        Prefix q = Prefix::parse(text);
        NSNET_FUZZ_CHECK(p && *p == q);
    } catch (const InvalidArgument& e) {
        NSNET_FUZZ_CHECK(!p);
        NSNET_FUZZ_CHECK(names_text(e, text));
    }
    if (!p) return;
    NSNET_FUZZ_CHECK_MSG(text.find('\0') == std::string_view::npos, "accepted a prefix with a NUL byte");
    const unsigned max = p->address().is_v4() ? 32 : 128;
    NSNET_FUZZ_CHECK(p->length() <= max);
    auto again = Prefix::try_parse(p->to_string());
    NSNET_FUZZ_CHECK(again && *again == *p);
    Prefix net = p->network();
    NSNET_FUZZ_CHECK(net.length() == p->length() && net.network() == net);
    NSNET_FUZZ_CHECK(p->contains(p->address()) && net.contains(p->address()));
    NSNET_FUZZ_CHECK(p->is_default() == (p->length() == 0));
    if (p->address().is_v4()) {
        IpAddress b = p->broadcast();
        NSNET_FUZZ_CHECK(p->contains(b));
    }
}

void mac(std::string_view text) {
    try {
        MacAddress m = MacAddress::parse(text);
        std::string expect(text);
        for (char& c : expect) {
            if (c == '-') c = ':';
            if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        }
        NSNET_FUZZ_CHECK(m.to_string() == expect);
        NSNET_FUZZ_CHECK(MacAddress::parse(m.to_string()) == m);
    } catch (const InvalidArgument& e) {
        NSNET_FUZZ_CHECK(names_text(e, text));
    }
}

// The kernel's dev_valid_name() (net/core/dev.c), for comparison; nsnet also refuses a NUL byte
// (the kernel would cut the name there). The kernel's isspace() (lib/ctype.c) is true for
// \t \n \v \f \r, space and 0xa0 (Latin-1 no-break space).
bool kernel_accepts(std::string_view name) {
    if (name.empty() || name.size() >= IFNAMSIZ) return false;
    if (name == "." || name == "..") return false;
    for (char c : name)
        if (c == '/' || c == ':' || c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
            static_cast<unsigned char>(c) == 0xa0)
            return false;
    return true;
}

void interface_name(std::string_view text) {
    bool ok = true;
    try {
        validate_interface_name(text);
    } catch (const InvalidArgument& e) {
        ok = false;
        NSNET_FUZZ_CHECK(names_text(e, text));
    }
    NSNET_FUZZ_CHECK(ok == kernel_accepts(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    address(text);
    prefix(text);
    mac(text);
    interface_name(text);
    // Prefix from an address and a length given separately (the typed API's constructor).
    if (auto a = IpAddress::try_parse(text.substr(std::min<std::size_t>(1, size)))) {
        unsigned len = size ? data[0] : 0;
        try {
            Prefix p(*a, len);
            NSNET_FUZZ_CHECK(len <= (a->is_v4() ? 32u : 128u) && p.length() == len);
        } catch (const InvalidArgument&) {
            NSNET_FUZZ_CHECK(len > (a->is_v4() ? 32u : 128u));
        }
    }
    return 0;
}
