// nsnet/impl/tun.ipp — the function bodies of <nsnet/tun.hpp>.
//
// Included at the end of nsnet/tun.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL Tun Tun::create(const NetnsRef& netns, const TunOptions& o) {
    const std::string kind = o.mode == TunMode::Tap ? "tap" : "tun";
    const std::string op = "create " + kind;
    if (!o.name.empty()) validate_interface_name(o.name, op);
    if (o.queues < 1 || o.queues > 256)
        invalid_argument(op, o.name, "TunOptions.queues: " + std::to_string(o.queues) + " is outside 1..256");
    if (!o.owner.empty()) detail::check_link_owner(o.owner, "TunOptions.owner", op, o.name);
    detail::require_netns(netns, op, o.name);
    rtnl::TunRequest req{.name = o.name, .mode = o.mode, .packet_info = o.packet_info, .vnet_hdr = o.vnet_hdr,
                         .multi_queue = o.queues > 1};

    struct Made {
        std::vector<detail::UniqueFd> fds;
        std::string name;
    };
    Made made = netns.run([&] {
        Made m{};
        for (unsigned q = 0; q < o.queues; ++q) {
            int fd = detail::sys_call(detail::Call::open,
                                      [] { return ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK); });
            if (fd < 0) throw Error(errno, op, o.name, {}, "cannot open /dev/net/tun");
            m.fds.emplace_back(fd);
            ifreq ifr = rtnl::tun_request(req);
            if (q == 0) ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_TUN_EXCL);
            else std::memcpy(ifr.ifr_name, m.name.c_str(), m.name.size() + 1);
            if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
                int err = errno;
                if (err == EBUSY && q == 0)
                    throw Error(EEXIST, op, o.name, {}, "a device named '" + o.name + "' exists already in namespace " +
                                                            netns.display_name());
                throw Error(err, op, o.name.empty() ? m.name : o.name, {}, "TUNSETIFF (queue " + std::to_string(q) + ")");
            }
            if (q == 0) m.name = std::string(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
        }
        int fd = m.fds.front().get();
        if (o.user && ::ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(*o.user)) != 0)
            throw Error(errno, op, m.name, {}, "TunOptions.user: TUNSETOWNER " + std::to_string(*o.user));
        if (o.group && ::ioctl(fd, TUNSETGROUP, static_cast<unsigned long>(*o.group)) != 0)
            throw Error(errno, op, m.name, {}, "TunOptions.group: TUNSETGROUP " + std::to_string(*o.group));
        // Last: until here, an exception closes the fds and with them the device.
        if (o.outlive_fds && ::ioctl(fd, TUNSETPERSIST, 1UL) != 0)
            throw Error(errno, op, m.name, {}, "TunOptions.outlive_fds: TUNSETPERSIST");
        return m;
    });

    Link link{};
    try {
        link = Link::get(netns, made.name);
    } catch (...) {
        if (o.outlive_fds) ::ioctl(made.fds.front().get(), TUNSETPERSIST, 0UL);
        throw;
    }
    Tun t{OwnedLink(std::move(link))};
    t.fds_ = std::move(made.fds);
    t.outlive_fds_ = o.outlive_fds;
    t.made_ = true;
    detail::tag_new_link(t.link(), o.owner, op);  // on failure the device is removed, then `t` closes its fds
    return t;
}

NSNET_LAZY_DEFINITION NSNET_DECL Tun Tun::open(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues) {
    Tun t = attach(ns, name, mode, queues, std::string("open ") + (mode == TunMode::Tap ? "tap" : "tun"));
    t.persist();  // not ours: made_ is false, so this only stops the owner from deleting it
    return t;
}

NSNET_LAZY_DEFINITION NSNET_DECL Tun Tun::adopt(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues) {
    return attach(ns, name, mode, queues, std::string("adopt ") + (mode == TunMode::Tap ? "tap" : "tun"));
}

NSNET_LAZY_DEFINITION NSNET_DECL Link Tun::get(const NetnsRef& ns, std::string_view name) {
    return detail::get_kind(ns, name, detail::tuntap_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Link> Tun::find(const NetnsRef& ns, std::string_view name) {
    return detail::find_kind(ns, name, detail::tuntap_kind);
}

NSNET_LAZY_DEFINITION NSNET_DECL Tun Tun::attach(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues, const std::string& op) {
    const std::string shown(name);
    validate_interface_name(name, op);
    if (queues < 1 || queues > 256) invalid_argument(op, shown, "queues: " + std::to_string(queues) + " is outside 1..256");
    detail::require_netns(ns, op, shown);
    Link link = Link::get(ns, name);
    LinkInfo info = detail::require_kind(link, mode == TunMode::Tap ? detail::tap_kind : detail::tun_kind, op);
    rtnl::TunInfo settings = *rtnl::decode_tun(info);
    if (queues > 1 && !settings.multi_queue)
        invalid_argument(op, shown, "queues: " + std::to_string(queues) + ", but '" + shown + "' is not a multi-queue device");
    // The device's own flags: TUNSETIFF on an existing device must repeat its multi_queue flag, and
    // would change its pi/vnet_hdr flags to whatever it is given. No IFF_TUN_EXCL: attach, not create.
    rtnl::TunRequest req{.name = shown, .mode = mode, .packet_info = settings.packet_info, .vnet_hdr = settings.vnet_hdr,
                         .multi_queue = settings.multi_queue};
    std::vector<detail::UniqueFd> fds = ns.run([&] {
        std::vector<detail::UniqueFd> out{};
        for (unsigned q = 0; q < queues; ++q) {
            int fd = detail::sys_call(detail::Call::open,
                                      [] { return ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK); });
            if (fd < 0) throw Error(errno, op, shown, {}, "cannot open /dev/net/tun");
            out.emplace_back(fd);
            ifreq ifr = rtnl::tun_request(req);
            if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
                int err = errno;
                if (err == EBUSY)
                    throw Error(EBUSY, op, shown, {}, "the device is attached to another fd already (it is not multi-queue)");
                if (err == EPERM)
                    throw Error(EPERM, op, shown, {}, "TUNSETIFF: the device's user/group does not admit this process");
                throw Error(err, op, shown, {}, "TUNSETIFF (queue " + std::to_string(q) + ")");
            }
        }
        return out;
    });
    // Without IFF_TUN_EXCL, TUNSETIFF creates a device when none has the name: if the one looked at
    // went meanwhile, the fds now hold a new one, which goes away with them.
    auto now = Link::find(ns, name);
    if (!now || now->index() != link.index())
        throw Error(ENODEV, op, shown, {}, "the device was deleted while it was being opened");
    Tun t{OwnedLink(std::move(link))};
    t.fds_ = std::move(fds);
    t.outlive_fds_ = settings.outlives_fds;
    return t;
}

NSNET_DECL Tun::Tun(Tun&& o) noexcept
    : LinkOwnerBase(std::move(o)), fds_(std::move(o.fds_)), outlive_fds_(o.outlive_fds_), made_(std::exchange(o.made_, false)) {}

NSNET_DECL Tun& Tun::operator=(Tun&& o) noexcept {
    if (this != &o) {
        close();  // our device: kept (TUNSETPERSIST) if persisted, or gone with the fds
        LinkOwnerBase::operator=(std::move(o));  // deletes our device if still owned
        fds_ = std::move(o.fds_);
        outlive_fds_ = o.outlive_fds_;
        made_ = std::exchange(o.made_, false);
    }
    return *this;
}

NSNET_DECL Tun::~Tun() {
    close();  // then the owner deletes the device, if it still owns it
}

NSNET_LAZY_DEFINITION NSNET_DECL int Tun::fd(std::size_t queue) const {
    check_queue(queue, "use tun queue");
    return fds_[queue].get();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::size_t> Tun::read(std::span<std::byte> buffer, std::chrono::milliseconds timeout,
                                                std::size_t queue) {
    check_queue(queue, "read packet");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto n = try_read(buffer, queue)) return n;
        int wait_ms = -1;
        if (timeout.count() >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30));
        }
        pollfd p{fds_[queue].get(), POLLIN, 0};
        int r = detail::sys_call(detail::Call::other, [&] { return ::poll(&p, 1, wait_ms); });
        if (r < 0) throw_errno("wait for packet", name());
        if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(p.revents & POLLIN))
            throw Error(EBADFD, "read packet", name(), {}, "the device is gone (deleted, or its namespace was)");
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::vector<std::byte>> Tun::read(std::chrono::milliseconds timeout, std::size_t queue) {
    std::vector<std::byte> buf(max_packet_size);
    auto n = read(std::span<std::byte>(buf), timeout, queue);
    if (!n) return std::nullopt;
    buf.resize(*n);
    return buf;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::size_t> Tun::try_read(std::span<std::byte> buffer, std::size_t queue) {
    check_queue(queue, "read packet");
    ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::read(fds_[queue].get(), buffer.data(), buffer.size()); });
    if (n >= 0) return static_cast<std::size_t>(n);
    if (detail::would_block(errno)) return std::nullopt;
    throw_errno("read packet", name());
}

NSNET_LAZY_DEFINITION NSNET_DECL void Tun::write(std::span<const std::byte> packet, std::size_t queue) {
    check_queue(queue, "write packet");
    ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::write(fds_[queue].get(), packet.data(), packet.size()); });
    if (n < 0) {
        int err = errno;
        throw Error(err, "write packet", name(), {},
                    err == EIO ? "the device is down" : std::to_string(packet.size()) + " bytes");
    }
    if (static_cast<std::size_t>(n) != packet.size())
        throw Error(EMSGSIZE, "write packet", name(), {}, "short write: " + std::to_string(n) + " of " + std::to_string(packet.size()));
}

NSNET_LAZY_DEFINITION NSNET_DECL TunInfo Tun::settings() const {
    auto t = rtnl::decode_tun(info());
    if (!t) throw Error(EINVAL, "read tun settings", name(), {}, "the link is not a tun/tap device");
    return *t;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Tun::set_outlive_fds(bool on) {
    const char* op = on ? "set tun persist flag (outlive fds)" : "clear tun persist flag (outlive fds)";
    if (fds_.empty()) throw Error(EBADF, op, name(), {}, "the tun fds are closed");
    if (::ioctl(fds_.front().get(), TUNSETPERSIST, on ? 1UL : 0UL) != 0) throw_errno(op, name());
    outlive_fds_ = on;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Tun::close() noexcept {
    // Kept (persisted or released) by the process that made it: the device must outlive the fds.
    // A device deleted meanwhile answers EBADFD, ignored; a fork child's copy (made_ false there)
    // changes nothing.
    if (made_ && !owned() && !outlive_fds_ && !fds_.empty())
        if (::ioctl(fds_.front().get(), TUNSETPERSIST, 1UL) == 0) outlive_fds_ = true;
    fds_.clear();
    made_ = false;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Tun::check_queue(std::size_t queue, const char* op) const {
    if (queue >= fds_.size())
        throw Error(EBADF, op, name(), {},
                    fds_.empty() ? std::string("the tun fds are closed")
                                 : "queue " + std::to_string(queue) + " of " + std::to_string(fds_.size()));
}

}  // namespace nsnet
