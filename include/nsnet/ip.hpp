// nsnet/ip.hpp — IP addresses, prefixes (CIDR), MAC addresses and interface names: parse, format, validate.
//
// Layer: basics (no netlink, no I/O). Parsing is strict: "300.1.1.1", "10.0.0.1/33" and
// "02:00:00:00:00" are rejected with an InvalidArgument that names the value.
#pragma once

#include <arpa/inet.h>
#include <net/if.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"

namespace nsnet {

enum class Family : std::uint8_t { V4 = AF_INET, V6 = AF_INET6 };

// An IPv4 or IPv6 address (no prefix length).
class IpAddress {
public:
    IpAddress() = default;  // 0.0.0.0

    static std::optional<IpAddress> try_parse(std::string_view text);
    // "10.0.0.1", "2001:db8::1". Throws InvalidArgument naming the text.
    static IpAddress parse(std::string_view text);
    static IpAddress v4(std::uint32_t host_order);
    // From raw network-order bytes (4 or 16), as netlink carries them.
    static std::optional<IpAddress> from_bytes(const void* data, std::size_t size) {
        // The 16 bytes are assembled in a register and stored at once, and copied by the caller the
        // same way (see the member order): a decoder builds a few addresses per route, and a copy
        // that reads back partly written bytes waits on the CPU's store forwarding.
        IpAddress a;
        std::array<std::uint8_t, 16> b{};
        if (size == 4) {
            a.family_ = Family::V4;
            std::memcpy(b.data(), data, 4);
        } else if (size == 16) {
            a.family_ = Family::V6;
            std::memcpy(b.data(), data, 16);
        } else {
            return std::nullopt;
        }
        a.bytes_ = b;
        return a;
    }

    Family family() const noexcept { return family_; }
    int af() const noexcept { return static_cast<int>(family_); }
    bool is_v4() const noexcept { return family_ == Family::V4; }
    bool is_v6() const noexcept { return family_ == Family::V6; }
    std::size_t size() const noexcept { return is_v4() ? 4 : 16; }
    const std::uint8_t* data() const noexcept { return bytes_.data(); }
    std::uint32_t v4_host_order() const noexcept;
    bool is_unspecified() const noexcept;

    std::string to_string() const;

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
    // IPv4 before IPv6, then by bytes.
    friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) noexcept {
        if (a.family_ != b.family_) return a.family_ <=> b.family_;
        return a.bytes_ <=> b.bytes_;
    }

private:
    // bytes_ first: a copy is then one 16-byte move of bytes_ and one of family_, each reading what
    // a single store wrote (family_ first made the 16-byte move straddle both).
    std::array<std::uint8_t, 16> bytes_{};
    Family family_ = Family::V4;
};

// An address with a prefix length: "10.10.10.1/24". The address keeps its host bits
// (an interface address), network() clears them (a route destination).
class Prefix {
public:
    Prefix() = default;
    Prefix(IpAddress address, unsigned length, std::string_view context = "prefix")
        : address_(address), length_(static_cast<std::uint8_t>(length)) {
        unsigned max = address.is_v4() ? 32 : 128;
        if (length > max) [[unlikely]]
            bad_length(address, length, max, context);
    }

    static std::optional<Prefix> try_parse(std::string_view text);
    // "10.0.0.0/8", "2001:db8::/32"; a bare address means a host prefix (/32 or /128).
    // Throws InvalidArgument naming the text ("10.0.0.1/33": prefix length 33 exceeds 32).
    static Prefix parse(std::string_view text);

    const IpAddress& address() const noexcept { return address_; }
    unsigned length() const noexcept { return length_; }
    Family family() const noexcept { return address_.family(); }

    // The prefix with host bits cleared: 10.10.10.1/24 -> 10.10.10.0/24.
    Prefix network() const;
    // The IPv4 broadcast address (host bits set), as `ip addr add ... brd +` computes it.
    IpAddress broadcast() const;
    bool contains(const IpAddress& a) const;
    bool is_default() const noexcept { return length_ == 0; }

    std::string to_string() const;

    friend bool operator==(const Prefix&, const Prefix&) = default;

private:
    [[noreturn, gnu::cold]] static void bad_length(const IpAddress& address, unsigned length, unsigned max,
                                                   std::string_view context);

    IpAddress address_;
    std::uint8_t length_ = 0;
};

// An option that takes an address or a prefix accepts either text or a typed value, so that
// {.via = "10.0.0.1"} and {.via = some_ip_address} both work everywhere. Text is parsed when
// the option is used; bad text is an InvalidArgument that names the field and the value
// ("add route 10.1.0.0/16: RouteOptions.via '10.0.0.300' is not an IPv4 or IPv6 address").
class AddressArg {
public:
    AddressArg() = default;
    AddressArg(const IpAddress& address) : address_(address), set_(true) {}                    // NOLINT: implicit on purpose
    AddressArg(std::string_view text) : text_(text), set_(!text.empty()) {}                    // NOLINT
    AddressArg(const std::string& text) : AddressArg(std::string_view(text)) {}               // NOLINT
    AddressArg(const char* text) : AddressArg(std::string_view(text ? text : "")) {}          // NOLINT

    // Unset: default-constructed or given as "".
    bool empty() const noexcept { return !set_; }
    // The text as given ("" when given typed).
    const std::string& text() const noexcept { return text_; }
    // The address. `field` names the option in the error ("RouteOptions.via"); `operation`
    // and `object` say what it was for, as every Error does. An empty argument is an error too.
    IpAddress resolve(std::string_view field, std::string_view operation, std::string_view object) const;
    // As given: the text, or the typed value formatted.
    std::string to_string() const { return address_ ? address_->to_string() : text_; }

private:
    std::string text_{};
    std::optional<IpAddress> address_{};
    bool set_ = false;
};

// A prefix as text ("10.0.0.0/8"; a bare address is a host prefix) or typed (Prefix). See AddressArg.
class PrefixArg {
public:
    PrefixArg() = default;
    PrefixArg(const Prefix& prefix) : prefix_(prefix), set_(true) {}                           // NOLINT: implicit on purpose
    PrefixArg(const IpAddress& host) : PrefixArg(Prefix(host, host.is_v4() ? 32 : 128)) {}   // NOLINT
    PrefixArg(std::string_view text) : text_(text), set_(!text.empty()) {}                     // NOLINT
    PrefixArg(const std::string& text) : PrefixArg(std::string_view(text)) {}                 // NOLINT
    PrefixArg(const char* text) : PrefixArg(std::string_view(text ? text : "")) {}            // NOLINT

    // Unset: default-constructed or given as "".
    bool empty() const noexcept { return !set_; }
    // The text as given ("" when given typed); RouteOptions reads "default" from it.
    const std::string& text() const noexcept { return text_; }
    // The prefix; bad or missing text is an InvalidArgument naming `field` (see AddressArg::resolve).
    Prefix resolve(std::string_view field, std::string_view operation, std::string_view object) const;
    // As given: the text, or the typed value formatted.
    std::string to_string() const { return prefix_ ? prefix_->to_string() : text_; }

private:
    std::string text_{};
    std::optional<Prefix> prefix_{};
    bool set_ = false;
};

// A 48-bit Ethernet address.
class MacAddress {
public:
    MacAddress() = default;
    explicit MacAddress(const std::array<std::uint8_t, 6>& b) : bytes_(b) {}

    // "02:00:00:00:00:01" (also accepts '-' separators). Throws InvalidArgument naming the text.
    static MacAddress parse(std::string_view text);
    static std::optional<MacAddress> from_bytes(const void* data, std::size_t size) {
        if (size != 6) return std::nullopt;
        MacAddress m;
        std::memcpy(m.bytes_.data(), data, 6);
        return m;
    }

    const std::uint8_t* data() const noexcept { return bytes_.data(); }
    static constexpr std::size_t size() noexcept { return 6; }
    bool is_zero() const noexcept { return bytes_ == std::array<std::uint8_t, 6>{}; }
    bool is_multicast() const noexcept { return bytes_[0] & 1; }

    std::string to_string() const;

    friend bool operator==(const MacAddress&, const MacAddress&) = default;
    friend auto operator<=>(const MacAddress&, const MacAddress&) = default;

private:
    std::array<std::uint8_t, 6> bytes_{};
};

// Validates an interface name as the kernel does (dev_valid_name): 1..15 bytes, not "." or "..",
// no '/', ':' or whitespace — the kernel's isspace(), which also counts byte 0xa0 (Latin-1
// no-break space). Throws InvalidArgument naming the value; `operation` says what it was for.
NSNET_DECL void validate_interface_name(std::string_view name, std::string_view operation = "name interface");

// The kernel's limits on text it stores for an interface (checked before sending, so that a value
// is never cut short or refused half-way): an alias (`ip link set NAME alias TEXT`) has at most
// IFALIASZ-1 = 255 bytes (empty clears it); an IPv4 address label (`ip addr add ... label L`) at
// most IFNAMSIZ-1 = 15. Neither may hold a NUL byte (the kernel would keep only what precedes it).
inline constexpr std::size_t max_link_alias = 255;
inline constexpr std::size_t max_address_label = IFNAMSIZ - 1;
NSNET_DECL void validate_link_alias(std::string_view alias, std::string_view operation, std::string_view object);
NSNET_DECL void validate_address_label(std::string_view label, std::string_view operation, std::string_view object);
// Refuses a NUL byte in a name or text field sent as a netlink string; `field` names it in the
// message ("table name", "RuleOptions.iif").
NSNET_DECL void validate_no_nul(std::string_view value, std::string_view field, std::string_view operation,
                                std::string_view object);

// The name of an IP protocol number as `nft` and `conntrack` print it ("tcp" for 6, "icmpv6" for
// 58, "gre" for 47); nullptr for a number without a name here (callers print the number, as nft
// does, or "unknown", as conntrack does).
NSNET_DECL const char* ip_protocol_name(std::uint8_t protocol) noexcept;
namespace detail {
// A value as shown in an error message: NUL bytes visible as \0, cut after 64 bytes.
NSNET_DECL std::string shown_text(std::string_view v);
}  // namespace detail

#if NSNET_DEFINITIONS

NSNET_DECL std::optional<IpAddress> IpAddress::try_parse(std::string_view text) {
    // inet_pton reads a C string: "10.0.0.1\0junk" would pass as 10.0.0.1.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    std::string s(text);
    IpAddress a;
    if (s.find(':') != std::string::npos) {
        a.family_ = Family::V6;
        if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) return a;
    } else {
        a.family_ = Family::V4;
        if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) return a;
    }
    return std::nullopt;
}

NSNET_DECL IpAddress IpAddress::parse(std::string_view text) {
    if (auto a = try_parse(text)) return *a;
    invalid_argument("parse IP address", std::string(text),
                     "'" + std::string(text) + "' is not an IPv4 or IPv6 address");
}

NSNET_DECL IpAddress AddressArg::resolve(std::string_view field, std::string_view operation,
                                         std::string_view object) const {
    if (address_) return *address_;
    if (!set_) invalid_argument(std::string(operation), std::string(object), std::string(field) + " is not set");
    if (auto a = IpAddress::try_parse(text_)) return *a;
    invalid_argument(std::string(operation), std::string(object),
                     std::string(field) + " '" + detail::shown_text(text_) + "' is not an IPv4 or IPv6 address");
}

NSNET_DECL Prefix PrefixArg::resolve(std::string_view field, std::string_view operation, std::string_view object) const {
    if (prefix_) return *prefix_;
    if (!set_) invalid_argument(std::string(operation), std::string(object), std::string(field) + " is not set");
    try {
        return Prefix::parse(text_);
    } catch (const Error& e) {
        // Prefix::parse says why ("prefix length 33 exceeds 32"); keep that, name the field.
        invalid_argument(std::string(operation), std::string(object),
                         std::string(field) + " '" + detail::shown_text(text_) + "' is not a prefix (" + e.detail() + ")");
    }
}

NSNET_DECL IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress a;
    a.family_ = Family::V4;
    std::uint32_t be = htonl(host_order);
    std::memcpy(a.bytes_.data(), &be, 4);
    return a;
}

NSNET_DECL std::uint32_t IpAddress::v4_host_order() const noexcept {
    std::uint32_t be;
    std::memcpy(&be, bytes_.data(), 4);
    return ntohl(be);
}

NSNET_DECL bool IpAddress::is_unspecified() const noexcept {
    for (std::size_t i = 0; i < size(); ++i)
        if (bytes_[i]) return false;
    return true;
}

NSNET_DECL std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(af(), bytes_.data(), buf, sizeof buf);
    return buf;
}

NSNET_DECL std::optional<Prefix> Prefix::try_parse(std::string_view text) {
    try {
        return parse(text);
    } catch (const InvalidArgument&) {
        return std::nullopt;
    }
}

NSNET_DECL Prefix Prefix::parse(std::string_view text) {
    std::string t(text);
    auto slash = t.find('/');
    auto addr = IpAddress::try_parse(t.substr(0, slash));
    if (!addr)
        invalid_argument("parse prefix", t, "'" + t.substr(0, slash) + "' is not an IPv4 or IPv6 address");
    unsigned max = addr->is_v4() ? 32 : 128;
    if (slash == std::string::npos) return Prefix(*addr, max);
    std::string len = t.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos)
        invalid_argument("parse prefix", t, "'" + len + "' is not a prefix length");
    unsigned n = static_cast<unsigned>(std::stoul(len));
    if (n > max)
        invalid_argument("parse prefix", t,
                         "prefix length " + len + " exceeds " + std::to_string(max) + " in '" + t + "'");
    return Prefix(*addr, n);
}

NSNET_DECL Prefix Prefix::network() const {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), address_.data(), address_.size());
    for (unsigned i = 0; i < address_.size(); ++i) {
        unsigned bit = i * 8;
        if (bit >= length_) b[i] = 0;
        else if (bit + 8 > length_) b[i] &= static_cast<std::uint8_t>(0xff << (8 - (length_ - bit)));
    }
    return Prefix(*IpAddress::from_bytes(b.data(), address_.size()), length_);
}

NSNET_DECL IpAddress Prefix::broadcast() const {
    std::uint32_t host_mask = length_ >= 32 ? 0 : (0xffffffffu >> length_);
    return IpAddress::v4(address_.v4_host_order() | host_mask);
}

NSNET_DECL bool Prefix::contains(const IpAddress& a) const {
    if (a.family() != family()) return false;
    return Prefix(a, length_).network().address_ == network().address_;
}

NSNET_DECL std::string Prefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

// gnu::noinline is on the definition only: g++ rejects (-Wattributes) an inline definition after a
// noinline declaration, and header-only mode defines it inline.
[[gnu::noinline]] NSNET_DECL void Prefix::bad_length(const IpAddress& address, unsigned length, unsigned max, std::string_view context) {
    invalid_argument("parse " + std::string(context), address.to_string() + "/" + std::to_string(length),
                     "prefix length " + std::to_string(length) + " exceeds " + std::to_string(max));
}

NSNET_DECL MacAddress MacAddress::parse(std::string_view text) {
    MacAddress m;
    auto bad = [&] {
        invalid_argument("parse MAC address", std::string(text),
                         "'" + std::string(text) + "' is not a MAC address like 02:00:00:00:00:01");
    };
    if (text.size() != 17) bad();
    for (int i = 0; i < 6; ++i) {
        unsigned v = 0;
        for (int j = 0; j < 2; ++j) {
            char c = text[i * 3 + j];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
            else bad();
        }
        if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') bad();
        m.bytes_[i] = static_cast<std::uint8_t>(v);
    }
    return m;
}

NSNET_DECL std::string MacAddress::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1], bytes_[2],
                  bytes_[3], bytes_[4], bytes_[5]);
    return buf;
}

NSNET_DECL void validate_interface_name(std::string_view name, std::string_view operation) {
    auto fail = [&](const std::string& why) {
        invalid_argument(std::string(operation), std::string(name), why);
    };
    if (name.empty()) fail("interface name is empty");
    if (name.size() >= IFNAMSIZ)
        fail("interface name '" + std::string(name) + "' is " + std::to_string(name.size()) +
             " bytes; the kernel allows at most " + std::to_string(IFNAMSIZ - 1));
    if (name == "." || name == "..") fail("interface name '" + std::string(name) + "' is reserved");
    for (char c : name)
        if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
            c == '\0' || static_cast<unsigned char>(c) == 0xa0)
            fail("interface name '" + std::string(name) + "' contains '" + (c == '\0' ? std::string("\\0") : static_cast<unsigned char>(c) == 0xa0 ? std::string("\\xa0") : std::string(1, c)) +
                 "', which the kernel does not allow");
}

NSNET_DECL std::string detail::shown_text(std::string_view v) {
    std::string out;
    for (char c : v.substr(0, 64)) out += c == '\0' ? std::string("\\0") : std::string(1, c);
    if (v.size() > 64) out += "...";
    return out;
}

NSNET_DECL const char* ip_protocol_name(std::uint8_t protocol) noexcept {
    switch (protocol) {
        case IPPROTO_TCP: return "tcp";
        case IPPROTO_UDP: return "udp";
        case IPPROTO_ICMP: return "icmp";
        case IPPROTO_ICMPV6: return "icmpv6";
        case IPPROTO_SCTP: return "sctp";
        case IPPROTO_UDPLITE: return "udplite";
        case IPPROTO_DCCP: return "dccp";
        case IPPROTO_GRE: return "gre";
        default: return nullptr;
    }
}

NSNET_DECL void validate_no_nul(std::string_view value, std::string_view field, std::string_view operation,
                                std::string_view object) {
    if (auto at = value.find('\0'); at != std::string_view::npos)
        invalid_argument(std::string(operation), std::string(object),
                         std::string(field) + " '" + detail::shown_text(value) + "' contains a NUL byte at offset " +
                             std::to_string(at));
}

NSNET_DECL void validate_link_alias(std::string_view alias, std::string_view operation, std::string_view object) {
    if (alias.size() > max_link_alias)
        invalid_argument(std::string(operation), std::string(object),
                         "alias '" + detail::shown_text(alias) + "' is " + std::to_string(alias.size()) +
                             " bytes; the kernel allows at most " + std::to_string(max_link_alias) + " (IFALIASZ-1)");
    validate_no_nul(alias, "alias", operation, object);
}

NSNET_DECL void validate_address_label(std::string_view label, std::string_view operation, std::string_view object) {
    if (label.size() > max_address_label)
        invalid_argument(std::string(operation), std::string(object),
                         "address label '" + detail::shown_text(label) + "' is " + std::to_string(label.size()) +
                             " bytes; the kernel allows at most " + std::to_string(max_address_label) + " (IFNAMSIZ-1)");
    validate_no_nul(label, "address label", operation, object);
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
