// nsnet/detail/thread_netns.hpp — run code inside another network namespace without moving the caller.
//
// Layer: basics. setns() changes the namespace of the calling *thread*; doing it on a caller's
// thread (as some peers do) races with everything else that thread runs. Instead, each call gets a
// short-lived thread that enters the namespace, does its work and ends: sockets it opened keep
// their namespace, the caller's thread never changes. The cost (~30-50 µs) is paid once per socket,
// not per request.
//
// It also holds what makes nsnet fork-safe: a fork generation (a counter a pthread_atfork child
// handler increments) that state cached per process (a namespace's rtnetlink socket, an owner's
// right to delete what it made) is stamped with, and one short lock that stays usable in a child.
// A child has none of the parent's threads; run_in_netns needs none, it starts a fresh one per call.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/error.hpp"

namespace nsnet::detail {

// fork() copies memory, not threads: a child sees whatever the parent's other threads were doing at
// that instant, frozen (a std::mutex held, a socket shared with the parent, a buffer half-resized).
// So per-process state is stamped with fork_generation(): 1 in a process that never forked from one
// using nsnet, and every child runs with its parent's generation + 1 (a pthread_atfork child handler,
// installed before main). State stamped with another generation was inherited and must be neither
// used nor destroyed (only abandoned); the child makes its own on first use. Unlike getpid(), a
// generation cannot be recycled: a stale stamp is always smaller than the current generation.
NSNET_LAZY NSNET_DECL std::uint64_t fork_generation() noexcept;

// A process-wide lock for short, non-blocking work only (never held across I/O or a callback): the
// atfork handlers take it before fork() and release it after it, in parent and child, so a child
// never inherits it locked. It guards replacing inherited per-process state (NetnsContext).
NSNET_LAZY NSNET_DECL std::mutex& fork_safe_mutex() noexcept;

// True when state stamped with `generation` was made in this process (not inherited through fork).
inline bool made_in_this_process(std::uint64_t generation) noexcept { return generation == fork_generation(); }

// An owner's "delete it on destruction" flag that is true only in the process that set it: a child
// that unwinds through the destructors of objects it inherited (a container runtime forks all the
// time) must not delete the parent's namespaces, links, routes or rules. Drop-in for `bool owned_`:
// `owned_ = true`, `if (!owned_)`, `std::exchange(o.owned_, false)` keep working (a copy keeps the
// process it was set in).
class ProcessOwned {
public:
    ProcessOwned() noexcept = default;
    ProcessOwned(bool on) noexcept : generation_(on ? fork_generation() : 0) {}  // NOLINT: implicit on purpose
    ProcessOwned& operator=(bool on) noexcept {
        generation_ = on ? fork_generation() : 0;
        return *this;
    }
    operator bool() const noexcept { return generation_ != 0 && made_in_this_process(generation_); }  // NOLINT

private:
    std::uint64_t generation_ = 0;  // 0: not owned; generations start at 1
};

// Runs body() on a fresh thread whose network namespace is `netns_fd` (or the caller's namespace
// when netns_fd < 0) and waits for it; an exception body() throws is rethrown on the caller's thread.
// Not a template, so that std::thread and its state are instantiated once, not once per caller's lambda.
NSNET_LAZY NSNET_DECL void run_on_netns_thread(int netns_fd, FunctionRef<void()> body, const std::string& netns_name);

// Runs fn() on a fresh thread whose network namespace is `netns_fd` (or the caller's namespace when
// netns_fd < 0); returns its result or rethrows its exception on the caller's thread.
template <class Fn>
auto run_in_netns(int netns_fd, Fn&& fn, const std::string& netns_name = {}) -> std::invoke_result_t<Fn&> {
    using R = std::invoke_result_t<Fn&>;
    if constexpr (std::is_void_v<R>) {
        run_on_netns_thread(netns_fd, fn, netns_name);
    } else {
        std::optional<R> result{};
        run_on_netns_thread(netns_fd, [&] { result.emplace(fn()); }, netns_name);
        return std::move(*result);
    }
}

}  // namespace nsnet::detail

#if NSNET_DEFINITIONS
#include "nsnet/impl/detail/thread_netns.ipp"
#endif
