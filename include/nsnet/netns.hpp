// nsnet/netns.hpp — network namespaces: create, open, enter (safely), delete.
//
// Layer: typed objects. `Netns` owns a namespace it created (or adopted) and deletes it on
// destruction unless persist() was called; `NetnsRef` is a cheap shared reference (an open fd) that
// links, addresses and routes use to find their namespace. A Netns is not a NetnsRef (an owner is
// never a copyable handle): it converts to `const NetnsRef&`, so it goes wherever one is expected.
// `NetnsRef::current()` is the one spelling of the caller's own namespace: an empty NetnsRef means
// "no namespace" and is refused (InvalidArgument) wherever a namespace is needed. Named namespaces live at /run/netns/NAME exactly as
// `ip netns add` makes them, so `ip netns list` and `ip netns exec` see ours and we see theirs.
//
// The caller's thread never changes namespace: work that must happen inside (opening a socket,
// unsharing, writing a sysctl) runs on a short-lived thread (detail/thread_netns.hpp), and child
// processes enter the namespace between fork and exec.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/error.hpp"
#include "nsnet/nl/socket.hpp"

namespace nsnet {

// The directory `ip netns` keeps named namespaces in.
inline constexpr const char* netns_run_dir = "/run/netns";

namespace detail {

// Shared state of one referenced namespace: its fd, its name (if any) and, per process, a lazily
// opened rtnetlink socket living inside it (with_rtnl).
//
// fork safety: after fork() the child has a copy of this object, but the socket it caches is the
// parent's (same port id: both would read each other's acks and hang), its mutex may be locked by
// a parent thread that does not exist in the child, and its buffer may be half-updated. So the
// socket, its mutex and its sequence counter live in an RtnlCache stamped with the fork generation
// (detail/thread_netns.hpp) of the process that made it. rtnl_cache() returns this process's cache;
// one inherited from a parent is replaced by a fresh one (the child's socket, opened on first use,
// gets its own port id and sequence numbers) and abandoned: never locked, used or destroyed, only
// its descriptor closed if it is still the inherited socket. The parent's copy keeps working.
// The fast path is one atomic load and a compare; the replacement runs under fork_safe_mutex().
struct NetnsContext {
    struct RtnlCache {
        explicit RtnlCache(std::uint64_t g) noexcept : generation(g) {}
        const std::uint64_t generation;
        std::mutex mutex{};                // serialises use of the socket between threads
        std::optional<nl::Socket> socket{};
        dev_t socket_dev = 0;              // the socket's identity (fstat), to close only it when abandoned
        ino_t socket_ino = 0;
        // Caches `s` (opened in the namespace) and records its identity. Call with mutex held.
        NSNET_LAZY nl::Socket& set(nl::Socket s);
    };

    NetnsContext() = default;
    NetnsContext(const NetnsContext&) = delete;
    NetnsContext& operator=(const NetnsContext&) = delete;
    ~NetnsContext();

    // This process's cache, made on first use (or on the first use after a fork).
    NSNET_LAZY RtnlCache& rtnl_cache();

    UniqueFd fd{};
    std::string name{};  // "ns1" for /run/netns/ns1, "" for the caller's, "pid:123", or a path

private:
    // Leaves a cache inherited through fork behind: closes its descriptor if it still is the
    // inherited socket (a child may have closed it and reused the number), frees nothing.
    NSNET_LAZY static void abandon(RtnlCache* c) noexcept;
    std::atomic<RtnlCache*> rtnl_{nullptr};
};

NSNET_LAZY NSNET_DECL void validate_netns_name(const std::string& name, const char* operation);

// Opens a path the caller gave (NetnsRef::open_path, /run/netns/NAME) that should name a network
// namespace. It could name anything: a FIFO, on which an open for reading blocks until someone
// writes, or a device, whose driver an open runs (a watchdog starts counting). So the path is
// first opened with O_PATH (which opens nothing and never blocks) and checked to be on nsfs, then
// opened for reading through /proc/self/fd: the file checked is the file opened, even if the path
// is replaced in between.
NSNET_LAZY NSNET_DECL UniqueFd open_netns_file(const std::string& path, const std::string& shown_name);
// Opens a path the kernel or nsnet made (/proc/.../ns/net, a namespace nsnet has just mounted),
// which is a namespace file whenever it opens: directly, without open_netns_file's extra calls.
NSNET_LAZY NSNET_DECL UniqueFd open_known_netns_file(const std::string& path, const std::string& shown_name);
// Throw InvalidArgument "<what> is not a network namespace" unless `fd` (any descriptor, O_PATH
// included) is on nsfs, and unless `fd` (opened for reading) is a network namespace (NS_GET_NSTYPE,
// sent only to a file require_nsfs passed: a device driver could take the ioctl for its own).
NSNET_LAZY NSNET_DECL void require_nsfs(int fd, const std::string& shown_name, const std::string& what);
NSNET_LAZY NSNET_DECL void require_network_namespace(int fd, const std::string& shown_name, const std::string& what);
// The error of a failed open of a namespace file (`err`: its errno); ENOENT says "no such namespace".
[[noreturn]] NSNET_DECL void throw_netns_open_error(int err, const std::string& path, const std::string& shown_name);

// ip netns does this once: /run/netns must be a shared mount so that namespaces mounted there are
// visible to processes in other mount namespaces.
NSNET_LAZY NSNET_DECL void prepare_netns_run_dir();

// Creates /run/netns/NAME (`path`), the empty file a named namespace is mounted on. O_EXCL: an
// existing namespace of that name is an error naming it, never reused.
NSNET_LAZY NSNET_DECL void create_netns_mount_point(const std::string& path, const std::string& name);

// Before deleting /run/netns/NAME for an owner: true when the name still holds the namespace the
// owner's `fd` refers to (same nsfs st_dev/st_ino), false when the name is gone already. Throws
// Error(EEXIST) saying so when it now holds anything else (someone deleted ours and made another
// of that name): an owner removes only what it created. (stat then umount is not atomic: a swap
// in between is not detected; /run/netns offers no way to unmount by identity.)
NSNET_LAZY NSNET_DECL bool netns_name_holds(const std::string& name, int fd);

// Moves the calling thread into a new network namespace and bind-mounts it on `path`. Only for a
// thread of run_in_netns: the caller's own thread never changes namespace.
NSNET_LAZY NSNET_DECL void unshare_and_mount_netns(const std::string& path, const std::string& name);

}  // namespace detail

// A child process started inside a namespace (`ip netns exec NAME argv...`). Killed (SIGKILL) and
// reaped on destruction unless it has already been waited for or detach()ed.
class Process {
public:
    // No process (pid() is -1).
    Process() = default;
    Process(pid_t pid, detail::UniqueFd out) : pid_(pid), out_(std::move(out)) {}
    Process(Process&& o) noexcept : pid_(std::exchange(o.pid_, -1)), out_(std::move(o.out_)) {}
    Process& operator=(Process&& o) noexcept;
    ~Process() { kill_and_reap(); }

    pid_t pid() const noexcept { return pid_; }  // -1 once waited for or detached
    // Reads the child's captured stdout until it closes (only with capture_output).
    NSNET_LAZY std::string read_output();
    // Waits for the child and returns its exit status (128+signal if it was killed).
    NSNET_LAZY int wait();
    // kill(pid, sig), while the child has not been waited for.
    NSNET_LAZY void signal(int sig) const;
    // Leaves the child running: neither killed nor reaped by this object.
    void detach() noexcept { pid_ = -1; }

private:
    NSNET_LAZY void kill_and_reap() noexcept;
    pid_t pid_ = -1;
    detail::UniqueFd out_;
};

// How NetnsRef::spawn starts a child.
struct SpawnOptions {
    bool capture_output = false;  // child's stdout into a pipe (Process::read_output)
    bool remount_sys = true;      // like `ip netns exec`: a private /sys showing the namespace's devices
};

// A reference to a network namespace. Copying is cheap (shared); it keeps the namespace alive
// while referenced (an open fd) but never deletes it.
class NetnsRef {
public:
    // No namespace (valid() is false): not the caller's namespace, which is NetnsRef::current().
    NetnsRef() = default;

    // The namespace of the calling thread right now (on a host: the host's namespace).
    NSNET_LAZY static NetnsRef current();
    // `ip netns` name: /run/netns/NAME. Throws Error(ENOENT) naming it when there is none.
    NSNET_LAZY static NetnsRef open(const std::string& name);
    // Any nsfs path, e.g. /proc/1234/ns/net or a bind mount elsewhere. Any other file (a FIFO,
    // a device) is refused before it is opened: InvalidArgument naming the path.
    NSNET_LAZY static NetnsRef open_path(const std::string& path);
    // The namespace of process `pid`: /proc/PID/ns/net.
    NSNET_LAZY static NetnsRef open_pid(pid_t pid);
    // A reference made from an open nsfs descriptor (checked to be a network namespace), which it
    // closes when the last copy is gone. The namespace itself is not owned: nothing deletes it.
    NSNET_LAZY static NetnsRef from_fd(detail::UniqueFd fd, std::string name);

    // False for a default-constructed (empty) reference. Using an empty one (any accessor but
    // valid(), or passing it where a namespace is needed) throws InvalidArgument.
    bool valid() const noexcept { return static_cast<bool>(ctx_); }
    // "" for an anonymous or the current namespace.
    NSNET_LAZY const std::string& name() const { return ctx().name; }
    // A printable name for messages: the name, or "current"/"anonymous".
    NSNET_LAZY std::string display_name() const;
    NSNET_LAZY int fd() const { return ctx().fd.get(); }  // the nsfs descriptor (setns, IFLA_NET_NS_FD)
    // Namespaces are equal when their nsfs inodes are.
    NSNET_LAZY std::uint64_t inode() const;
    friend bool operator==(const NetnsRef& a, const NetnsRef& b) {
        if (a.ctx_ == b.ctx_) return true;
        if (!a.ctx_ || !b.ctx_) return false;
        return a.inode() == b.inode();
    }

    // Runs fn() on a dedicated thread inside this namespace; result and exceptions come back.
    template <class Fn>
    auto run(Fn&& fn) const {
        return detail::run_in_netns(fd(), std::forward<Fn>(fn), display_name());
    }
    // Whether the calling thread is in this namespace now (false when that cannot be told, e.g.
    // without /proc, or for an empty reference).
    NSNET_LAZY bool holds_calling_thread() const noexcept;
    // As run(), but on the calling thread when it is in this namespace already. For work whose
    // effect depends only on the namespace it runs in (open a socket, a /proc/sys file): a thread
    // per call costs more than the call itself (a CNI ADD opens a dozen sockets in its own
    // namespace). fn must not change the thread's state (no setns, unshare).
    template <class Fn>
    auto run_inside(Fn&& fn) const {
        if (holds_calling_thread()) return fn();
        return run(std::forward<Fn>(fn));
    }
    // A socket (any family) that lives in this namespace, e.g. socket(AF_INET, SOCK_DGRAM, 0).
    NSNET_LAZY detail::UniqueFd socket(int domain, int type, int protocol = 0) const;
    // A new netlink socket that lives in this namespace (for batches, monitors, nf_tables).
    NSNET_LAZY nl::Socket netlink_socket(int protocol = NETLINK_ROUTE) const;
    // Runs fn(nl::Socket&) with this namespace's shared rtnetlink socket, one caller at a time.
    // In a child process (after fork) this is a socket of the child's own, opened on first use.
    template <class Fn>
    auto with_rtnl(Fn&& fn) const {
        detail::NetnsContext::RtnlCache& c = ctx().rtnl_cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (!c.socket) c.set(netlink_socket(NETLINK_ROUTE));
        return fn(*c.socket);
    }

    // Starts argv[0] (searched in PATH) inside this namespace, like `ip netns exec NAME argv...`.
    NSNET_LAZY Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) const;

private:
    friend class Netns;
    friend class NetnsGroup;
    NetnsRef(detail::UniqueFd fd, std::string name);
    NSNET_LAZY detail::NetnsContext& ctx() const;
    // Caches `rtnl` (opened inside this namespace) as its shared rtnetlink socket.
    NSNET_LAZY void cache_rtnl(nl::Socket rtnl) const;
    std::shared_ptr<detail::NetnsContext> ctx_{};
};

namespace detail {

// Refuses an empty NetnsRef before anything is done, as InvalidArgument of `operation` on
// `object`, in the one wording every entry point uses. Views: a valid namespace (every call but a
// refused one) builds no strings.
NSNET_LAZY NSNET_DECL void require_netns(const NetnsRef& ns, std::string_view operation, std::string_view object);

// What a Netns owns: the namespace it created or adopted. remove() deletes its name (ip netns del)
// only while the name still holds this namespace (Error EEXIST if it holds another one); a name
// already gone, or an anonymous namespace, is success.
struct OwnedNetns {
    NetnsRef ref{};
    NSNET_LAZY void remove() const;
};

// detail::Owner, with the handle reachable for Netns (which drops its reference once removed).
struct NetnsOwner : Owner<OwnedNetns> {
    using Owner<OwnedNetns>::Owner;
    using Owner<OwnedNetns>::mutable_handle;
};

}  // namespace detail

// Owns a named or anonymous network namespace: `ip netns add NAME` on create, `ip netns del NAME`
// on destruction (unless persist()ed). An anonymous namespace has no name and lives while
// something refers to it. Move-only; it converts to `const NetnsRef&` (and offers NetnsRef's
// accessors), so it is passed wherever a namespace is expected: `Link::get(ns, "lo")`.
class Netns {
public:
    // No namespace (valid() is false).
    Netns() = default;

    // ip netns add NAME. Throws Error(EEXIST) naming it if it exists already.
    NSNET_LAZY static Netns create(const std::string& name);
    // A namespace with no name (not in `ip netns list`): it lives as long as something refers to it.
    NSNET_LAZY static Netns create_anonymous();
    // Takes ownership of the existing /run/netns/NAME (made by `ip netns add` or a process that
    // persisted it): the returned owner deletes it. Throws Error(ENOENT) naming it when there is none.
    NSNET_LAZY static Netns adopt(const std::string& name);
    // ip netns del NAME, by name (e.g. from a later process): a name that does not exist is
    // success. Unlike remove(), it deletes whatever namespace the name holds now.
    NSNET_LAZY static void remove(const std::string& name);
    // ip netns list: the names in /run/netns.
    NSNET_LAZY static std::vector<std::string> list();

    // The namespace as a plain reference (what Link, Route, RequestBatch ... take).
    const NetnsRef& ref() const noexcept { return owner_->ref; }
    operator const NetnsRef&() const noexcept { return owner_->ref; }

    // NetnsRef's accessors (see there).
    bool valid() const noexcept { return ref().valid(); }
    const std::string& name() const { return ref().name(); }                 // "" for an anonymous one
    std::string display_name() const { return ref().display_name(); }        // for messages
    int fd() const { return ref().fd(); }                                    // the nsfs descriptor
    std::uint64_t inode() const { return ref().inode(); }                    // its nsfs inode
    // Runs fn() on a thread inside the namespace (NetnsRef::run).
    template <class Fn>
    auto run(Fn&& fn) const {
        return ref().run(std::forward<Fn>(fn));
    }
    // A socket living in the namespace (NetnsRef::socket).
    NSNET_LAZY detail::UniqueFd socket(int domain, int type, int protocol = 0) const { return ref().socket(domain, type, protocol); }
    // A new netlink socket living in the namespace (NetnsRef::netlink_socket).
    NSNET_LAZY nl::Socket netlink_socket(int protocol = NETLINK_ROUTE) const { return ref().netlink_socket(protocol); }
    // fn(nl::Socket&) with the namespace's shared rtnetlink socket (NetnsRef::with_rtnl).
    template <class Fn>
    auto with_rtnl(Fn&& fn) const {
        return ref().with_rtnl(std::forward<Fn>(fn));
    }
    // ip netns exec NAME argv... (NetnsRef::spawn).
    NSNET_LAZY Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) const {
        return ref().spawn(argv, options);
    }

    // Keep the namespace after this object is gone (`Netns::remove(name)` removes it later).
    void persist() noexcept { owner_.persist(); }
    // True in the process that created the namespace, until persist() or remove(). In a child
    // process (fork) it is false: the child's copy never deletes the parent's namespace.
    bool owned() const noexcept { return owner_.owned(); }
    // Gives up ownership (as persist()) and returns the reference.
    NetnsRef release() noexcept { return owner_.release().ref; }
    // Deletes the namespace's name now (ip netns del) and drops this object's reference (valid()
    // turns false); the kernel frees the namespace once nothing refers to it. Only the namespace
    // this object owns: if /run/netns/NAME now holds another one (someone deleted ours and reused
    // the name), it is left alone and Error(EEXIST) says so. A name already gone is success. Does
    // nothing when not owned() (persisted, or in a child process).
    NSNET_LAZY void remove();

private:
    NSNET_LAZY explicit Netns(NetnsRef ref) : owner_(detail::OwnedNetns{std::move(ref)}) {}
    detail::NetnsOwner owner_;  // not `owner_{}`: see DEVELOPERS.md, "Lazy bodies"
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/netns.ipp"
#endif
