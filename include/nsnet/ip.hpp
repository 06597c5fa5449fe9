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

    NSNET_LAZY static std::optional<IpAddress> try_parse(std::string_view text);
    // "10.0.0.1", "2001:db8::1". Throws InvalidArgument naming the text.
    NSNET_LAZY static IpAddress parse(std::string_view text);
    NSNET_LAZY static IpAddress v4(std::uint32_t host_order);
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
    NSNET_LAZY std::uint32_t v4_host_order() const noexcept;
    NSNET_LAZY bool is_unspecified() const noexcept;

    NSNET_LAZY std::string to_string() const;

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

    NSNET_LAZY static std::optional<Prefix> try_parse(std::string_view text);
    // "10.0.0.0/8", "2001:db8::/32"; a bare address means a host prefix (/32 or /128).
    // Throws InvalidArgument naming the text ("10.0.0.1/33": prefix length 33 exceeds 32).
    NSNET_LAZY static Prefix parse(std::string_view text);

    const IpAddress& address() const noexcept { return address_; }
    unsigned length() const noexcept { return length_; }
    Family family() const noexcept { return address_.family(); }

    // The prefix with host bits cleared: 10.10.10.1/24 -> 10.10.10.0/24.
    NSNET_LAZY Prefix network() const;
    // The IPv4 broadcast address (host bits set), as `ip addr add ... brd +` computes it.
    NSNET_LAZY IpAddress broadcast() const;
    NSNET_LAZY bool contains(const IpAddress& a) const;
    bool is_default() const noexcept { return length_ == 0; }

    NSNET_LAZY std::string to_string() const;

    friend bool operator==(const Prefix&, const Prefix&) = default;

private:
    [[noreturn, gnu::cold]] static void bad_length(const IpAddress& address, unsigned length, unsigned max,
                                                   std::string_view context);

    IpAddress address_;
    std::uint8_t length_ = 0;
};

// A 48-bit Ethernet address.
class MacAddress {
public:
    MacAddress() = default;
    explicit MacAddress(const std::array<std::uint8_t, 6>& b) : bytes_(b) {}

    // "02:00:00:00:00:01" (also accepts '-' separators). Throws InvalidArgument naming the text.
    NSNET_LAZY static MacAddress parse(std::string_view text);
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

    NSNET_LAZY std::string to_string() const;

    friend bool operator==(const MacAddress&, const MacAddress&) = default;
    friend auto operator<=>(const MacAddress&, const MacAddress&) = default;

private:
    std::array<std::uint8_t, 6> bytes_{};
};

namespace detail {
// Throws the InvalidArgument of an option given neither as text nor typed: "<field> is not set".
[[noreturn]] NSNET_DECL void text_not_set(std::string_view field, std::string_view operation, std::string_view object);

// The parse policies of TextOr: `parse(text, field, operation, object)` returns the value or throws
// an InvalidArgument naming the field and the value ("<field> '<text>' is not ...").
struct ParseAddress {
    NSNET_LAZY static IpAddress parse(std::string_view text, std::string_view field, std::string_view operation,
                           std::string_view object);
};
struct ParsePrefix {
    NSNET_LAZY static Prefix parse(std::string_view text, std::string_view field, std::string_view operation,
                        std::string_view object);
};
struct ParseMac {
    NSNET_LAZY static MacAddress parse(std::string_view text, std::string_view field, std::string_view operation,
                            std::string_view object);
};

// An option value given as text or as a typed value T (AddressArg, PrefixArg, MacArg): text is kept
// as given and parsed by `Parse` when the option is used, so that the error names the option's
// field, the operation and the object. Empty text counts as unset.
template <class T, class Parse>
class TextOr {
public:
    TextOr() = default;
    TextOr(const T& value) : value_(value) {}                                                   // NOLINT: implicit on purpose
    TextOr(std::string_view text) : text_(text) {}                                             // NOLINT
    TextOr(const std::string& text) : TextOr(std::string_view(text)) {}                       // NOLINT
    TextOr(const char* text) : TextOr(std::string_view(text ? text : "")) {}                  // NOLINT

    // Unset: default-constructed or given as "".
    bool empty() const noexcept { return !value_ && text_.empty(); }
    // The text as given ("" when given typed).
    const std::string& text() const noexcept { return text_; }
    // The value. `field` names the option in the error ("RouteOptions.via"); `operation` and
    // `object` say what it was for, as every Error does. An empty argument is an error too.
    T resolve(std::string_view field, std::string_view operation, std::string_view object) const {
        if (value_) return *value_;
        if (text_.empty()) text_not_set(field, operation, object);
        return Parse::parse(text_, field, operation, object);
    }
    // As given: the text, or the typed value formatted.
    std::string to_string() const { return value_ ? value_->to_string() : text_; }

private:
    std::string text_{};
    std::optional<T> value_{};
};
}  // namespace detail

// An option that takes an address or a prefix accepts either text or a typed value, so that
// {.via = "10.0.0.1"} and {.via = some_ip_address} both work everywhere. Text is parsed when
// the option is used (`resolve(field, operation, object)`); bad text is an InvalidArgument that
// names the field and the value
// ("add route 10.1.0.0/16: RouteOptions.via '10.0.0.300' is not an IPv4 or IPv6 address").
// `empty()`, `text()`, `resolve()` and `to_string()` are detail::TextOr's.
class AddressArg : public detail::TextOr<IpAddress, detail::ParseAddress> {
public:
    // From an IpAddress or its text ("10.0.0.1", "2001:db8::1"); "" is unset.
    using TextOr::TextOr;
};

// A prefix as text ("10.0.0.0/8"; a bare address is a host prefix) or typed (Prefix). See AddressArg.
// text() is what RouteOptions reads "default" from.
class PrefixArg : public detail::TextOr<Prefix, detail::ParsePrefix> {
public:
    // From a Prefix or its text ("10.0.0.0/8", "2001:db8::/32"); "" is unset.
    using TextOr::TextOr;
    // A host prefix: /32 or /128.
    PrefixArg(const IpAddress& host) : TextOr(Prefix(host, host.is_v4() ? 32 : 128)) {}      // NOLINT: implicit on purpose
};

// A MAC address as text ("02:00:00:00:00:01") or typed (MacAddress), like AddressArg: bad text is
// an InvalidArgument naming the field and the value ("NeighborOptions.lladdr 'zz:00:00:00:00:01'
// is not a MAC address like 02:00:00:00:00:01").
class MacArg : public detail::TextOr<MacAddress, detail::ParseMac> {
public:
    // From a MacAddress or its text ("02:00:00:00:00:01", also with '-'); "" is unset.
    using TextOr::TextOr;
};

// Validates an interface name as the kernel does (dev_valid_name): 1..15 bytes, not "." or "..",
// no '/', ':' or whitespace — the kernel's isspace(), which also counts byte 0xa0 (Latin-1
// no-break space). Throws InvalidArgument naming the value; `operation` says what it was for.
NSNET_LAZY NSNET_DECL void validate_interface_name(std::string_view name, std::string_view operation = "name interface");

// The kernel's limits on text it stores for an interface (checked before sending, so that a value
// is never cut short or refused half-way): an alias (`ip link set NAME alias TEXT`) has at most
// IFALIASZ-1 = 255 bytes (empty clears it); an IPv4 address label (`ip addr add ... label L`) at
// most IFNAMSIZ-1 = 15. Neither may hold a NUL byte (the kernel would keep only what precedes it).
inline constexpr std::size_t max_link_alias = 255;
inline constexpr std::size_t max_address_label = IFNAMSIZ - 1;
NSNET_LAZY NSNET_DECL void validate_link_alias(std::string_view alias, std::string_view operation, std::string_view object);
NSNET_LAZY NSNET_DECL void validate_address_label(std::string_view label, std::string_view operation, std::string_view object);
// Refuses a NUL byte in a name or text field sent as a netlink string; `field` names it in the
// message ("table name", "RuleOptions.iif").
NSNET_LAZY NSNET_DECL void validate_no_nul(std::string_view value, std::string_view field, std::string_view operation,
                                std::string_view object);

// The name of an IP protocol number as `nft` and `conntrack` print it ("tcp" for 6, "icmpv6" for
// 58, "gre" for 47); nullptr for a number without a name here (callers print the number, as nft
// does, or "unknown", as conntrack does).
NSNET_LAZY NSNET_DECL const char* ip_protocol_name(std::uint8_t protocol) noexcept;
namespace detail {
// A value as shown in an error message: control bytes escaped (detail::append_shown), cut after 64 bytes.
NSNET_LAZY NSNET_DECL std::string shown_text(std::string_view v);
}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/ip.ipp"
#endif
