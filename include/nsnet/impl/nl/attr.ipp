// nsnet/impl/nl/attr.ipp — the function bodies of <nsnet/nl/attr.hpp>.
//
// Included at the end of nsnet/nl/attr.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::nl {

NSNET_DECL void malformed(std::string what) { throw Error(EBADMSG, "parse netlink message", {}, {}, std::move(what)); }

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Attr> AttrRange::find(std::uint16_t type) const {
    for (Attr a : *this)
        if (a.type() == type) return a;
    return std::nullopt;
}

}  // namespace nsnet::nl

namespace nsnet::detail {

// gnu::noinline is on the definitions only (the declarations above are neither inline nor noinline):
// g++ rejects (-Wattributes) an inline definition after a noinline declaration, and a noinline
// declaration after an inline one, and header-only mode defines these inline.
[[gnu::noinline]] NSNET_DECL void attr_size_mismatch(std::uint16_t type, std::size_t got, std::size_t want) {
    nl::malformed("attribute " + std::to_string(type) + " has " + std::to_string(got) + " bytes, expected " + std::to_string(want));
}

[[gnu::noinline]] NSNET_DECL void attr_too_short(std::uint16_t type) {
    nl::malformed("attribute " + std::to_string(type) + " is shorter than its structure");
}

[[gnu::noinline]] NSNET_DECL void attr_not_ip(std::uint16_t type, std::size_t size) {
    nl::malformed("attribute " + std::to_string(type) + " is not an IP address (" + std::to_string(size) + " bytes)");
}

[[gnu::noinline]] NSNET_DECL void attr_header_truncated(std::size_t left) {
    nl::malformed("attribute header truncated (" + std::to_string(left) + " bytes left)");
}

[[gnu::noinline]] NSNET_DECL void attr_bad_length(std::uint16_t raw_type, std::size_t len, std::size_t left) {
    nl::malformed("attribute " + std::to_string(raw_type & NLA_TYPE_MASK) + " claims length " + std::to_string(len) + " with " +
                  std::to_string(left) + " bytes left");
}

}  // namespace nsnet::detail
