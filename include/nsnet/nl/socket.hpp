// nsnet/nl/socket.hpp — a netlink socket that talks only to the kernel, about its own requests.
//
// Layer: raw netlink. Owns an AF_NETLINK socket (NETLINK_ROUTE, NETLINK_NETFILTER, ...), bound to a
// kernel-assigned port id, with extended acks on (the kernel then explains its refusals) and capped
// acks (an error does not echo the whole request back); strict checking of dump requests can be
// turned on for a dump whose filters the kernel should apply (set_strict_check).
// A socket belongs to the network namespace it was created in: to talk to another namespace, open
// the socket there (Netns::netlink_socket) rather than moving the calling thread.
//
// It does not interpret messages: see transact.hpp for request/ack, dumps and batches.
#pragma once

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/fd.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/error.hpp"
#include "nsnet/nl/message.hpp"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace nsnet::detail {

// An allocator whose resize() leaves new bytes uninitialised: a receive buffer is written by the
// kernel before it is read, and zeroing it would touch (fault in) every page of every socket's
// buffer up front (64 KiB per socket, most of it never used by small replies).
template <class T>
struct UninitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitAllocator<U>;
    };
    UninitAllocator() = default;
    template <class U>
    UninitAllocator(const UninitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

}  // namespace nsnet::detail

namespace nsnet::nl {

class Socket {
public:
    // Larger than the biggest datagram the kernel sends on a dump (it caps skbs at 32 KiB) so a
    // receive is never truncated; grows if the kernel ever says otherwise.
    static constexpr std::size_t default_receive_size = 64 * 1024;

    Socket() = default;

    // Opens a socket in the calling thread's current network namespace.
    static Socket open(int protocol = NETLINK_ROUTE);
    // Adopts a netlink socket created elsewhere (e.g. inside another namespace) and sets it up.
    static Socket adopt(detail::UniqueFd fd, int protocol) { return Socket(std::move(fd), protocol); }

    // For tests: wraps one end of a socketpair that plays the kernel. No bind, no options; sends
    // go to the connected peer, and everything received counts as coming from the kernel.
    static Socket for_testing(detail::UniqueFd fd, std::uint32_t port_id, int protocol = NETLINK_ROUTE);

    int fd() const noexcept { return fd_.get(); }
    int protocol() const noexcept { return protocol_; }
    std::uint32_t port_id() const noexcept { return port_id_; }
    bool valid() const noexcept { return static_cast<bool>(fd_); }
    explicit operator bool() const noexcept { return valid(); }
    // Sequence numbers are per socket and only ever increase; 0 is never used (events carry 0).
    std::uint32_t next_seq() noexcept;

    // Reserves n consecutive sequence numbers (no wrap, no 0 inside) and returns the first.
    std::uint32_t reserve_seqs(std::uint32_t n) noexcept;

    void set_option(int level, int name, int value, const char* what);
    // Grows the kernel receive queue (SO_RCVBUFFORCE when privileged, else SO_RCVBUF).
    void set_receive_buffer(int bytes);
    void set_send_buffer(int bytes);
    // The kernel's effective queue sizes (SO_RCVBUF / SO_SNDBUF read back: the kernel doubles what
    // was asked and caps it at net.core.[rw]mem_max without privileges). 0 if they cannot be read.
    int receive_buffer() const noexcept { return get_int_option(SO_RCVBUF); }
    int send_buffer() const noexcept { return get_int_option(SO_SNDBUF); }
    // NETLINK_GET_STRICT_CHK (Linux 4.20+): the kernel checks GET requests strictly and honours a
    // dump's filters (a route dump's RTA_TABLE, ...) instead of sending everything. Returns false
    // when it could not be set (an older kernel, a test socket): callers filter what they receive
    // anyway. Off by default: a strictly checked request must leave every unused header field zero.
    bool set_strict_check(bool on) noexcept;
    // Joins a multicast group (RTNLGRP_LINK, ...) to receive events.
    void subscribe(unsigned group) { set_option(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, static_cast<int>(group), "NETLINK_ADD_MEMBERSHIP"); }
    void unsubscribe(unsigned group) { set_option(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, static_cast<int>(group), "NETLINK_DROP_MEMBERSHIP"); }

    // Stamps `msg` with the next sequence number and sends it. Returns the sequence number.
    std::uint32_t send(MessageBuilder& msg);
    // Sends bytes holding one or more complete messages in one sendmsg (batching).
    void send_bytes(Bytes bytes);

    // Receives one datagram from the kernel into an internal buffer and returns a view of it,
    // valid until the next receive. Datagrams from anything but the kernel are dropped.
    // ENOBUFS (the kernel dropped messages because the queue was full) is thrown as an Error:
    // a caller that cares (a monitor) must resynchronise. With nonblocking=true, returns an empty
    // span when nothing is queued.
    Bytes receive(bool nonblocking = false);

    // Receives up to `max` queued datagrams with one recvmmsg (blocking only for the first) and
    // calls on_datagram(Bytes, bool truncated) for each, in order; returns how many. Each datagram
    // gets a slot of slot_size bytes of the receive buffer (views are valid until the next receive,
    // as with receive()): one that did not fit is passed truncated to the slot (its headers are
    // intact), so the caller can still read e.g. an ack's sequence number and errno. Meant for many
    // small replies (a Batch's acks): 10,000 acks cost ~630 system calls, not 10,000. ENOBUFS is
    // thrown as by receive().
    template <class Fn>
    std::size_t receive_many(Fn&& on_datagram, std::size_t max = 16, std::size_t slot_size = 4096) {
        max = std::clamp<std::size_t>(max, 1, 64);
        if (buf_.size() < std::max(default_receive_size, max * slot_size)) buf_.resize(std::max(default_receive_size, max * slot_size));
        std::byte* const slots = buf_.data();
        sockaddr_nl from[64];
        iovec iov[64];
        mmsghdr mh[64];
        for (std::size_t i = 0; i < max; ++i) {
            iov[i] = {slots + i * slot_size, slot_size};
            mh[i] = {};
            mh[i].msg_hdr.msg_name = &from[i];
            mh[i].msg_hdr.msg_namelen = sizeof from[i];
            mh[i].msg_hdr.msg_iov = &iov[i];
            mh[i].msg_hdr.msg_iovlen = 1;
        }
        int n = detail::sys_call(detail::Call::recvmsg, [&] {
            return ::recvmmsg(fd(), mh, static_cast<unsigned>(max), MSG_WAITFORONE, nullptr);
        });
        if (n < 0) throw_errno("receive netlink reply", protocol_name(protocol_));
        std::size_t delivered = 0;
        for (int i = 0; i < n; ++i) {
            // Not from the kernel: dropped before anything looks at it (see receive()).
            if (!connected_ && (mh[i].msg_hdr.msg_namelen < sizeof from[i] || from[i].nl_family != AF_NETLINK ||
                                from[i].nl_pid != 0))
                continue;
            ssize_t len = std::min<ssize_t>(static_cast<ssize_t>(mh[i].msg_len), static_cast<ssize_t>(slot_size));
            bool truncated = (mh[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            if (auto* inj = detail::fault_injector().load(std::memory_order_acquire))
                len = inj->after_receive(slots + static_cast<std::size_t>(i) * slot_size, len, slot_size);
            on_datagram(Bytes(slots + static_cast<std::size_t>(i) * slot_size, static_cast<std::size_t>(len)), truncated);
            ++delivered;
        }
        return delivered;
    }

    static std::string protocol_name(int protocol);

private:
    Socket(detail::UniqueFd fd, int protocol);

    int get_int_option(int name) const noexcept;

    // Lets a test's fault injector shorten or corrupt what the kernel sent.
    void apply_receive_fault(ssize_t& n);

    detail::UniqueFd fd_;
    int protocol_ = NETLINK_ROUTE;
    std::uint32_t port_id_ = 0;
    std::uint32_t seq_ = 0;
    bool connected_ = false;  // for_testing(): peer is a socketpair, not the kernel
    std::vector<std::byte, detail::UninitAllocator<std::byte>> buf_;  // not zeroed: see UninitAllocator
};

#if NSNET_DEFINITIONS

NSNET_DECL Socket Socket::open(int protocol) {
    int fd = detail::sys_call(detail::Call::socket,
                              [&] { return ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol); });
    if (fd < 0) throw_errno("open netlink socket", protocol_name(protocol));
    return Socket(detail::UniqueFd(fd), protocol);
}

NSNET_DECL Socket Socket::for_testing(detail::UniqueFd fd, std::uint32_t port_id, int protocol) {
    Socket s;
    s.fd_ = std::move(fd);
    s.protocol_ = protocol;
    s.port_id_ = port_id;
    s.connected_ = true;
    return s;
}

NSNET_DECL std::uint32_t Socket::next_seq() noexcept {
    if (++seq_ == 0) ++seq_;
    return seq_;
}

NSNET_DECL std::uint32_t Socket::reserve_seqs(std::uint32_t n) noexcept {
    if (seq_ > UINT32_MAX - n - 1) seq_ = 0;
    std::uint32_t first = seq_ + 1;
    seq_ += n;
    return first;
}

NSNET_DECL void Socket::set_option(int level, int name, int value, const char* what) {
    int r = detail::sys_call(detail::Call::setsockopt,
                             [&] { return ::setsockopt(fd(), level, name, &value, sizeof value); });
    if (r < 0) throw_errno(std::string("set netlink socket option ") + what);
}

NSNET_DECL void Socket::set_receive_buffer(int bytes) {
    if (::setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        set_option(SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}

NSNET_DECL void Socket::set_send_buffer(int bytes) {
    if (::setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
        set_option(SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}

NSNET_DECL bool Socket::set_strict_check(bool on) noexcept {
    int v = on ? 1 : 0;
    return ::setsockopt(fd(), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v, sizeof v) == 0;
}

NSNET_DECL std::uint32_t Socket::send(MessageBuilder& msg) {
    std::uint32_t seq = next_seq();
    msg.set_seq(seq);
    send_bytes(msg.bytes());
    return seq;
}

NSNET_DECL void Socket::send_bytes(Bytes bytes) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
    msghdr mh{};
    if (!connected_) {
        mh.msg_name = &kernel;
        mh.msg_namelen = sizeof kernel;
    }
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = detail::sys_call(detail::Call::sendmsg, [&] { return ::sendmsg(fd(), &mh, 0); });
    if (n < 0) throw_errno("send netlink request", protocol_name(protocol_));
    if (static_cast<std::size_t>(n) != bytes.size())
        throw Error(EMSGSIZE, "send netlink request", protocol_name(protocol_), {}, "short send");
}

NSNET_DECL Bytes Socket::receive(bool nonblocking) {
    if (buf_.size() < default_receive_size) buf_.resize(default_receive_size);
    for (;;) {
        sockaddr_nl from{};
        iovec iov{buf_.data(), buf_.size()};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        ssize_t n = detail::sys_call(detail::Call::recvmsg, [&] {
            return ::recvmsg(fd(), &mh, MSG_TRUNC | (nonblocking ? MSG_DONTWAIT : 0));
        });
        if (n < 0) {
            if (nonblocking && (errno == EAGAIN || errno == EWOULDBLOCK)) return {};
            throw_errno("receive netlink reply", protocol_name(protocol_));
        }
        // The sender before anything else: a datagram from another process (any socket that knows
        // our port id can send one; only the kernel has port id 0, also for its multicasts) is
        // dropped here, whatever its size, with no error, no buffer growth and no other effect.
        // recvmsg has already taken it off the queue (MSG_TRUNC only reports its real length).
        if (!connected_ && (mh.msg_namelen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0)) continue;
        if (static_cast<std::size_t>(n) > buf_.size() || (mh.msg_flags & MSG_TRUNC)) {
            std::size_t need = static_cast<std::size_t>(n);
            buf_.resize(std::max(need, buf_.size() * 2));
            throw Error(EMSGSIZE, "receive netlink reply", protocol_name(protocol_), {},
                        "a " + std::to_string(need) + "-byte datagram was truncated; buffer grown");
        }
        apply_receive_fault(n);
        return Bytes(buf_.data(), static_cast<std::size_t>(n));
    }
}

NSNET_DECL std::string Socket::protocol_name(int protocol) {
    switch (protocol) {
        case NETLINK_ROUTE: return "rtnetlink";
        case NETLINK_NETFILTER: return "nfnetlink";
        case NETLINK_GENERIC: return "genetlink";
        default: return "netlink protocol " + std::to_string(protocol);
    }
}

NSNET_DECL Socket::Socket(detail::UniqueFd fd, int protocol) : fd_(std::move(fd)), protocol_(protocol) {
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    int r = detail::sys_call(detail::Call::bind,
                             [&] { return ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local); });
    if (r < 0) throw_errno("bind netlink socket", protocol_name(protocol));
    socklen_t len = sizeof local;
    r = detail::sys_call(detail::Call::getsockname, [&] {
        return ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &len);
    });
    if (r < 0) throw_errno("read netlink port id", protocol_name(protocol));
    port_id_ = local.nl_pid;
    // Extended acks give us the kernel's reason for a refusal; capped acks keep error replies
    // small. Both exist since Linux 4.12/4.3; older kernels simply refuse the option.
    int one = 1;
    ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    // Connected to the kernel (port 0): the kernel then refuses (ECONNREFUSED) a unicast from any
    // other socket, so another process cannot fill our receive queue and make the kernel drop its
    // own answers and events (ENOBUFS). Multicast from the kernel is unaffected. receive() still
    // drops whatever does not come from the kernel (e.g. where connect is refused).
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    (void)::connect(fd_.get(), reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    // Seeding from the clock makes a stale reply to an earlier socket's request easy to tell apart.
    seq_ = static_cast<std::uint32_t>(::time(nullptr));
}

NSNET_DECL int Socket::get_int_option(int name) const noexcept {
    int v = 0;
    socklen_t len = sizeof v;
    return ::getsockopt(fd_.get(), SOL_SOCKET, name, &v, &len) == 0 ? v : 0;
}

NSNET_DECL void Socket::apply_receive_fault(ssize_t& n) {
    if (auto* inj = detail::fault_injector().load(std::memory_order_acquire))
        n = inj->after_receive(buf_.data(), n, buf_.size());
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::nl
