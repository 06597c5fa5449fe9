// nsnet/detail/function_ref.hpp — a non-owning reference to a callable, for callback parameters.
//
// Layer: basics. A callback that is only called during the call it is passed to (a dump's
// per-message handler, an encoder's "write the kind's data" hook) does not need std::function:
// FunctionRef stores a pointer to the caller's callable and one plain function pointer that calls
// it. That is one small template instantiation per lambda instead of std::function's handler,
// manager and storage machinery, which every translation unit including nsnet used to pay for every
// lambda the headers pass around (benchmark C). It never allocates.
//
// What it deliberately does not do: own the callable. Never store a FunctionRef beyond the call
// that received it (use std::function for that); it refers to a temporary that is gone afterwards.
// Constructed from an empty std::function or a null function pointer it is empty (false), like the
// std::function parameter it replaces.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace nsnet::detail {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    FunctionRef() noexcept = default;
    FunctionRef(std::nullptr_t) noexcept {}

    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
    FunctionRef(F&& f) noexcept {  // NOLINT: implicit, like std::function's
        using T = std::remove_reference_t<F>;
        if constexpr (std::is_function_v<T>) {  // a function named directly: keep its address
            object_ = reinterpret_cast<void*>(&f);
            call_ = [](void* object, Args... args) -> R {
                return (*reinterpret_cast<T*>(object))(std::forward<Args>(args)...);
            };
        } else {
            if constexpr (std::is_pointer_v<std::remove_cv_t<T>>) {
                if (!f) return;  // a null function pointer
            } else if constexpr (requires { f.target_type(); }) {
                if (!f) return;  // an empty std::function
            }
            object_ = const_cast<void*>(static_cast<const void*>(std::addressof(f)));
            call_ = [](void* object, Args... args) -> R {
                return (*static_cast<T*>(object))(std::forward<Args>(args)...);
            };
        }
    }

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }
    explicit operator bool() const noexcept { return call_ != nullptr; }

private:
    void* object_ = nullptr;
    R (*call_)(void*, Args...) = nullptr;
};

}  // namespace nsnet::detail
