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

NSNET_DECL void Error::set_bad_attribute_offset(long offset) {
    bad_attribute_offset_ = offset;
    compose();
}

NSNET_DECL void Error::compose() {
    what_ = operation_;
    if (!object_.empty()) what_ += " '" + object_ + "'";
    what_ += ": ";
    what_ += code().message();
    if (!kernel_message_.empty()) what_ += " (kernel: " + kernel_message_ + ")";
    if (!detail_.empty()) what_ += " [" + detail_ + "]";
    // what() is a C string: a NUL inside a bad value ("eth0\0x") would cut the message short
    // right where it names the value. Show it as \0.
    for (std::size_t at = what_.find('\0'); at != std::string::npos; at = what_.find('\0', at + 2))
        what_.replace(at, 1, "\\0");
}

NSNET_DECL void invalid_argument(std::string operation, std::string object, std::string why) {
    throw InvalidArgument(std::move(operation), std::move(object), std::move(why));
}

NSNET_DECL void throw_errno(std::string operation, std::string object, int err) {
    throw Error(err, std::move(operation), std::move(object));
}

NSNET_DECL Error detail::with_detail(const Error& e, const std::string& detail) {
    Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(), e.detail().empty() ? detail : e.detail() + "; " + detail);
    if (e.bad_attribute_offset() >= 0) out.set_bad_attribute_offset(e.bad_attribute_offset());
    out.set_outcome_unknown(e.outcome_unknown());
    return out;
}

}  // namespace nsnet
