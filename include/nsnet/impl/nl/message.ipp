// nsnet/impl/nl/message.ipp — the function bodies of <nsnet/nl/message.hpp>.
//
// Included at the end of nsnet/nl/message.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nl {

NSNET_DECL MessageBuilder::MessageBuilder(std::uint16_t type, std::uint16_t flags) {
    buf_.reserve(256);
    nlmsghdr h{};
    h.nlmsg_len = sizeof h;
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<std::uint16_t>(flags | NLM_F_REQUEST);
    append(&h, sizeof h);
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::put(std::uint16_t type, const void* data, std::size_t size) {
    if (size > max_attr_payload) [[unlikely]]
        refuse("attribute type " + std::to_string(type & NLA_TYPE_MASK) + " has a " + std::to_string(size) +
               "-byte payload; nla_len (16 bits) allows at most " + std::to_string(max_attr_payload));
    check_growth(align(sizeof(nlattr) + size), type);
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(sizeof a + size);
    a.nla_type = type;
    // Header, payload and padding in one step (the padding is zeroed by resize).
    const std::size_t at = buf_.size();
    buf_.resize(at + align(sizeof a + size));
    std::memcpy(buf_.data() + at, &a, sizeof a);
    if (size) std::memcpy(buf_.data() + at + sizeof a, data, size);
    sync_len();
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::put_string(std::uint16_t type, std::string_view s) {
    if (s.size() + 1 > max_attr_payload) [[unlikely]]
        refuse("string attribute type " + std::to_string(type & NLA_TYPE_MASK) + " has " + std::to_string(s.size()) +
               " bytes (+1 NUL); nla_len (16 bits) allows at most " + std::to_string(max_attr_payload - 1));
    if (auto at = s.find('\0'); at != std::string_view::npos) [[unlikely]]
        refuse("string attribute type " + std::to_string(type & NLA_TYPE_MASK) + " '" +
               std::string(s.substr(0, std::min<std::size_t>(at, 64))) + "\\0...' (" + std::to_string(s.size()) +
               " bytes) contains a NUL byte at offset " + std::to_string(at));
    check_growth(align(sizeof(nlattr) + s.size() + 1), type);
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(sizeof a + s.size() + 1);
    a.nla_type = type;
    append(&a, sizeof a);
    append(s.data(), s.size());
    const char nul = 0;
    append(&nul, 1);
    pad();
}

NSNET_DECL MessageBuilder::Nest::Nest(MessageBuilder& b, std::uint16_t raw_type) : b_(&b), start_(b.buf_.size()) {
    nlattr a{};
    a.nla_type = raw_type;
    b.check_growth(sizeof a, raw_type);  // throws before anything is written or counted as open
    b.append(&a, sizeof a);
    if (b.open_nests_++ == 0) b.outer_start_ = start_;
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::Nest::close() noexcept {
    if (!b_) return;
    // Every write into an open nest was checked against nla_len (check_growth), so this fits.
    auto len = static_cast<std::uint16_t>(b_->buf_.size() - start_);
    std::memcpy(b_->buf_.data() + start_, &len, sizeof len);
    if (b_->open_nests_ > 0) --b_->open_nests_;
    b_ = nullptr;
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::check_growth(std::size_t extra, int type) const {
    const std::size_t after = buf_.size() + extra;
    auto what = [&] {
        return (type < 0 ? std::string("a header") : "attribute type " + std::to_string(type & NLA_TYPE_MASK)) + " (" +
               std::to_string(extra) + " bytes)";
    };
    if (after > max_message_size || after < buf_.size()) [[unlikely]]
        refuse(what() + " would grow the message to " + std::to_string(after) + " bytes; at most " +
               std::to_string(max_message_size) + " are allowed");
    if (open_nests_ > 0 && after - outer_start_ > 0xffff) [[unlikely]] {
        nlattr outer;
        std::memcpy(&outer, buf_.data() + outer_start_, sizeof outer);
        refuse("nested attribute type " + std::to_string(outer.nla_type & NLA_TYPE_MASK) + " would grow to " +
               std::to_string(after - outer_start_) + " bytes with " + what() +
               "; nla_len (16 bits) allows at most 65535");
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::refuse(std::string why) const {
    invalid_argument("build netlink message", "message type " + std::to_string(type()), std::move(why));
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::append(const void* data, std::size_t size) {
    check_growth(size, -1);
    if (size) {
        const std::size_t at = buf_.size();
        buf_.resize(at + size);
        std::memcpy(buf_.data() + at, data, size);
    }
    sync_len();
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::pad() {
    check_growth(align(buf_.size()) - buf_.size(), -1);
    buf_.resize(align(buf_.size()));
    sync_len();
}

NSNET_LAZY_DEFINITION NSNET_DECL void MessageBuilder::sync_len() noexcept {
    auto len = static_cast<std::uint32_t>(buf_.size());
    std::memcpy(buf_.data(), &len, sizeof len);
}

}  // namespace nsnet::nl

namespace nsnet::detail {

// gnu::noinline is on the definitions only (see attr.hpp).
[[gnu::noinline]] NSNET_DECL void message_too_short() { nl::malformed("message shorter than its header"); }

[[gnu::noinline]] NSNET_DECL void message_bad_length(std::uint32_t len, std::size_t size) {
    nl::malformed("message length " + std::to_string(len) + " does not fit in " + std::to_string(size) + " bytes");
}

[[gnu::noinline]] NSNET_DECL void message_no_family_header(std::uint16_t type) {
    nl::malformed("message type " + std::to_string(type) + " too short for its family header");
}

[[gnu::noinline]] NSNET_DECL void message_no_attrs(std::uint16_t type) {
    nl::malformed("message type " + std::to_string(type) + " too short");
}

}  // namespace nsnet::detail
