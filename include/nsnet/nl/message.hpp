// nsnet/nl/message.hpp — building netlink messages, and reading them back safely.
//
// Layer: raw netlink, no I/O. A message on the wire:
//
//   +--------------------+----------------------+-----------------------------+
//   | nlmsghdr (16 B)    | family header        | attributes (see attr.hpp)   |
//   | len type flags     | ifinfomsg, rtmsg, ...| TLV TLV {nested TLV...} ... |
//   | seq pid            | padded to 4 bytes    |                             |
//   +--------------------+----------------------+-----------------------------+
//   <------------------------------ nlmsg_len --------------------------------->
//
// MessageBuilder writes one message into a growable buffer (no fixed 4 KiB limit); nests are RAII
// objects that patch their length when they close. Lengths never wrap: an attribute or an open nest
// that would outgrow the 16-bit nla_len, a string with a NUL inside, or a message that would outgrow
// max_message_size is refused with InvalidArgument (naming the attribute type and the size) before
// it is written, so a message that was built is exactly what the caller put. MessageView and
// MessageRange read messages out of a received buffer and never read past it.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"

namespace nsnet::detail {
// Error paths of MessageView's checks, out of line (see attr.hpp).
[[noreturn, gnu::cold]] void message_too_short();
[[noreturn, gnu::cold]] void message_bad_length(std::uint32_t len, std::size_t size);
[[noreturn, gnu::cold]] void message_no_family_header(std::uint16_t type);
[[noreturn, gnu::cold]] void message_no_attrs(std::uint16_t type);
}  // namespace nsnet::detail

namespace nsnet::nl {

class MessageBuilder {
public:
    // nla_len is 16 bits and counts the 4-byte header: the largest payload one attribute can carry.
    static constexpr std::size_t max_attr_payload = 0xffff - sizeof(nlattr);
    // A sane cap on one message (nlmsg_len is 32 bits; no kernel socket buffer takes anywhere near this).
    static constexpr std::size_t max_message_size = std::size_t{64} << 20;

    // Starts a message of `type` (RTM_NEWLINK, ...) with `flags` (NLM_F_REQUEST is always added).
    // seq and pid are filled in by the socket when the message is sent.
    MessageBuilder(std::uint16_t type, std::uint16_t flags);

    // Appends the fixed family header (ifinfomsg, rtmsg, ...) padded to 4 bytes.
    template <class T>
    void put_header(const T& family_header) {
        static_assert(std::is_trivially_copyable_v<T>);
        append(&family_header, sizeof family_header);
        pad();
    }

    NSNET_LAZY void put(std::uint16_t type, const void* data, std::size_t size);
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put(std::uint16_t type, const T& value) { put(type, &value, sizeof value); }
    void put_u8(std::uint16_t type, std::uint8_t v) { put(type, v); }
    void put_u16(std::uint16_t type, std::uint16_t v) { put(type, v); }
    void put_u32(std::uint16_t type, std::uint32_t v) { put(type, v); }
    void put_u64(std::uint16_t type, std::uint64_t v) { put(type, v); }
    void put_s32(std::uint16_t type, std::int32_t v) { put(type, v); }
    void put_be16(std::uint16_t type, std::uint16_t v) { put(type, __builtin_bswap16(v)); }
    void put_be32(std::uint16_t type, std::uint32_t v) { put(type, __builtin_bswap32(v)); }
    NSNET_LAZY void put_flag(std::uint16_t type) { put(type, nullptr, 0); }
    // A NUL-terminated string, as the kernel's NLA_STRING / NLA_NUL_STRING expect. A NUL byte
    // inside `s` is refused (the kernel would read a shorter string than the caller meant).
    NSNET_LAZY void put_string(std::uint16_t type, std::string_view s);
    NSNET_LAZY void put_ip(std::uint16_t type, const IpAddress& a) { put(type, a.data(), a.size()); }
    NSNET_LAZY void put_mac(std::uint16_t type, const MacAddress& m) { put(type, m.data(), m.size()); }

    // A nested attribute: everything put while the Nest is alive goes inside it.
    class Nest {
    public:
        // raw_type is written as is (with or without NLA_F_NESTED).
        Nest(MessageBuilder& b, std::uint16_t raw_type);
        Nest(const Nest&) = delete;
        Nest& operator=(const Nest&) = delete;
        ~Nest() { close(); }
        NSNET_LAZY void close() noexcept;

    private:
        MessageBuilder* b_;
        std::size_t start_;
    };
    // Starts a nested attribute. iproute2 sets NLA_F_NESTED on some nests and not others; pass
    // with_nested_flag=false to produce the same bytes where it doesn't (the kernel accepts both).
    [[nodiscard]] Nest nest(std::uint16_t type, bool with_nested_flag = true) {
        return Nest(*this, with_nested_flag ? static_cast<std::uint16_t>(type | NLA_F_NESTED) : type);
    }

    nlmsghdr& header() noexcept { return *reinterpret_cast<nlmsghdr*>(buf_.data()); }
    std::uint16_t type() const noexcept { return reinterpret_cast<const nlmsghdr*>(buf_.data())->nlmsg_type; }
    std::uint16_t flags() const noexcept { return reinterpret_cast<const nlmsghdr*>(buf_.data())->nlmsg_flags; }
    void set_flags(std::uint16_t f) noexcept { header().nlmsg_flags = f; }
    void set_seq(std::uint32_t seq) noexcept { header().nlmsg_seq = seq; }
    std::uint32_t seq() const noexcept { return reinterpret_cast<const nlmsghdr*>(buf_.data())->nlmsg_seq; }

    // The finished message (nlmsg_len is kept up to date by every put).
    Bytes bytes() const noexcept { return {buf_.data(), buf_.size()}; }
    std::size_t size() const noexcept { return buf_.size(); }

private:
    friend class Nest;
    NSNET_LAZY void append(const void* data, std::size_t size);
    NSNET_LAZY void pad();
    NSNET_LAZY void sync_len() noexcept;
    // Throws InvalidArgument unless `extra` more bytes (for attribute `type`, or -1: a header or
    // padding) keep the message within max_message_size and the outermost open nest within nla_len.
    // Called before every write.
    NSNET_LAZY void check_growth(std::size_t extra, int type) const;
    NSNET_LAZY [[noreturn]] void refuse(std::string why) const;

    std::vector<std::byte> buf_;
    // The outermost open nest (it contains all the others, so it is the one that can overflow).
    std::size_t outer_start_ = 0;
    std::size_t open_nests_ = 0;
};

// A view of one received message; the buffer must outlive it.
class MessageView {
public:
    explicit MessageView(Bytes whole) : bytes_(whole) {
        if (whole.size() < sizeof(nlmsghdr)) [[unlikely]]
            detail::message_too_short();
        std::memcpy(&h_, whole.data(), sizeof h_);
        if (h_.nlmsg_len < sizeof(nlmsghdr) || h_.nlmsg_len > whole.size()) [[unlikely]]
            detail::message_bad_length(h_.nlmsg_len, whole.size());
        bytes_ = Bytes(whole.data(), h_.nlmsg_len);
    }

    const nlmsghdr& header() const noexcept { return h_; }
    std::uint16_t type() const noexcept { return h_.nlmsg_type; }
    std::uint16_t flags() const noexcept { return h_.nlmsg_flags; }
    std::uint32_t seq() const noexcept { return h_.nlmsg_seq; }
    std::uint32_t pid() const noexcept { return h_.nlmsg_pid; }
    Bytes bytes() const noexcept { return bytes_; }
    Bytes payload() const noexcept { return bytes_.subspan(sizeof(nlmsghdr)); }

    // The fixed family header, copied out (the buffer need not be aligned for T).
    template <class T>
    T family_header() const {
        if (payload().size() < sizeof(T)) [[unlikely]]
            detail::message_no_family_header(type());
        T v;
        std::memcpy(&v, payload().data(), sizeof v);
        return v;
    }
    // The attributes after a family header of `header_size` bytes.
    AttrRange attrs(std::size_t header_size) const {
        std::size_t off = align(header_size);
        if (payload().size() < off) [[unlikely]]
            detail::message_no_attrs(type());
        return AttrRange(payload().subspan(off));
    }
    template <class T>
    AttrRange attrs() const { return attrs(sizeof(T)); }

private:
    Bytes bytes_;
    nlmsghdr h_{};
};

// Iterates the messages packed in one received datagram.
class MessageRange {
public:
    explicit MessageRange(Bytes bytes) noexcept : bytes_(bytes) {}

    class iterator {
    public:
        using value_type = MessageView;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;
        iterator() = default;
        explicit iterator(Bytes rest) : rest_(rest) {}
        MessageView operator*() const { return MessageView(rest_); }
        iterator& operator++() {
            MessageView m(rest_);
            std::size_t step = align(m.header().nlmsg_len);
            rest_ = step >= rest_.size() ? Bytes{} : rest_.subspan(step);
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.rest_.size() == b.rest_.size();
        }

    private:
        Bytes rest_{};
    };
    iterator begin() const { return iterator(bytes_); }
    iterator end() const { return iterator(); }

private:
    Bytes bytes_;
};

}  // namespace nsnet::nl

namespace nsnet::detail {

}  // namespace nsnet::detail

#if NSNET_DEFINITIONS
#include "nsnet/impl/nl/message.ipp"
#endif
