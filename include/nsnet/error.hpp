// nsnet/error.hpp — the one exception type of nsnet.
//
// Layer: basics (no netlink). Every failure nsnet reports is an nsnet::Error, a std::system_error
// that also carries what was being done (the operation), to what (the object's name), and the
// kernel's own explanation when it sent one (netlink extended ack). Bad input is an
// InvalidArgument, thrown before anything in the kernel is changed.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "nsnet/detail/config.hpp"

namespace nsnet {

class Error : public std::system_error {
public:
    // errnum: a positive errno value. operation: what nsnet was doing ("create veth"),
    // object: the name it concerns ("veth-n1"), kernel_message: the extended-ack text, if any.
    Error(int errnum, std::string operation, std::string object = {},
          std::string kernel_message = {}, std::string detail = {});

    int errnum() const noexcept { return code().value(); }
    const std::string& operation() const noexcept { return operation_; }
    const std::string& object() const noexcept { return object_; }
    // The kernel's extended-ack message (NLMSGERR_ATTR_MSG), empty when it sent none.
    const std::string& kernel_message() const noexcept { return kernel_message_; }
    // Extra explanation added by nsnet (e.g. which attribute the kernel pointed at).
    const std::string& detail() const noexcept { return detail_; }
    // Byte offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS), or -1.
    long bad_attribute_offset() const noexcept { return bad_attribute_offset_; }
    NSNET_LAZY void set_bad_attribute_offset(long offset);

    // True when the request may or may not have been applied: the kernel received it, but its
    // answer was lost, cut short or unreadable (a receive error, a malformed reply). A caller that
    // created something looks for it and removes it; the object types do so themselves.
    bool outcome_unknown() const noexcept { return outcome_unknown_; }
    void set_outcome_unknown(bool unknown = true) noexcept { outcome_unknown_ = unknown; }

    // The message: operation, object, errno's text, the kernel's text, the detail. One printable
    // line: control bytes are shown escaped (\n, \x1b, ...), an object over 256 bytes is cut.
    const char* what() const noexcept override { return what_.c_str(); }
    static constexpr std::size_t max_shown_object = 256;

private:
    NSNET_LAZY void compose();

    std::string operation_, object_, kernel_message_, detail_, what_;
    long bad_attribute_offset_ = -1;
    bool outcome_unknown_ = false;
};

// Bad input rejected by nsnet itself, before the kernel saw anything. errno is EINVAL.
class InvalidArgument : public Error {
public:
    InvalidArgument(std::string operation, std::string object, std::string why)
        : Error(EINVAL, std::move(operation), std::move(object), {}, std::move(why)) {}
};

// Throws InvalidArgument; `why` must name the bad value, e.g. "VLAN id 4095 is outside 1..4094".
[[noreturn]] NSNET_DECL void invalid_argument(std::string operation, std::string object, std::string why);

// Throws Error for the current errno.
[[noreturn]] NSNET_DECL void throw_errno(std::string operation, std::string object = {}, int err = errno);

// `text` as nsnet shows it in what() and in its text views (show_addresses, to_string of routes and
// monitor events): control bytes (C0 and DEL) escaped as \0, \t, \n, \r or \xNN, every other byte
// (UTF-8 included) as is, nothing cut. The kernel allows ESC and other control bytes in interface
// names, which a container chooses: pass such names through this before they reach a terminal or a
// log. The data itself (LinkInfo::name, AddressInfo::label, ...) is kept as the kernel holds it.
NSNET_LAZY NSNET_DECL std::string printable(std::string_view text);

namespace detail {

// The bytes messages show escaped (C0 controls and DEL): what() never carries them raw.
constexpr bool is_control_byte(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

// Appends `c` as messages show it: a control byte as \0, \t, \n, \r or \xNN, any other byte as is.
NSNET_LAZY NSNET_DECL void append_shown(std::string& out, char c);

// `e` with `detail` added to its detail; errno, operation, object, the kernel's text, the offending
// attribute's offset and outcome_unknown() stay.
NSNET_LAZY NSNET_DECL Error with_detail(const Error& e, const std::string& detail);

// After a create whose answer was lost (e.outcome_unknown()): the kernel may have made the object
// before the answer went missing, and had it existed before, the create would have been refused
// (EEXIST). So it is removed (`remove()`), leaving nothing behind, and the returned Error says what
// became of `what` ("the route", "the entry").
template <class Remove>
Error undo_lost_create(const Error& e, const char* what, Remove&& remove) {
    std::string note = std::string("the kernel's answer was lost; ") + what + ", if it was added, was removed";
    try {
        remove();
    } catch (const Error& cleanup) {
        note = std::string("the kernel's answer was lost, and removing ") + what + " failed too (" + cleanup.what() +
               "): it may exist";
    }
    Error out = with_detail(e, note);
    out.set_outcome_unknown();
    return out;
}

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/error.ipp"
#endif
