// nsnet/impl/ip.ipp — the function bodies of <nsnet/ip.hpp>.
//
// Included at the end of nsnet/ip.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<IpAddress> IpAddress::try_parse(std::string_view text) {
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

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress IpAddress::parse(std::string_view text) {
    if (auto a = try_parse(text)) return *a;
    invalid_argument("parse IP address", std::string(text),
                     "'" + std::string(text) + "' is not an IPv4 or IPv6 address");
}

NSNET_DECL void detail::text_not_set(std::string_view field, std::string_view operation, std::string_view object) {
    invalid_argument(std::string(operation), std::string(object), std::string(field) + " is not set");
}

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress detail::ParseAddress::parse(std::string_view text, std::string_view field,
                                                 std::string_view operation, std::string_view object) {
    if (auto a = IpAddress::try_parse(text)) return *a;
    invalid_argument(std::string(operation), std::string(object),
                     std::string(field) + " '" + detail::shown_text(text) + "' is not an IPv4 or IPv6 address");
}

NSNET_LAZY_DEFINITION NSNET_DECL Prefix detail::ParsePrefix::parse(std::string_view text, std::string_view field, std::string_view operation,
                                             std::string_view object) {
    try {
        return Prefix::parse(text);
    } catch (const Error& e) {
        // Prefix::parse says why ("prefix length 33 exceeds 32"); keep that, name the field.
        invalid_argument(std::string(operation), std::string(object),
                         std::string(field) + " '" + detail::shown_text(text) + "' is not a prefix (" + e.detail() + ")");
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL MacAddress detail::ParseMac::parse(std::string_view text, std::string_view field, std::string_view operation,
                                              std::string_view object) {
    try {
        return MacAddress::parse(text);
    } catch (const Error&) {
        invalid_argument(std::string(operation), std::string(object),
                         std::string(field) + " '" + detail::shown_text(text) + "' is not a MAC address like 02:00:00:00:00:01");
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress IpAddress::v4(std::uint32_t host_order) {
    IpAddress a;
    a.family_ = Family::V4;
    std::uint32_t be = htonl(host_order);
    std::memcpy(a.bytes_.data(), &be, 4);
    return a;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t IpAddress::v4_host_order() const noexcept {
    std::uint32_t be;
    std::memcpy(&be, bytes_.data(), 4);
    return ntohl(be);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool IpAddress::is_unspecified() const noexcept {
    for (std::size_t i = 0; i < size(); ++i)
        if (bytes_[i]) return false;
    return true;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(af(), bytes_.data(), buf, sizeof buf);
    return buf;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Prefix> Prefix::try_parse(std::string_view text) {
    try {
        return parse(text);
    } catch (const InvalidArgument&) {
        return std::nullopt;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Prefix Prefix::parse(std::string_view text) {
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

NSNET_LAZY_DEFINITION NSNET_DECL Prefix Prefix::network() const {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), address_.data(), address_.size());
    for (unsigned i = 0; i < address_.size(); ++i) {
        unsigned bit = i * 8;
        if (bit >= length_) b[i] = 0;
        else if (bit + 8 > length_) b[i] &= static_cast<std::uint8_t>(0xff << (8 - (length_ - bit)));
    }
    return Prefix(*IpAddress::from_bytes(b.data(), address_.size()), length_);
}

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress Prefix::broadcast() const {
    std::uint32_t host_mask = length_ >= 32 ? 0 : (0xffffffffu >> length_);
    return IpAddress::v4(address_.v4_host_order() | host_mask);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Prefix::contains(const IpAddress& a) const {
    if (a.family() != family()) return false;
    return Prefix(a, length_).network().address_ == network().address_;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Prefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

// gnu::noinline is on the definition only: g++ rejects (-Wattributes) an inline definition after a
// noinline declaration, and header-only mode defines it inline.
[[gnu::noinline]] NSNET_DECL void Prefix::bad_length(const IpAddress& address, unsigned length, unsigned max, std::string_view context) {
    invalid_argument("parse " + std::string(context), address.to_string() + "/" + std::to_string(length),
                     "prefix length " + std::to_string(length) + " exceeds " + std::to_string(max));
}

NSNET_LAZY_DEFINITION NSNET_DECL MacAddress MacAddress::parse(std::string_view text) {
    MacAddress m;
    auto bad = [&] {
        invalid_argument("parse MAC address", std::string(text),
                         "'" + std::string(text) + "' is not a MAC address like 02:00:00:00:00:01");
    };
    if (text.size() != 17) bad();
    for (std::size_t i = 0; i < 6; ++i) {
        unsigned v = 0;
        for (std::size_t j = 0; j < 2; ++j) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string MacAddress::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1], bytes_[2],
                  bytes_[3], bytes_[4], bytes_[5]);
    return buf;
}

NSNET_LAZY_DEFINITION NSNET_DECL void validate_interface_name(std::string_view name, std::string_view operation) {
    // Built only for a refusal: names are checked on every create, most of them valid.
    auto shown = [&] { return detail::shown_text(name); };
    auto fail = [&](const std::string& why) { invalid_argument(std::string(operation), std::string(name), why); };
    if (name.empty()) fail("interface name is empty");
    if (name.size() >= IFNAMSIZ)
        fail("interface name '" + shown() + "' is " + std::to_string(name.size()) + " bytes; the kernel allows at most " +
             std::to_string(IFNAMSIZ - 1));
    if (name == "." || name == "..") fail("interface name '" + shown() + "' is reserved");
    for (char c : name)
        if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
            c == '\0' || static_cast<unsigned char>(c) == 0xa0) {
            std::string bad;
            if (static_cast<unsigned char>(c) == 0xa0) bad = "\\xa0";
            else detail::append_shown(bad, c);
            fail("interface name '" + shown() + "' contains '" + bad + "', which the kernel does not allow");
        }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string detail::shown_text(std::string_view v) {
    std::string out;
    for (char c : v.substr(0, 64)) append_shown(out, c);
    if (v.size() > 64) out += "...";
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* ip_protocol_name(std::uint8_t protocol) noexcept {
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

NSNET_LAZY_DEFINITION NSNET_DECL void validate_no_nul(std::string_view value, std::string_view field, std::string_view operation,
                                std::string_view object) {
    if (auto at = value.find('\0'); at != std::string_view::npos)
        invalid_argument(std::string(operation), std::string(object),
                         std::string(field) + " '" + detail::shown_text(value) + "' contains a NUL byte at offset " +
                             std::to_string(at));
}

NSNET_LAZY_DEFINITION NSNET_DECL void validate_link_alias(std::string_view alias, std::string_view operation, std::string_view object) {
    if (alias.size() > max_link_alias)
        invalid_argument(std::string(operation), std::string(object),
                         "alias '" + detail::shown_text(alias) + "' is " + std::to_string(alias.size()) +
                             " bytes; the kernel allows at most " + std::to_string(max_link_alias) + " (IFALIASZ-1)");
    validate_no_nul(alias, "alias", operation, object);
}

NSNET_LAZY_DEFINITION NSNET_DECL void validate_address_label(std::string_view label, std::string_view operation, std::string_view object) {
    if (label.size() > max_address_label)
        invalid_argument(std::string(operation), std::string(object),
                         "address label '" + detail::shown_text(label) + "' is " + std::to_string(label.size()) +
                             " bytes; the kernel allows at most " + std::to_string(max_address_label) + " (IFNAMSIZ-1)");
    validate_no_nul(label, "address label", operation, object);
}

}  // namespace nsnet
