// nsnet/netns_group.hpp — NetnsGroup: named namespaces created together and removed together.
//
// Layer: typed objects.
//
//   auto cs = nsnet::NetnsGroup::create({"c1", "c2"});  // named namespaces, made and removed together
//
// Why: unmounting a namespace waits for an RCU grace period; a group overlaps its namespaces'
// waits, and creating opens each namespace's rtnetlink socket while already inside it.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/error.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/socket.hpp"

namespace nsnet {

namespace detail {

// What a NetnsGroup owns: named namespaces, refs[i] being names[i]'s. remove() deletes every name
// that still holds its namespace (names already gone are fine), from up to 8 threads; a name that
// holds another namespace now is left alone and reported (Error EEXIST) after the others.
struct OwnedNetnsNames {
    std::vector<std::string> names{};
    std::vector<NetnsRef> refs{};
    NSNET_LAZY void remove() const;
};

// Unmounts and unlinks /run/netns/NAME for every name, from up to 8 threads; throws the first
// failure at the end. With `mine` (one namespace per name), only names that still hold it.
NSNET_LAZY NSNET_DECL void remove_netns_names(const std::vector<std::string>& names, const std::vector<NetnsRef>* mine);

// detail::Owner, with the handle reachable for NetnsGroup (which drops its references once removed).
struct NetnsGroupOwner : Owner<OwnedNetnsNames> {
    using Owner<OwnedNetnsNames>::Owner;
    using Owner<OwnedNetnsNames>::mutable_handle;
};

}  // namespace detail

// Named namespaces created together and removed together (`ip netns add|del` for each name).
//
//   auto cs = nsnet::NetnsGroup::create({"c1", "c2", "c3"});
//   nsnet::RequestBatch b(cs[0]);          // cs[i] is a NetnsRef; its rtnetlink socket is open already
//   ...                                    // ~NetnsGroup: every name deleted, waits overlapped
//
// Creating: one thread enters each new namespace in turn (unshare), bind-mounts it at
// /run/netns/NAME and opens its rtnetlink socket while inside, instead of a thread per namespace
// and another per socket later. Removing: each unmount waits for an RCU grace period; done from
// several threads at once, the waits overlap. Links inside a namespace die with it, without a
// request (and a grace period) each; a veth whose peer is elsewhere takes the peer along.
class NetnsGroup {
public:
    // No namespaces.
    NetnsGroup() = default;

    // ip netns add NAME, for every name. All or nothing: on a failure the ones made are removed.
    NSNET_LAZY static NetnsGroup create(const std::vector<std::string>& names);

    // Takes ownership of named namespaces that exist already (e.g. made by a process that
    // persisted them): opens them, and removes them together on destruction.
    NSNET_LAZY static NetnsGroup adopt(const std::vector<std::string>& names);

    std::size_t size() const noexcept { return owner_->refs.size(); }  // how many namespaces
    const NetnsRef& operator[](std::size_t i) const { return owner_->refs.at(i); }  // the i-th name's namespace
    const std::vector<NetnsRef>& namespaces() const noexcept { return owner_->refs; }  // in the order of names()
    const std::vector<std::string>& names() const noexcept { return owner_->names; }   // as given to create/adopt
    // False in a child process (fork): the child's copy never deletes the parent's namespaces.
    bool owned() const noexcept { return owner_.owned(); }
    // Keep the namespaces after this object is gone (`Netns::remove(name)` or a later
    // NetnsGroup::adopt(names) removes them).
    void persist() noexcept { owner_.persist(); }

    // ip netns del NAME for every name, now (names already gone are fine). The kernel frees each
    // namespace once nothing refers to it any more (this object's references are dropped here).
    // A name that now holds another namespace than the group's (someone replaced it) is left alone
    // and reported (Error EEXIST, after the others are removed), as by Netns::remove().
    NSNET_LAZY void remove();

private:
    detail::NetnsGroupOwner owner_;  // not `owner_{}`: see DEVELOPERS.md, "Lazy bodies"
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/netns_group.ipp"
#endif
