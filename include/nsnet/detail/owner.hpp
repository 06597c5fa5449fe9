// nsnet/detail/owner.hpp — Owner<Handle>: the one implementation of "this object removes what it
// created", shared by every owning type (links, routes, rules, nexthops, namespaces, firewall rules).
//
// Layer: detail. A handle is a plain, copyable value that names one kernel object and can remove it
// (`Link`, a route, an nft rule ...). An Owner holds one handle and removes its object when the owner
// is destroyed, unless persist()ed or release()d. It is move-only, and it never converts to a
// mutable handle: were it a handle (public inheritance), `Link& l = bridge; l = Link::get(ns, "eth0")`
// would compile and the bridge's owner would then delete eth0.
//
// What a Handle must provide:
//   void remove() const;   // removes the object; an object already gone is success (no throw)
// and be nothrow-movable. Owners made in one process do nothing in a fork child (ProcessOwned).
#pragma once

#include <type_traits>
#include <utility>

#include "nsnet/detail/thread_netns.hpp"

namespace nsnet::detail {

template <class Handle>
class Owner {
    static_assert(std::is_nothrow_move_constructible_v<Handle>, "an owned handle must be nothrow-movable");

public:
    Owner() = default;
    // Takes ownership of the object `handle` names: this owner now removes it.
    explicit Owner(Handle handle) noexcept : handle_(std::move(handle)), owned_(true) {}

    Owner(Owner&& o) noexcept : handle_(std::move(o.handle_)), owned_(std::exchange(o.owned_, false)) {}
    // Removes what this owner held (errors swallowed, as in the destructor), then takes o's object.
    Owner& operator=(Owner&& o) noexcept {
        if (this != &o) {
            destroy();
            handle_ = std::move(o.handle_);
            owned_ = std::exchange(o.owned_, false);
        }
        return *this;
    }
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
    ~Owner() { destroy(); }

    // Keep the object after this owner is gone.
    void persist() noexcept { owned_ = false; }
    // Whether this owner will remove its object (false after persist/release/remove, when empty,
    // and in a fork child of the process that made it).
    bool owned() const noexcept { return owned_; }
    // Gives up ownership and returns the plain handle.
    Handle release() noexcept {
        owned_ = false;
        return handle_;
    }
    // Removes the object now; one already gone counts as removed. When removal fails (a refusal,
    // or a transient ENOBUFS/ENOMEM), the error is thrown and the owner keeps the object, so the
    // caller may call remove() again and the destructor tries once more: an owner whose remove()
    // failed once must not leak what it owns.
    NSNET_LAZY void remove() {
        if (!owned_) return;
        handle_.remove();
        owned_ = false;
    }

    // The handle, read-only: owner->name(), owner->up() (operations that do not re-point it).
    const Handle& handle() const noexcept { return handle_; }
    const Handle* operator->() const noexcept { return &handle_; }
    const Handle& operator*() const noexcept { return handle_; }

protected:
    // For owners whose operations re-point the handle (a link renamed or moved to another
    // namespace): the owned object is still the same kernel object.
    Handle& mutable_handle() noexcept { return handle_; }

private:
    void destroy() noexcept {
        try {
            remove();
        } catch (...) {
            // Destructors never throw; callers who need to know call remove() themselves.
        }
    }

    Handle handle_{};
    ProcessOwned owned_{};  // true only in the process that took ownership (not in a fork child)
};

}  // namespace nsnet::detail
