// nsnet/impl/detail/fd.ipp — the function bodies of <nsnet/detail/fd.hpp>.
//
// Included at the end of nsnet/detail/fd.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::detail {

NSNET_DECL UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

NSNET_LAZY_DEFINITION NSNET_DECL void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

NSNET_LAZY_DEFINITION NSNET_DECL void UniqueFd::close() {
    int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) throw_errno("close file descriptor");
}

NSNET_LAZY_DEFINITION NSNET_DECL UniqueFd UniqueFd::dup() const {
    int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw_errno("duplicate file descriptor");
    return UniqueFd(fd);
}

}  // namespace nsnet::detail
