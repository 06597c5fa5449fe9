// nsnet/detail/fd.hpp — UniqueFd: a move-only owner of a file descriptor.
//
// Layer: basics. The destructor closes quietly (it must not throw); call close() to learn about
// errors.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"

namespace nsnet::detail {

class UniqueFd {
public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;
    // Closes and reports failure (close errors are otherwise lost in the destructor).
    void close();
    // A second descriptor for the same file (O_CLOEXEC).
    UniqueFd dup() const;

private:
    int fd_ = -1;
};

#if NSNET_DEFINITIONS

NSNET_DECL UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

NSNET_DECL void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

NSNET_DECL void UniqueFd::close() {
    int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) throw_errno("close file descriptor");
}

NSNET_DECL UniqueFd UniqueFd::dup() const {
    int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw_errno("duplicate file descriptor");
    return UniqueFd(fd);
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::detail
