// nsnet/impl/netns.ipp — the function bodies of <nsnet/netns.hpp>.
//
// Included at the end of nsnet/netns.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {
namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL void require_netns(const NetnsRef& ns, std::string_view operation, std::string_view object) {
    if (!ns.valid())
        invalid_argument(std::string(operation), std::string(object),
                         "no namespace: an empty NetnsRef (default-constructed, moved from, or of a removed Netns); "
                         "the caller's own namespace is NetnsRef::current()");
}

NSNET_LAZY_DEFINITION NSNET_DECL void validate_netns_name(const std::string& name, const char* operation) {
    if (name.empty()) invalid_argument(operation, name, "a namespace name must not be empty");
    if (name.size() > 255) invalid_argument(operation, name, "namespace name is longer than 255 bytes");
    if (name == "." || name == "..")
        invalid_argument(operation, name, "'" + name + "' cannot name a namespace");
    for (char c : name)
        if (c == '/' || c == '\0' || c == '\n' || c == ' ' || c == '\t')
            invalid_argument(operation, name,
                             "namespace name '" + name + "' contains a character ('/', whitespace) that `ip netns` cannot use");
}

NSNET_DECL void throw_netns_open_error(int err, const std::string& path, const std::string& shown_name) {
    if (err == ENOENT)
        throw Error(err, "open network namespace", shown_name, {}, "no such namespace: " + path + " does not exist");
    throw Error(err, "open network namespace", shown_name, {}, path);
}

NSNET_LAZY_DEFINITION NSNET_DECL void require_nsfs(int fd, const std::string& shown_name, const std::string& what) {
    struct statfs fs {};
    if (sys_call(Call::other, [&] { return ::fstatfs(fd, &fs); }) != 0) throw_errno("open network namespace", shown_name);
    if (fs.f_type != NSFS_MAGIC) invalid_argument("open network namespace", shown_name, what + " is not a network namespace");
}

NSNET_LAZY_DEFINITION NSNET_DECL void require_network_namespace(int fd, const std::string& shown_name, const std::string& what) {
    if (::ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
        invalid_argument("open network namespace", shown_name, what + " is not a network namespace");
}

NSNET_LAZY_DEFINITION NSNET_DECL UniqueFd open_netns_file(const std::string& path, const std::string& shown_name) {
    int located = sys_call(Call::open, [&] { return ::open(path.c_str(), O_PATH | O_CLOEXEC); });
    if (located < 0) throw_netns_open_error(errno, path, shown_name);
    UniqueFd located_fd(located);
    require_nsfs(located, shown_name, path);
    const std::string same_file = "/proc/self/fd/" + std::to_string(located);
    int fd = sys_call(Call::open, [&] { return ::open(same_file.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) {
        int err = errno;
        // The file is there (O_PATH found it): ENOENT can only mean that /proc/self is not.
        if (err == ENOENT)
            throw Error(err, "open network namespace", shown_name, {},
                        path + ": cannot reopen it through " + same_file + " (is /proc mounted?)");
        throw_netns_open_error(err, path, shown_name);
    }
    UniqueFd owned(fd);
    require_network_namespace(fd, shown_name, path);
    return owned;
}

NSNET_LAZY_DEFINITION NSNET_DECL UniqueFd open_known_netns_file(const std::string& path, const std::string& shown_name) {
    int fd = sys_call(Call::open, [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) throw_netns_open_error(errno, path, shown_name);
    UniqueFd owned(fd);
    require_network_namespace(fd, shown_name, path);
    return owned;
}

NSNET_LAZY_DEFINITION NSNET_DECL void prepare_netns_run_dir() {
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

NSNET_LAZY_DEFINITION NSNET_DECL void create_netns_mount_point(const std::string& path, const std::string& name) {
    int f = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) {
        int err = errno;
        throw Error(err, "create network namespace", name, {},
                    err == EEXIST ? "a namespace of that name exists already (" + path + ")" : path);
    }
    ::close(f);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool netns_name_holds(const std::string& name, int fd) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void unshare_and_mount_netns(const std::string& path, const std::string& name) {
    if (detail::sys_call(detail::Call::unshare, [] { return ::unshare(CLONE_NEWNET); }) != 0)
        throw_errno("create network namespace", name);
    // The thread's own namespace file: /proc/self would name the main thread's.
    if (detail::sys_call(detail::Call::mount, [&] {
            return ::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr);
        }) != 0)
        throw_errno("bind mount network namespace", name);
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::Socket& NetnsContext::RtnlCache::set(nl::Socket s) {
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

NSNET_LAZY_DEFINITION NSNET_DECL NetnsContext::RtnlCache& NetnsContext::rtnl_cache() {
    RtnlCache* c = rtnl_.load(std::memory_order_acquire);
    if (c && made_in_this_process(c->generation)) return *c;
    std::lock_guard<std::mutex> lock(fork_safe_mutex());  // no fork completes while it is held
    c = rtnl_.load(std::memory_order_acquire);
    const std::uint64_t generation = fork_generation();
    if (c && c->generation == generation) return *c;  // another thread was first
    auto* fresh = new RtnlCache(generation);
    if (c) abandon(c);
    rtnl_.store(fresh, std::memory_order_release);
    return *fresh;
}

NSNET_LAZY_DEFINITION NSNET_DECL void NetnsContext::abandon(RtnlCache* c) noexcept {
    // Read without the (possibly forever locked) mutex: the fields were written before the fork.
    if (c->socket_ino == 0) return;
    const int fd = c->socket->fd();
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_dev == c->socket_dev && st.st_ino == c->socket_ino) ::close(fd);
}

}  // namespace detail
}  // namespace nsnet

namespace nsnet {

NSNET_DECL Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        kill_and_reap();
        pid_ = std::exchange(o.pid_, -1);
        out_ = std::move(o.out_);
    }
    return *this;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string Process::read_output() {
    std::string s{};
    char buf[4096];
    for (;;) {
        ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::read(out_.get(), buf, sizeof buf); });
        if (n <= 0) break;
        s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL int Process::wait() {
    if (pid_ < 0) throw Error(ECHILD, "wait for process");
    int status = 0;
    if (detail::sys_call(detail::Call::other, [&] { return ::waitpid(pid_, &status, 0); }) < 0)
        throw_errno("wait for process", std::to_string(pid_));
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Process::signal(int sig) const {
    if (pid_ > 0 && ::kill(pid_, sig) != 0) throw_errno("signal process", std::to_string(pid_));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Process::kill_and_reap() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int st{};
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    }
    pid_ = -1;
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsRef NetnsRef::current() {
    return NetnsRef(detail::open_known_netns_file("/proc/thread-self/ns/net", "current"), "");
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsRef NetnsRef::open(const std::string& name) {
    detail::validate_netns_name(name, "open network namespace");
    return NetnsRef(detail::open_netns_file(std::string(netns_run_dir) + "/" + name, name), name);
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsRef NetnsRef::open_path(const std::string& path) {
    return NetnsRef(detail::open_netns_file(path, path), path);
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsRef NetnsRef::open_pid(pid_t pid) {
    return NetnsRef(detail::open_known_netns_file("/proc/" + std::to_string(pid) + "/ns/net", "pid " + std::to_string(pid)),
                    "pid:" + std::to_string(pid));
}

NSNET_LAZY_DEFINITION NSNET_DECL NetnsRef NetnsRef::from_fd(detail::UniqueFd fd, std::string name) {
    // Any descriptor: its file system is checked before a driver could be sent nsfs's ioctl.
    const std::string what = "file descriptor " + std::to_string(fd.get());
    detail::require_nsfs(fd.get(), name, what);
    detail::require_network_namespace(fd.get(), name, what);
    return NetnsRef(std::move(fd), std::move(name));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string NetnsRef::display_name() const { return ctx().name.empty() ? std::string("(unnamed)") : ctx().name; }

NSNET_LAZY_DEFINITION NSNET_DECL std::uint64_t NetnsRef::inode() const {
    struct stat st {};
    if (::fstat(fd(), &st) != 0) throw_errno("stat network namespace", display_name());
    return st.st_ino;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool NetnsRef::holds_calling_thread() const noexcept {
    if (!valid() || fd() < 0) return false;
    struct stat mine {}, ours {};
    return ::stat("/proc/thread-self/ns/net", &mine) == 0 && ::fstat(fd(), &ours) == 0 && mine.st_ino == ours.st_ino &&
           mine.st_dev == ours.st_dev;
}

NSNET_LAZY_DEFINITION NSNET_DECL detail::UniqueFd NetnsRef::socket(int domain, int type, int protocol) const {
    return run_inside([&] {
        int s = detail::sys_call(detail::Call::socket, [&] { return ::socket(domain, type | SOCK_CLOEXEC, protocol); });
        if (s < 0) throw_errno("open socket in namespace", display_name());
        return detail::UniqueFd(s);
    });
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::Socket NetnsRef::netlink_socket(int protocol) const {
    return run_inside([&] { return nl::Socket::open(protocol); });
}

NSNET_LAZY_DEFINITION NSNET_DECL Process NetnsRef::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) const {
    // Before the fork: an empty NetnsRef throws here, in the caller, not in the child.
    const int netns_fd = fd();
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
        if (::setns(netns_fd, CLONE_NEWNET) != 0) err = errno;
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

NSNET_LAZY_DEFINITION NSNET_DECL detail::NetnsContext& NetnsRef::ctx() const {
    if (!ctx_) detail::require_netns(*this, "use network namespace", {});
    return *ctx_;
}

NSNET_LAZY_DEFINITION NSNET_DECL void NetnsRef::cache_rtnl(nl::Socket rtnl) const {
    auto& cache = ctx().rtnl_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.set(std::move(rtnl));
}

NSNET_LAZY_DEFINITION NSNET_DECL void detail::OwnedNetns::remove() const {
    if (!ref.valid() || ref.name().empty()) return;  // anonymous: it dies with its last reference
    if (detail::netns_name_holds(ref.name(), ref.fd())) Netns::remove(ref.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL Netns Netns::create(const std::string& name) {
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
        NetnsRef ref(detail::open_known_netns_file(path, name), name);
        ref.cache_rtnl(std::move(rtnl));
        return Netns(std::move(ref));
    } catch (...) {
        ::umount2(path.c_str(), MNT_DETACH);
        ::unlink(path.c_str());
        throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Netns Netns::create_anonymous() {
    auto fd = detail::run_in_netns(-1, [] {
        if (detail::sys_call(detail::Call::unshare, [] { return ::unshare(CLONE_NEWNET); }) != 0)
            throw_errno("create anonymous network namespace");
        return detail::open_known_netns_file("/proc/thread-self/ns/net", "anonymous");
    });
    return Netns(NetnsRef(std::move(fd), ""));
}

NSNET_LAZY_DEFINITION NSNET_DECL Netns Netns::adopt(const std::string& name) {
    detail::validate_netns_name(name, "adopt network namespace");
    return Netns(NetnsRef::open(name));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Netns::remove() {
    if (!owner_.owned()) return;
    try {
        owner_.remove();
    } catch (const Error& e) {
        // EEXIST: the name now holds another namespace, ours is reachable only through our
        // reference and dies with it: nothing is left to remove by name, so ownership ends (a
        // transient error keeps it, and the destructor tries again).
        if (e.errnum() == EEXIST) owner_.persist();
        throw;
    }
    owner_.mutable_handle().ref = NetnsRef();  // the kernel may free it now
}

NSNET_LAZY_DEFINITION NSNET_DECL void Netns::remove(const std::string& name) {
    detail::validate_netns_name(name, "delete network namespace");
    std::string path = std::string(netns_run_dir) + "/" + name;
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        throw_errno("delete network namespace", name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("delete network namespace", name);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::string> Netns::list() {
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

}  // namespace nsnet
