// nsnet/tun.hpp — Tun: a TUN or TAP device whose packets this process reads and writes.
//
// Layer: typed objects. What the kernel would send out of the device arrives on the fd (read),
// and what the program writes to the fd arrives at the kernel as if received on the device:
// a user-space program "takes over" the packets (VPNs, user-space stacks). TUN carries IP packets,
// TAP Ethernet frames.
//
//   auto tun = nsnet::Tun::create(ns, {.name = "tun0"});        // ip tuntap add tun0 mode tun,
//   tun.add_address("10.99.0.1/24"); tun.up();                  // but owned by this process
//   if (auto pkt = tun.read(std::chrono::milliseconds(500))) tun.write(reply_to(*pkt));
//
// The device is born inside the given namespace: /dev/net/tun is opened and attached
// (TUNSETIFF) on a short-lived thread that has entered it (NetnsRef::run); the caller's thread
// never moves. A process-owned device (the default) exists while the object's fds are open; a
// `persistent` one (TUNSETPERSIST, like `ip tuntap add`) survives them. Either way the destructor
// deletes the device unless persist() was called (which also makes a process-owned device
// persistent, so it outlives the process). An existing device of the same name is an error
// (IFF_TUN_EXCL), never silently attached to. Multi-queue devices have one fd per queue.
//
// The fds are non-blocking: read() waits with poll() up to a timeout, try_read() never waits, and
// fd() can go into the caller's own poll loop. It does not parse packets (packet_info/vnet_hdr
// headers, if enabled, are left in the bytes).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/link.hpp"
#include "nsnet/rtnl/tun.hpp"

namespace nsnet {

using TunMode = rtnl::TunMode;
using TunInfo = rtnl::TunInfo;

// ip tuntap add [NAME] mode tun|tap [user U] [group G] [pi] [vnet_hdr] [multi_queue]
struct TunOptions {
    std::string name{};              // "" lets the kernel pick tun0, tun1, ... (tap%d for TAP)
    TunMode mode = TunMode::Tun;
    bool persistent = false;         // TUNSETPERSIST: the device does not depend on the fds
    bool packet_info = false;        // prepend struct tun_pi to every packet (ip's `pi`)
    bool vnet_hdr = false;           // prepend struct virtio_net_hdr (ip's `vnet_hdr`)
    unsigned queues = 1;             // > 1: a multi-queue device, one fd per queue
    std::optional<unsigned> owner{}; // uid allowed to attach later (TUNSETOWNER)
    std::optional<unsigned> group{}; // gid allowed to attach later (TUNSETGROUP)
};

class Tun : public OwnedLink {
public:
    // The largest packet a read can return: the device MTU is at most 65535, plus headers.
    static constexpr std::size_t max_packet_size = 65536 + 64;

    Tun() = default;

    // Creates the device inside `netns` and attaches this process to it.
    static Tun create(const NetnsRef& netns, const TunOptions& o);

    Tun(Tun&&) noexcept = default;
    Tun& operator=(Tun&& o) noexcept;
    ~Tun();

    // The fd of queue `queue` (non-blocking), for the caller's own poll loop.
    int fd(std::size_t queue = 0) const;
    std::size_t queues() const noexcept { return fds_.size(); }
    bool persistent() const noexcept { return persistent_; }

    // Reads one packet into `buffer`, waiting up to `timeout` (negative: forever). Returns its size,
    // or nullopt when nothing arrived in time. A packet larger than the buffer is truncated.
    std::optional<std::size_t> read(std::span<std::byte> buffer, std::chrono::milliseconds timeout,
                                     std::size_t queue = 0);
    // Reads one packet, waiting up to `timeout`; nullopt when none arrived in time.
    std::optional<std::vector<std::byte>> read(std::chrono::milliseconds timeout, std::size_t queue = 0);
    // Reads one packet if one is waiting; never blocks.
    std::optional<std::size_t> try_read(std::span<std::byte> buffer, std::size_t queue = 0);
    // Hands one packet to the kernel as if the device had received it (an IP packet for TUN, an
    // Ethernet frame for TAP). The device must be up (else EIO).
    void write(std::span<const std::byte> packet, std::size_t queue = 0);

    // ip -d link show NAME: the tun settings the kernel reports.
    TunInfo settings() const;

    // ip tuntap's persist flag (TUNSETPERSIST): a persistent device does not depend on the fds.
    void set_persistent(bool on);
    // Keep the device after this object (and this process) is gone: makes it persistent first.
    // Never throws (labs call it from cleanup code): should TUNSETPERSIST fail, the device still
    // goes away with the fds.
    void persist() noexcept;
    // Closes the fds. A process-owned device disappears with them; a persistent one stays
    // (and is still deleted by the destructor unless persist()ed).
    void close();

private:
    void check_queue(std::size_t queue, const char* op) const;

    std::vector<detail::UniqueFd> fds_{};
    bool persistent_ = false;
};

#if NSNET_DEFINITIONS

NSNET_DECL Tun Tun::create(const NetnsRef& netns, const TunOptions& o) {
    const std::string kind = o.mode == TunMode::Tap ? "tap" : "tun";
    const std::string op = "create " + kind;
    if (!o.name.empty()) validate_interface_name(o.name, op);
    if (o.queues < 1 || o.queues > 256)
        invalid_argument(op, o.name, "queue count " + std::to_string(o.queues) + " is outside 1..256");
    if (!netns.valid()) invalid_argument(op, o.name, "no namespace given (an empty NetnsRef)");
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
        if (o.owner && ::ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(*o.owner)) != 0)
            throw Error(errno, op, m.name, {}, "TUNSETOWNER " + std::to_string(*o.owner));
        if (o.group && ::ioctl(fd, TUNSETGROUP, static_cast<unsigned long>(*o.group)) != 0)
            throw Error(errno, op, m.name, {}, "TUNSETGROUP " + std::to_string(*o.group));
        // Last: until here, an exception closes the fds and with them the device.
        if (o.persistent && ::ioctl(fd, TUNSETPERSIST, 1UL) != 0)
            throw Error(errno, op, m.name, {}, "TUNSETPERSIST");
        return m;
    });

    Tun t;
    t.fds_ = std::move(made.fds);
    t.persistent_ = o.persistent;
    try {
        static_cast<OwnedLink&>(t) = OwnedLink(Link::get(netns, made.name));
    } catch (...) {
        if (o.persistent) ::ioctl(t.fds_.front().get(), TUNSETPERSIST, 0UL);
        throw;
    }
    return t;
}

NSNET_DECL Tun& Tun::operator=(Tun&& o) noexcept {
    if (this != &o) {
        destroy();  // delete our device before taking the other's
        fds_.clear();
        OwnedLink::operator=(std::move(o));
        fds_ = std::move(o.fds_);
        persistent_ = o.persistent_;
    }
    return *this;
}

NSNET_DECL Tun::~Tun() {
    destroy();  // first delete the device (if ours), then close the fds
}

NSNET_DECL int Tun::fd(std::size_t queue) const {
    check_queue(queue, "use tun queue");
    return fds_[queue].get();
}

NSNET_DECL std::optional<std::size_t> Tun::read(std::span<std::byte> buffer, std::chrono::milliseconds timeout,
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
        if (r < 0) throw_errno("wait for packet", name_);
        if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(p.revents & POLLIN))
            throw Error(EBADFD, "read packet", name_, {}, "the device is gone (deleted, or its namespace was)");
    }
}

NSNET_DECL std::optional<std::vector<std::byte>> Tun::read(std::chrono::milliseconds timeout, std::size_t queue) {
    std::vector<std::byte> buf(max_packet_size);
    auto n = read(std::span<std::byte>(buf), timeout, queue);
    if (!n) return std::nullopt;
    buf.resize(*n);
    return buf;
}

NSNET_DECL std::optional<std::size_t> Tun::try_read(std::span<std::byte> buffer, std::size_t queue) {
    check_queue(queue, "read packet");
    ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::read(fds_[queue].get(), buffer.data(), buffer.size()); });
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    throw_errno("read packet", name_);
}

NSNET_DECL void Tun::write(std::span<const std::byte> packet, std::size_t queue) {
    check_queue(queue, "write packet");
    ssize_t n = detail::sys_call(detail::Call::other, [&] { return ::write(fds_[queue].get(), packet.data(), packet.size()); });
    if (n < 0) {
        int err = errno;
        throw Error(err, "write packet", name_, {},
                    err == EIO ? "the device is down" : std::to_string(packet.size()) + " bytes");
    }
    if (static_cast<std::size_t>(n) != packet.size())
        throw Error(EMSGSIZE, "write packet", name_, {}, "short write: " + std::to_string(n) + " of " + std::to_string(packet.size()));
}

NSNET_DECL TunInfo Tun::settings() const {
    auto t = rtnl::decode_tun(info());
    if (!t) throw Error(EINVAL, "read tun settings", name_, {}, "the link is not a tun/tap device");
    return *t;
}

NSNET_DECL void Tun::set_persistent(bool on) {
    if (fds_.empty()) throw Error(EBADF, "set tun persist flag", name_, {}, "the tun fds are closed");
    if (::ioctl(fds_.front().get(), TUNSETPERSIST, on ? 1UL : 0UL) != 0) throw_errno("set tun persist flag", name_);
    persistent_ = on;
}

NSNET_DECL void Tun::persist() noexcept {
    if (!persistent_ && !fds_.empty()) {
        try {
            set_persistent(true);
        } catch (...) {
        }
    }
    OwnedLink::persist();
}

NSNET_DECL void Tun::close() {
    fds_.clear();
    if (!persistent_) {
        owned_ = false;
        index_ = 0;
    }
}

NSNET_DECL void Tun::check_queue(std::size_t queue, const char* op) const {
    if (queue >= fds_.size())
        throw Error(EBADF, op, name_, {},
                    fds_.empty() ? std::string("the tun fds are closed")
                                 : "queue " + std::to_string(queue) + " of " + std::to_string(fds_.size()));
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
