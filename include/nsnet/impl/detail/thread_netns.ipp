// nsnet/impl/detail/thread_netns.ipp — the function bodies of <nsnet/detail/thread_netns.hpp>.
//
// Included at the end of nsnet/detail/thread_netns.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_thread.hpp"

namespace nsnet::detail {

struct ForkState {
    std::atomic<std::uint64_t> generation{1};
    std::mutex mutex{};
};

NSNET_LAZY inline ForkState& fork_state() noexcept {
    // Never destroyed: a fork after exit() began (from an atexit handler) still runs the handlers.
    static ForkState& state = []() -> ForkState& {
        auto* st = new ForkState;
        ::pthread_atfork([] { fork_state().mutex.lock(); },
                         [] { fork_state().mutex.unlock(); },
                         [] {
                             // The child's only thread: nothing can race with this.
                             fork_state().generation.fetch_add(1, std::memory_order_relaxed);
                             fork_state().mutex.unlock();  // locked by the prepare handler (POSIX allows this)
                         });
        return *st;
    }();
    return state;
}

// Installs the handlers while the program is still single-threaded (static initialisation), so
// that no fork can come before them (nor during the first call of fork_state()).
[[maybe_unused]] NSNET_DECL const bool fork_handlers_installed = (static_cast<void>(fork_state()), true);

NSNET_LAZY_DEFINITION NSNET_DECL std::uint64_t fork_generation() noexcept { return fork_state().generation.load(std::memory_order_relaxed); }

NSNET_LAZY_DEFINITION NSNET_DECL std::mutex& fork_safe_mutex() noexcept { return fork_state().mutex; }

NSNET_LAZY_DEFINITION NSNET_DECL void run_on_netns_thread(int netns_fd, FunctionRef<void()> body, const std::string& netns_name) {
    std::exception_ptr error;
    std::thread worker([&] {
        try {
            if (netns_fd >= 0 &&
                sys_call(Call::setns, [&] { return ::setns(netns_fd, CLONE_NEWNET); }) != 0)
                throw_errno("enter network namespace", netns_name);
            body();
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace nsnet::detail
