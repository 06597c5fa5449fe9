// nsnet/impl/error.ipp — the function bodies of <nsnet/error.hpp>.
//
// Included at the end of nsnet/error.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_DECL Error::Error(int errnum, std::string operation, std::string object,
                        std::string kernel_message, std::string detail)
    : std::system_error(errnum, std::generic_category()),
      operation_(std::move(operation)),
      object_(std::move(object)),
      kernel_message_(std::move(kernel_message)),
      detail_(std::move(detail)) {
    compose();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Error::set_bad_attribute_offset(long offset) {
    bad_attribute_offset_ = offset;
    compose();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Error::compose() {
    what_ = operation_;
    // A value of any length may be the object (a bad name as given): what() shows its start.
    if (!object_.empty())
        what_ += " '" + (object_.size() > max_shown_object ? object_.substr(0, max_shown_object) + "..." : object_) + "'";
    what_ += ": ";
    what_ += code().message();
    if (!kernel_message_.empty()) what_ += " (kernel: " + kernel_message_ + ")";
    if (!detail_.empty()) what_ += " [" + detail_ + "]";
    // what() is one printable line whatever the values in it: a NUL inside a bad value ("eth0\0x")
    // would cut the C string short right where it names the value, and a newline or an escape
    // sequence in a name (the kernel allows ESC in interface names, so a container can choose one)
    // would forge log lines or drive the reader's terminal. Control bytes are shown escaped.
    what_ = printable(what_);
}

NSNET_DECL void invalid_argument(std::string operation, std::string object, std::string why) {
    throw InvalidArgument(std::move(operation), std::move(object), std::move(why));
}

NSNET_DECL void throw_errno(std::string operation, std::string object, int err) {
    throw Error(err, std::move(operation), std::move(object));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string printable(std::string_view text) {
    std::string shown;
    shown.reserve(text.size());
    for (char c : text) detail::append_shown(shown, c);
    return shown;
}

NSNET_LAZY_DEFINITION NSNET_DECL void detail::append_shown(std::string& out, char c) {
    if (!is_control_byte(c)) {
        out += c;
        return;
    }
    switch (c) {
        case '\0': out += "\\0"; return;
        case '\t': out += "\\t"; return;
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        default: break;
    }
    static constexpr char hex[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
}

NSNET_LAZY_DEFINITION NSNET_DECL Error detail::with_detail(const Error& e, const std::string& detail) {
    Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(), e.detail().empty() ? detail : e.detail() + "; " + detail);
    if (e.bad_attribute_offset() >= 0) out.set_bad_attribute_offset(e.bad_attribute_offset());
    out.set_outcome_unknown(e.outcome_unknown());
    return out;
}

}  // namespace nsnet
