// nsnet/impl/netns_group.ipp — the function bodies of <nsnet/netns_group.hpp>.
//
// Included at the end of nsnet/netns_group.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"
#include "nsnet/detail/std_thread.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL NetnsGroup NetnsGroup::create(const std::vector<std::string>& names) {
    for (const auto& n : names) detail::validate_netns_name(n, "create network namespace");
    detail::prepare_netns_run_dir();
    std::vector<std::string> made_names;  // from its mount point on, a name is removed on failure
    std::vector<std::pair<detail::UniqueFd, std::optional<nl::Socket>>> made;
    try {
        detail::run_in_netns(-1, [&] {
            for (const auto& name : names) {
                const std::string path = std::string(netns_run_dir) + "/" + name;
                detail::create_netns_mount_point(path, name);
                made_names.push_back(name);
                detail::unshare_and_mount_netns(path, name);
                made.emplace_back(detail::open_known_netns_file("/proc/thread-self/ns/net", name), nl::Socket::open(NETLINK_ROUTE));
            }
        });
    } catch (...) {
        detail::remove_netns_names(made_names, nullptr);
        throw;
    }
    detail::OwnedNetnsNames owned{.names = names, .refs = {}};
    for (std::size_t i = 0; i < made.size(); ++i) {
        NetnsRef ref(std::move(made[i].first), names[i]);
        ref.cache_rtnl(std::move(*made[i].second));
        owned.refs.push_back(std::move(ref));
    }
    NetnsGroup g;
    g.owner_ = detail::NetnsGroupOwner(std::move(owned));
    return g;
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsGroup NetnsGroup::adopt(const std::vector<std::string>& names) {
    detail::OwnedNetnsNames owned{.names = names, .refs = {}};
    for (const auto& n : names) owned.refs.push_back(NetnsRef::open(n));
    NetnsGroup g;
    g.owner_ = detail::NetnsGroupOwner(std::move(owned));
    return g;
}

NSNET_LAZY_DEFINITION NSNET_DECL void NetnsGroup::remove() {
    if (!owner_.owned()) return;
    try {
        owner_.remove();
    } catch (...) {
        owner_.mutable_handle() = {};
        throw;
    }
    owner_.mutable_handle() = {};  // drops the references: the kernel may free the namespaces now
}

NSNET_LAZY_DEFINITION NSNET_DECL void detail::OwnedNetnsNames::remove() const {
    // refs[i] is names[i]'s namespace (create and adopt make them in order).
    remove_netns_names(names, refs.size() == names.size() ? &refs : nullptr);
}

NSNET_LAZY_DEFINITION NSNET_DECL void detail::remove_netns_names(const std::vector<std::string>& names, const std::vector<NetnsRef>* mine) {
    if (names.empty()) return;
    std::atomic<std::size_t> next{0};
    std::mutex m;
    std::exception_ptr first_error;
    auto work = [&] {
        for (std::size_t i; (i = next++) < names.size();) {
            const std::string path = std::string(netns_run_dir) + "/" + names[i];
            try {
                if (mine && !detail::netns_name_holds(names[i], (*mine)[i].fd())) continue;  // gone already
                if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
                    throw_errno("delete network namespace", names[i]);
                if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("delete network namespace", names[i]);
            } catch (...) {
                std::lock_guard<std::mutex> lock(m);
                if (!first_error) first_error = std::current_exception();
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(8, names.size());
    std::vector<std::thread> pool;
    try {
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    } catch (...) {
        // No more threads: the calling thread does the rest.
    }
    work();
    for (auto& t : pool) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace nsnet
