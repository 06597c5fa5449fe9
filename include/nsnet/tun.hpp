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
// never moves. create() never attaches to an existing device of the same name (IFF_TUN_EXCL: an
// error). Multi-queue devices have one fd per queue.
//
// Two different things keep a device, and they have different names:
//   - persist() (as for every owner): keep the kernel device after this object is gone. The owner
//     then does not delete it, and a device that create() made is given the kernel's TUNSETPERSIST
//     flag when the fds close, so it also outlives this process.
//   - "outlive fds" (TunOptions::outlive_fds, set_outlive_fds(), TunInfo::outlives_fds): the
//     kernel's TUNSETPERSIST flag itself (`ip tuntap add` sets it): the device does not go away
//     when the last fd closes. Without it (the default) a device lives while its fds are open.
// Either way the owner deletes the device when it is destroyed, unless persist()ed.
//
// A later process finds a kept device again: Tun::open(ns, name, mode) attaches new fds to it (no
// IFF_TUN_EXCL; checked to be a TUN or TAP of that mode, with its pi/vnet_hdr/multi-queue flags as
// the kernel holds them) without taking ownership; Tun::adopt(ns, name, mode) does the same and
// owns it (deletes it unless persisted). Tun::get/find return a plain Link checked to be a TUN/TAP
// device (link_kind.hpp); Link::remove(ns, name) deletes one.
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

#include <cstring>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/std_chrono.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_kind.hpp"
#include "nsnet/rtnl/tun.hpp"

namespace nsnet {

using TunMode = rtnl::TunMode;
using TunInfo = rtnl::TunInfo;

// ip tuntap add [NAME] mode tun|tap [user U] [group G] [pi] [vnet_hdr] [multi_queue]
struct TunOptions {
    std::string name{};              // "" lets the kernel pick tun0, tun1, ... (tap%d for TAP)
    TunMode mode = TunMode::Tun;
    bool outlive_fds = false;        // TUNSETPERSIST: the device stays when the fds close
    bool packet_info = false;        // prepend struct tun_pi to every packet (ip's `pi`)
    bool vnet_hdr = false;           // prepend struct virtio_net_hdr (ip's `vnet_hdr`)
    unsigned queues = 1;             // > 1: a multi-queue device, one fd per queue (1..256)
    std::optional<unsigned> user{};  // `user U`: uid allowed to attach later (TUNSETOWNER)
    std::optional<unsigned> group{}; // `group G`: gid allowed to attach later (TUNSETGROUP)
    std::string owner{};             // owner tag (e.g. a container id), written as the alias "nsnet:owner=<id>" right after creation: Link::list_owned/remove_owned
};

namespace detail {
inline constexpr LinkKind tuntap_kind{"tun or tap", [](const LinkInfo& l) { return l.kind == "tun"; }};
inline constexpr LinkKind tun_kind{"tun", [](const LinkInfo& l) {
    auto t = rtnl::decode_tun(l);
    return t && t->mode == TunMode::Tun;
}};
inline constexpr LinkKind tap_kind{"tap", [](const LinkInfo& l) {
    auto t = rtnl::decode_tun(l);
    return t && t->mode == TunMode::Tap;
}};
}  // namespace detail

class Tun : public detail::LinkOwnerBase {
public:
    // The largest packet a read can return: the device MTU is at most 65535, plus headers.
    static constexpr std::size_t max_packet_size = 65536 + 64;

    Tun() = default;

    // Creates the device inside `ns` and attaches this process to it.
    NSNET_LAZY static Tun create(const NetnsRef& ns, const TunOptions& o);
    // Attaches `queues` new fds to an existing device (one a previous process kept), checked to be
    // a TUN/TAP device of `mode`: InvalidArgument naming its real kind otherwise. Does not own it:
    // the device stays when this object is gone (if it outlives its fds; Tun::adopt owns it).
    // A device whose fd another process holds (not multi-queue) is Error(EBUSY).
    NSNET_LAZY static Tun open(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues = 1);
    // Like open(), and takes ownership: the owner deletes the device unless persist()ed.
    NSNET_LAZY static Tun adopt(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues = 1);
    // A plain handle, checked to be a TUN or TAP device (link_kind.hpp).
    NSNET_LAZY static Link get(const NetnsRef& ns, std::string_view name);
    // Like get(), but nullopt when there is no link of that name.
    NSNET_LAZY static std::optional<Link> find(const NetnsRef& ns, std::string_view name);

    Tun(Tun&& o) noexcept;
    Tun& operator=(Tun&& o) noexcept;
    ~Tun();

    // The fd of queue `queue` (non-blocking), for the caller's own poll loop.
    NSNET_LAZY int fd(std::size_t queue = 0) const;
    std::size_t queues() const noexcept { return fds_.size(); }
    // Whether the device carries the kernel's TUNSETPERSIST flag (as this object last set or saw it).
    bool outlives_fds() const noexcept { return outlive_fds_; }

    // Reads one packet into `buffer`, waiting up to `timeout` (negative: forever). Returns its size,
    // or nullopt when nothing arrived in time. A packet larger than the buffer is truncated.
    NSNET_LAZY std::optional<std::size_t> read(std::span<std::byte> buffer, std::chrono::milliseconds timeout,
                                     std::size_t queue = 0);
    // Reads one packet, waiting up to `timeout`; nullopt when none arrived in time.
    NSNET_LAZY std::optional<std::vector<std::byte>> read(std::chrono::milliseconds timeout, std::size_t queue = 0);
    // Reads one packet if one is waiting; never blocks.
    NSNET_LAZY std::optional<std::size_t> try_read(std::span<std::byte> buffer, std::size_t queue = 0);
    // Hands one packet to the kernel as if the device had received it (an IP packet for TUN, an
    // Ethernet frame for TAP). The device must be up (else EIO).
    NSNET_LAZY void write(std::span<const std::byte> packet, std::size_t queue = 0);

    // ip -d link show NAME: the tun settings the kernel reports.
    NSNET_LAZY TunInfo settings() const;

    // ip tuntap's persist flag (TUNSETPERSIST) on or off: whether the device stays when the last fd
    // closes. Not ownership: the owner still deletes the device unless persist()ed.
    NSNET_LAZY void set_outlive_fds(bool on);
    // Closes the fds. A device made by create() that was persist()ed (or release()d) is first
    // given TUNSETPERSIST, so that it stays; else a device that does not outlive its fds
    // disappears with them. One that outlives them stays (and is still deleted by the owner
    // unless persist()ed).
    NSNET_LAZY void close() noexcept;

private:
    NSNET_LAZY explicit Tun(OwnedLink link) : LinkOwnerBase(std::move(link)) {}
    NSNET_LAZY void check_queue(std::size_t queue, const char* op) const;
    // open() and adopt(): attach to an existing device.
    NSNET_LAZY static Tun attach(const NetnsRef& ns, std::string_view name, TunMode mode, unsigned queues, const std::string& op);

    std::vector<detail::UniqueFd> fds_{};
    bool outlive_fds_ = false;
    detail::ProcessOwned made_{};  // create() made the device, in this process (not in a fork child)
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/tun.ipp"
#endif
