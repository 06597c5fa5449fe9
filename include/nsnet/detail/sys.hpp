// nsnet/detail/sys.hpp — the few system calls nsnet makes, behind one seam.
//
// Layer: basics. Every call retries EINTR (a signal handler in the host program must not turn into
// a spurious failure) and passes through a fault-injection hook, so tests can make any chosen call
// fail with any errno, or corrupt a received reply, without root and without a broken kernel.
// Nothing here throws: callers decide how to report.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstddef>

#include "nsnet/detail/config.hpp"

namespace nsnet::detail {

enum class Call { socket, bind, setsockopt, getsockname, sendmsg, recvmsg, open, setns, unshare, mount, other };

// Installed by tests (tests/unit/nl/transact_test.cpp, tests/integration/fault_walk_test.cpp).
// before() returns 0 to let the call happen, or an errno value to make it fail with that error
// instead (EINTR included: the wrapper then retries, as it would for a real signal). after_receive() may rewrite or shorten a reply
// the kernel sent (to simulate truncated or malformed messages); it returns the new length.
struct FaultInjector {
    virtual ~FaultInjector() = default;
    virtual int before(Call) { return 0; }
    virtual ssize_t after_receive(std::byte* /*data*/, ssize_t length, std::size_t /*capacity*/) { return length; }
};

NSNET_LAZY NSNET_DECL std::atomic<FaultInjector*>& fault_injector() noexcept;

// Runs `fn` (which returns -1 and sets errno on failure) with EINTR retry and fault injection.
template <class Fn>
auto sys_call(Call which, Fn&& fn) -> decltype(fn()) {
    for (;;) {
        if (FaultInjector* inj = fault_injector().load(std::memory_order_acquire)) {
            if (int err = inj->before(which)) {
                errno = err;
                if (err == EINTR) continue;
                return -1;
            }
        }
        auto r = fn();
        if (r < 0 && errno == EINTR) continue;
        return r;
    }
}

// True for the errno of a non-blocking call that found nothing to do. Linux gives EAGAIN and
// EWOULDBLOCK one value, so one comparison covers both (and `a || b` of equal values would be
// flagged by -Wlogical-op in a user's build).
static_assert(EAGAIN == EWOULDBLOCK);
constexpr bool would_block(int err) noexcept { return err == EAGAIN; }

// RAII installer for tests: the injector is active for this object's lifetime.
class ScopedFaultInjector {
public:
    explicit ScopedFaultInjector(FaultInjector& inj) noexcept { fault_injector().store(&inj); }
    ~ScopedFaultInjector() { fault_injector().store(nullptr); }
    ScopedFaultInjector(const ScopedFaultInjector&) = delete;
    ScopedFaultInjector& operator=(const ScopedFaultInjector&) = delete;
};

}  // namespace nsnet::detail

#if NSNET_DEFINITIONS
#include "nsnet/impl/detail/sys.ipp"
#endif
