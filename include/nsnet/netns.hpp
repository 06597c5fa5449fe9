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
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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
        nl::Socket& set(nl::Socket s);
    };

    NetnsContext() = default;
    NetnsContext(const NetnsContext&) = delete;
    NetnsContext& operator=(const NetnsContext&) = delete;
    ~NetnsContext();

    // This process's cache, made on first use (or on the first use after a fork).
    RtnlCache& rtnl_cache();

    UniqueFd fd{};
    std::string name{};  // "ns1" for /run/netns/ns1, "" for the caller's, "pid:123", or a path

private:
    // Leaves a cache inherited through fork behind: closes its descriptor if it still is the
    // inherited socket (a child may have closed it and reused the number), frees nothing.
    static void abandon(RtnlCache* c) noexcept;
    std::atomic<RtnlCache*> rtnl_{nullptr};
};

NSNET_DECL void validate_netns_name(const std::string& name, const char* operation);

// Opens an nsfs file and checks that it really is a network namespace.
NSNET_DECL UniqueFd open_netns_file(const std::string& path, const std::string& shown_name);

// ip netns does this once: /run/netns must be a shared mount so that namespaces mounted there are
// visible to processes in other mount namespaces.
NSNET_DECL void prepare_netns_run_dir();

// Creates /run/netns/NAME (`path`), the empty file a named namespace is mounted on. O_EXCL: an
// existing namespace of that name is an error naming it, never reused.
NSNET_DECL void create_netns_mount_point(const std::string& path, const std::string& name);

// Before deleting /run/netns/NAME for an owner: true when the name still holds the namespace the
// owner's `fd` refers to (same nsfs st_dev/st_ino), false when the name is gone already. Throws
// Error(EEXIST) saying so when it now holds anything else (someone deleted ours and made another
// of that name): an owner removes only what it created. (stat then umount is not atomic: a swap
// in between is not detected; /run/netns offers no way to unmount by identity.)
NSNET_DECL bool netns_name_holds(const std::string& name, int fd);

// Moves the calling thread into a new network namespace and bind-mounts it on `path`. Only for a
// thread of run_in_netns: the caller's own thread never changes namespace.
NSNET_DECL void unshare_and_mount_netns(const std::string& path, const std::string& name);

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
    std::string read_output();
    // Waits for the child and returns its exit status (128+signal if it was killed).
    int wait();
    // kill(pid, sig), while the child has not been waited for.
    void signal(int sig) const;
    // Leaves the child running: neither killed nor reaped by this object.
    void detach() noexcept { pid_ = -1; }

private:
    void kill_and_reap() noexcept;
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
    static NetnsRef current();
    // `ip netns` name: /run/netns/NAME. Throws Error(ENOENT) naming it when there is none.
    static NetnsRef open(const std::string& name);
    // Any nsfs path, e.g. /proc/1234/ns/net or a bind mount elsewhere.
    static NetnsRef open_path(const std::string& path);
    // The namespace of process `pid`: /proc/PID/ns/net.
    static NetnsRef open_pid(pid_t pid);
    // A reference made from an open nsfs descriptor (checked to be a network namespace), which it
    // closes when the last copy is gone. The namespace itself is not owned: nothing deletes it.
    static NetnsRef from_fd(detail::UniqueFd fd, std::string name);

    // False for a default-constructed (empty) reference. Using an empty one (any accessor but
    // valid(), or passing it where a namespace is needed) throws InvalidArgument.
    bool valid() const noexcept { return static_cast<bool>(ctx_); }
    // "" for an anonymous or the current namespace.
    const std::string& name() const { return ctx().name; }
    // A printable name for messages: the name, or "current"/"anonymous".
    std::string display_name() const;
    int fd() const { return ctx().fd.get(); }  // the nsfs descriptor (setns, IFLA_NET_NS_FD)
    // Namespaces are equal when their nsfs inodes are.
    std::uint64_t inode() const;
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
    // A socket (any family) that lives in this namespace, e.g. socket(AF_INET, SOCK_DGRAM, 0).
    detail::UniqueFd socket(int domain, int type, int protocol = 0) const;
    // A new netlink socket that lives in this namespace (for batches, monitors, nf_tables).
    nl::Socket netlink_socket(int protocol = NETLINK_ROUTE) const;
    // Runs fn(nl::Socket&) with this namespace's shared rtnetlink socket, one caller at a time.
    // In a child process (after fork) this is a socket of the child's own, opened on first use.
    template <class Fn>
    auto with_rtnl(Fn&& fn) const {
        detail::NetnsContext::RtnlCache& c = ctx().rtnl_cache();
        std::lock_guard lock(c.mutex);
        if (!c.socket) c.set(netlink_socket(NETLINK_ROUTE));
        return fn(*c.socket);
    }

    // Starts argv[0] (searched in PATH) inside this namespace, like `ip netns exec NAME argv...`.
    Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) const;

private:
    friend class Netns;
    friend class NetnsGroup;
    NetnsRef(detail::UniqueFd fd, std::string name);
    detail::NetnsContext& ctx() const;
    // Caches `rtnl` (opened inside this namespace) as its shared rtnetlink socket.
    void cache_rtnl(nl::Socket rtnl) const;
    std::shared_ptr<detail::NetnsContext> ctx_{};
};

namespace detail {

// What a Netns owns: the namespace it created or adopted. remove() deletes its name (ip netns del)
// only while the name still holds this namespace (Error EEXIST if it holds another one); a name
// already gone, or an anonymous namespace, is success.
struct OwnedNetns {
    NetnsRef ref{};
    void remove() const;
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
    static Netns create(const std::string& name);
    // A namespace with no name (not in `ip netns list`): it lives as long as something refers to it.
    static Netns create_anonymous();
    // Takes ownership of the existing /run/netns/NAME (made by `ip netns add` or a process that
    // persisted it): the returned owner deletes it. Throws Error(ENOENT) naming it when there is none.
    static Netns adopt(const std::string& name);
    // ip netns del NAME, by name (e.g. from a later process): a name that does not exist is
    // success. Unlike remove(), it deletes whatever namespace the name holds now.
    static void remove(const std::string& name);
    // ip netns list: the names in /run/netns.
    static std::vector<std::string> list();

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
    detail::UniqueFd socket(int domain, int type, int protocol = 0) const { return ref().socket(domain, type, protocol); }
    // A new netlink socket living in the namespace (NetnsRef::netlink_socket).
    nl::Socket netlink_socket(int protocol = NETLINK_ROUTE) const { return ref().netlink_socket(protocol); }
    // fn(nl::Socket&) with the namespace's shared rtnetlink socket (NetnsRef::with_rtnl).
    template <class Fn>
    auto with_rtnl(Fn&& fn) const {
        return ref().with_rtnl(std::forward<Fn>(fn));
    }
    // ip netns exec NAME argv... (NetnsRef::spawn).
    Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) const {
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
    void remove();

private:
    explicit Netns(NetnsRef ref) : owner_(detail::OwnedNetns{std::move(ref)}) {}
    detail::NetnsOwner owner_{};
};

namespace detail {

#if NSNET_DEFINITIONS

NSNET_DECL void validate_netns_name(const std::string& name, const char* operation) {
    if (name.empty()) invalid_argument(operation, name, "a namespace name must not be empty");
    if (name.size() > 255) invalid_argument(operation, name, "namespace name is longer than 255 bytes");
    if (name == "." || name == "..")
        invalid_argument(operation, name, "'" + name + "' cannot name a namespace");
    for (char c : name)
        if (c == '/' || c == '\0' || c == '\n' || c == ' ' || c == '\t')
            invalid_argument(operation, name,
                             "namespace name '" + name + "' contains a character ('/', whitespace) that `ip netns` cannot use");
}

NSNET_DECL UniqueFd open_netns_file(const std::string& path, const std::string& shown_name) {
    int fd = sys_call(Call::open, [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            throw Error(err, "open network namespace", shown_name, {}, "no such namespace: " + path + " does not exist");
        throw Error(err, "open network namespace", shown_name, {}, path);
    }
    UniqueFd owned(fd);
    int type = ::ioctl(fd, NS_GET_NSTYPE);
    if (type != CLONE_NEWNET)
        invalid_argument("open network namespace", shown_name, path + " is not a network namespace");
    return owned;
}

NSNET_DECL void prepare_netns_run_dir() {
    // Once per process: making the mount shared again costs a mount(MS_REC) that walks every
    // namespace mounted below /run/netns, which made creating N namespaces one by one O(N^2).
    static std::atomic<bool> prepared{false};
    if (prepared.load(std::memory_order_acquire)) return;
    if (::mkdir(netns_run_dir, 0755) != 0 && errno != EEXIST) throw_errno("create directory", netns_run_dir);
    bool bound = false;
    while (::mount("", netns_run_dir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
        if (errno != EINVAL || bound) throw_errno("make mount shared", netns_run_dir);
        if (::mount(netns_run_dir, netns_run_dir, "none", MS_BIND | MS_REC, nullptr) != 0)
            throw_errno("bind mount", netns_run_dir);
        bound = true;
    }
    prepared.store(true, std::memory_order_release);
}

NSNET_DECL void create_netns_mount_point(const std::string& path, const std::string& name) {
    int f = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) {
        int err = errno;
        throw Error(err, "create network namespace", name, {},
                    err == EEXIST ? "a namespace of that name exists already (" + path + ")" : path);
    }
    ::close(f);
}

NSNET_DECL bool netns_name_holds(const std::string& name, int fd) {
    const std::string path = std::string(netns_run_dir) + "/" + name;
    struct stat mine {}, there {};
    if (::fstat(fd, &mine) != 0) throw_errno("delete network namespace", name);
    if (::stat(path.c_str(), &there) != 0) {
        if (errno == ENOENT) return false;
        throw_errno("delete network namespace", name);
    }
    if (there.st_dev == mine.st_dev && there.st_ino == mine.st_ino) return true;
    // A different namespace, or a bare mount point (someone's `ip netns add` not yet mounted).
    throw Error(EEXIST, "delete network namespace", name, {},
                path + " is not the namespace this object created (nsfs inode " + std::to_string(mine.st_ino) +
                    ") but inode " + std::to_string(there.st_ino) + ": someone replaced it; left alone");
}

NSNET_DECL void unshare_and_mount_netns(const std::string& path, const std::string& name) {
    if (detail::sys_call(detail::Call::unshare, [] { return ::unshare(CLONE_NEWNET); }) != 0)
        throw_errno("create network namespace", name);
    // The thread's own namespace file: /proc/self would name the main thread's.
    if (detail::sys_call(detail::Call::mount, [&] {
            return ::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr);
        }) != 0)
        throw_errno("bind mount network namespace", name);
}

NSNET_DECL nl::Socket& NetnsContext::RtnlCache::set(nl::Socket s) {
    nl::Socket& cached = socket.emplace(std::move(s));
    struct stat st {};  // recorded after the socket is in place: abandon() reads it only then
    if (::fstat(cached.fd(), &st) == 0) {
        socket_dev = st.st_dev;
        socket_ino = st.st_ino;
    }
    return cached;
}

NSNET_DECL NetnsContext::~NetnsContext() {
    RtnlCache* c = rtnl_.load(std::memory_order_acquire);
    if (!c) return;
    if (made_in_this_process(c->generation)) delete c;
    else abandon(c);
}

NSNET_DECL NetnsContext::RtnlCache& NetnsContext::rtnl_cache() {
    RtnlCache* c = rtnl_.load(std::memory_order_acquire);
    if (c && made_in_this_process(c->generation)) return *c;
    std::lock_guard lock(fork_safe_mutex());  // no fork completes while it is held
    c = rtnl_.load(std::memory_order_acquire);
    const std::uint64_t generation = fork_generation();
    if (c && c->generation == generation) return *c;  // another thread was first
    auto* fresh = new RtnlCache(generation);
    if (c) abandon(c);
    rtnl_.store(fresh, std::memory_order_release);
    return *fresh;
}

NSNET_DECL void NetnsContext::abandon(RtnlCache* c) noexcept {
    // Read without the (possibly forever locked) mutex: the fields were written before the fork.
    if (c->socket_ino == 0) return;
    const int fd = c->socket->fd();
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_dev == c->socket_dev && st.st_ino == c->socket_ino) ::close(fd);
}

#endif  // NSNET_DEFINITIONS

}  // namespace detail

#if NSNET_DEFINITIONS

NSNET_DECL Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        kill_and_reap();
        pid_ = std::exchange(o.pid_, -1);
        out_ = std::move(o.out_);
    }
    return *this;
}

NSNET_DECL std::string Process::read_output() {
    std::string s{};
    char buf[4096];
    for (;;) {
        ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::read(out_.get(), buf, sizeof buf); });
        if (n <= 0) break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
}

NSNET_DECL int Process::wait() {
    if (pid_ < 0) throw Error(ECHILD, "wait for process");
    int status = 0;
    if (detail::sys_call(detail::Call::other, [&] { return ::waitpid(pid_, &status, 0); }) < 0)
        throw_errno("wait for process", std::to_string(pid_));
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

NSNET_DECL void Process::signal(int sig) const {
    if (pid_ > 0 && ::kill(pid_, sig) != 0) throw_errno("signal process", std::to_string(pid_));
}

NSNET_DECL void Process::kill_and_reap() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int st{};
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    }
    pid_ = -1;
}

NSNET_DECL NetnsRef NetnsRef::current() {
    return NetnsRef(detail::open_netns_file("/proc/thread-self/ns/net", "current"), "");
}

NSNET_DECL NetnsRef NetnsRef::open(const std::string& name) {
    detail::validate_netns_name(name, "open network namespace");
    return NetnsRef(detail::open_netns_file(std::string(netns_run_dir) + "/" + name, name), name);
}

NSNET_DECL NetnsRef NetnsRef::open_path(const std::string& path) {
    return NetnsRef(detail::open_netns_file(path, path), path);
}

NSNET_DECL NetnsRef NetnsRef::open_pid(pid_t pid) {
    return NetnsRef(detail::open_netns_file("/proc/" + std::to_string(pid) + "/ns/net", "pid " + std::to_string(pid)),
                    "pid:" + std::to_string(pid));
}

NSNET_DECL NetnsRef NetnsRef::from_fd(detail::UniqueFd fd, std::string name) {
    if (::ioctl(fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET)
        invalid_argument("open network namespace", name, "file descriptor is not a network namespace");
    return NetnsRef(std::move(fd), std::move(name));
}

NSNET_DECL std::string NetnsRef::display_name() const { return ctx().name.empty() ? std::string("(unnamed)") : ctx().name; }

NSNET_DECL std::uint64_t NetnsRef::inode() const {
    struct stat st {};
    if (::fstat(fd(), &st) != 0) throw_errno("stat network namespace", display_name());
    return st.st_ino;
}

NSNET_DECL detail::UniqueFd NetnsRef::socket(int domain, int type, int protocol) const {
    return run([&] {
        int s = detail::sys_call(detail::Call::socket, [&] { return ::socket(domain, type | SOCK_CLOEXEC, protocol); });
        if (s < 0) throw_errno("open socket in namespace", display_name());
        return detail::UniqueFd(s);
    });
}

NSNET_DECL nl::Socket NetnsRef::netlink_socket(int protocol) const {
    return run([&] { return nl::Socket::open(protocol); });
}

NSNET_DECL Process NetnsRef::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) const {
    if (argv.empty()) invalid_argument("start process in namespace", display_name(), "empty command line");
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int pipefd[2] = {-1, -1};
    if (options.capture_output && ::pipe2(pipefd, O_CLOEXEC) != 0) throw_errno("create pipe");
    int errpipe[2];
    if (::pipe2(errpipe, O_CLOEXEC) != 0) throw_errno("create pipe");
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        // Child: only async-signal-safe calls from here on. A program that blocks signals
        // (to read them from a signalfd, as the lab driver does) must not pass that mask on:
        // the command would then ignore Ctrl-C.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        int err = 0;
        if (::setns(fd(), CLONE_NEWNET) != 0) err = errno;
        if (!err && options.remount_sys) {
            if (::unshare(CLONE_NEWNS) == 0 && ::mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) == 0) {
                ::umount2("/sys", MNT_DETACH);
                ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
            }
        }
        if (!err && options.capture_output) ::dup2(pipefd[1], STDOUT_FILENO);
        if (!err) {
            ::execvp(args[0], args.data());
            err = errno;
        }
        (void)!::write(errpipe[1], &err, sizeof err);
        ::_exit(127);
    }
    ::close(errpipe[1]);
    if (options.capture_output) ::close(pipefd[1]);
    detail::UniqueFd out(options.capture_output ? pipefd[0] : -1);
    int child_err = 0;
    ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::read(errpipe[0], &child_err, sizeof child_err); });
    ::close(errpipe[0]);
    Process p(pid, std::move(out));
    if (n == sizeof child_err && child_err) {
        p.wait();
        throw Error(child_err, "start process in namespace", display_name(), {}, argv[0]);
    }
    return p;
}

NSNET_DECL NetnsRef::NetnsRef(detail::UniqueFd fd, std::string name) : ctx_(std::make_shared<detail::NetnsContext>()) {
    ctx_->fd = std::move(fd);
    ctx_->name = std::move(name);
}

NSNET_DECL detail::NetnsContext& NetnsRef::ctx() const {
    if (!ctx_)
        invalid_argument("use network namespace", {},
                         "no namespace: an empty NetnsRef (default-constructed, moved from, or of a removed Netns); "
                         "the caller's own namespace is NetnsRef::current()");
    return *ctx_;
}

NSNET_DECL void NetnsRef::cache_rtnl(nl::Socket rtnl) const {
    auto& cache = ctx().rtnl_cache();
    std::lock_guard lock(cache.mutex);
    cache.set(std::move(rtnl));
}

NSNET_DECL void detail::OwnedNetns::remove() const {
    if (!ref.valid() || ref.name().empty()) return;  // anonymous: it dies with its last reference
    if (detail::netns_name_holds(ref.name(), ref.fd())) Netns::remove(ref.name());
}

NSNET_DECL Netns Netns::create(const std::string& name) {
    detail::validate_netns_name(name, "create network namespace");
    detail::prepare_netns_run_dir();
    std::string path = std::string(netns_run_dir) + "/" + name;
    detail::create_netns_mount_point(path, name);
    try {
        // The namespace's rtnetlink socket is opened on the thread that is inside it anyway: the
        // first request then needs no second thread to open it (NetnsGroup::create does the same).
        nl::Socket rtnl = detail::run_in_netns(-1, [&] {
            detail::unshare_and_mount_netns(path, name);
            return nl::Socket::open(NETLINK_ROUTE);
        });
        NetnsRef ref(detail::open_netns_file(path, name), name);
        ref.cache_rtnl(std::move(rtnl));
        return Netns(std::move(ref));
    } catch (...) {
        ::umount2(path.c_str(), MNT_DETACH);
        ::unlink(path.c_str());
        throw;
    }
}

NSNET_DECL Netns Netns::create_anonymous() {
    auto fd = detail::run_in_netns(-1, [] {
        if (detail::sys_call(detail::Call::unshare, [] { return ::unshare(CLONE_NEWNET); }) != 0)
            throw_errno("create anonymous network namespace");
        return detail::open_netns_file("/proc/thread-self/ns/net", "anonymous");
    });
    return Netns(NetnsRef(std::move(fd), ""));
}

NSNET_DECL Netns Netns::adopt(const std::string& name) {
    detail::validate_netns_name(name, "adopt network namespace");
    return Netns(NetnsRef::open(name));
}

NSNET_DECL void Netns::remove() {
    if (!owner_.owned()) return;
    owner_.remove();                           // on an error (EEXIST: not ours), the reference stays
    owner_.mutable_handle().ref = NetnsRef();  // the kernel may free it now
}

NSNET_DECL void Netns::remove(const std::string& name) {
    detail::validate_netns_name(name, "delete network namespace");
    std::string path = std::string(netns_run_dir) + "/" + name;
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("delete network namespace", name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("delete network namespace", name);
}

NSNET_DECL std::vector<std::string> Netns::list() {
    std::vector<std::string> names{};
    DIR* d = ::opendir(netns_run_dir);
    if (!d) return names;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    return names;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
