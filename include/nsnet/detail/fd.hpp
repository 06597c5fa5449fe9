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
    NSNET_LAZY void reset(int fd = -1) noexcept;
    // Closes and reports failure (close errors are otherwise lost in the destructor).
    NSNET_LAZY void close();
    // A second descriptor for the same file (O_CLOEXEC).
    NSNET_LAZY UniqueFd dup() const;

private:
    int fd_ = -1;
};

}  // namespace nsnet::detail

#if NSNET_DEFINITIONS
#include "nsnet/impl/detail/fd.ipp"
#endif
