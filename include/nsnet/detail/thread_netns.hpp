// nsnet/detail/thread_netns.hpp — run code inside another network namespace without moving the caller.
//
// Layer: basics. setns() changes the namespace of the calling *thread*; doing it on a caller's
// thread (as some peers do) races with everything else that thread runs. Instead, each call gets a
// short-lived thread that enters the namespace, does its work and ends: sockets it opened keep
// their namespace, the caller's thread never changes. The cost (~30-50 µs) is paid once per socket,
// not per request.
#pragma once

#include <sched.h>

#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/error.hpp"

namespace nsnet::detail {

// Runs fn() on a fresh thread whose network namespace is `netns_fd` (or the caller's namespace when
// netns_fd < 0); returns its result or rethrows its exception on the caller's thread.
template <class Fn>
auto run_in_netns(int netns_fd, Fn&& fn, const std::string& netns_name = {}) -> std::invoke_result_t<Fn&> {
    using R = std::invoke_result_t<Fn&>;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<R>, char, std::optional<std::conditional_t<std::is_void_v<R>, char, R>>> result{};
    std::thread worker([&] {
        try {
            if (netns_fd >= 0 &&
                sys_call(Call::setns, [&] { return ::setns(netns_fd, CLONE_NEWNET); }) != 0)
                throw_errno("enter network namespace", netns_name);
            if constexpr (std::is_void_v<R>) fn();
            else result.emplace(fn());
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<R>) return std::move(*result);
}

}  // namespace nsnet::detail
