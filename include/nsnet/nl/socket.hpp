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
    NSNET_LAZY static Socket open(int protocol = NETLINK_ROUTE);
    // Adopts a netlink socket created elsewhere (e.g. inside another namespace) and sets it up.
    static Socket adopt(detail::UniqueFd fd, int protocol) { return Socket(std::move(fd), protocol); }

    // For tests: wraps one end of a socketpair that plays the kernel. No bind, no options; sends
    // go to the connected peer, and everything received counts as coming from the kernel.
    NSNET_LAZY static Socket for_testing(detail::UniqueFd fd, std::uint32_t port_id, int protocol = NETLINK_ROUTE);

    int fd() const noexcept { return fd_.get(); }
    int protocol() const noexcept { return protocol_; }
    std::uint32_t port_id() const noexcept { return port_id_; }
    bool valid() const noexcept { return static_cast<bool>(fd_); }
    explicit operator bool() const noexcept { return valid(); }
    // Sequence numbers are per socket and only ever increase; 0 is never used (events carry 0).
    NSNET_LAZY std::uint32_t next_seq() noexcept;

    // Reserves n consecutive sequence numbers (no wrap, no 0 inside) and returns the first.
    NSNET_LAZY std::uint32_t reserve_seqs(std::uint32_t n) noexcept;

    NSNET_LAZY void set_option(int level, int name, int value, const char* what);
    // Grows the kernel receive queue (SO_RCVBUFFORCE when privileged, else SO_RCVBUF).
    NSNET_LAZY void set_receive_buffer(int bytes);
    NSNET_LAZY void set_send_buffer(int bytes);
    // The kernel's effective queue sizes (SO_RCVBUF / SO_SNDBUF read back: the kernel doubles what
    // was asked and caps it at net.core.[rw]mem_max without privileges). 0 if they cannot be read.
    NSNET_LAZY int receive_buffer() const noexcept { return get_int_option(SO_RCVBUF); }
    NSNET_LAZY int send_buffer() const noexcept { return get_int_option(SO_SNDBUF); }
    // NETLINK_GET_STRICT_CHK (Linux 4.20+): the kernel checks GET requests strictly and honours a
    // dump's filters (a route dump's RTA_TABLE, ...) instead of sending everything. Returns false
    // when it could not be set (an older kernel, a test socket): callers filter what they receive
    // anyway. Off by default: a strictly checked request must leave every unused header field zero.
    NSNET_LAZY bool set_strict_check(bool on) noexcept;
    // Joins a multicast group (RTNLGRP_LINK, ...) to receive events.
    NSNET_LAZY void subscribe(unsigned group) { set_option(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, static_cast<int>(group), "NETLINK_ADD_MEMBERSHIP"); }
    NSNET_LAZY void unsubscribe(unsigned group) { set_option(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, static_cast<int>(group), "NETLINK_DROP_MEMBERSHIP"); }

    // Stamps `msg` with the next sequence number and sends it. Returns the sequence number.
    NSNET_LAZY std::uint32_t send(MessageBuilder& msg);
    // Sends bytes holding one or more complete messages in one sendmsg (batching).
    NSNET_LAZY void send_bytes(Bytes bytes);

    // Receives one datagram from the kernel into an internal buffer and returns a view of it,
    // valid until the next receive. Datagrams from anything but the kernel are dropped.
    // ENOBUFS (the kernel dropped messages because the queue was full) is thrown as an Error:
    // a caller that cares (a monitor) must resynchronise. With nonblocking=true, returns an empty
    // span when nothing is queued.
    NSNET_LAZY Bytes receive(bool nonblocking = false);

    // Receives up to `max` queued datagrams with one recvmmsg (blocking only for the first) and
    // calls on_datagram(Bytes, bool truncated) for each, in order; returns how many. Each datagram
    // gets a slot of slot_size bytes of the receive buffer (views are valid until the next receive,
    // as with receive()): one that did not fit is passed truncated to the slot (its headers are
    // intact), so the caller can still read e.g. an ack's sequence number and errno. Meant for many
    // small replies (a Batch's acks): 10,000 acks cost ~630 system calls, not 10,000. ENOBUFS is
    // thrown as by receive().
    template <class Fn>
    std::size_t receive_many(Fn&& on_datagram, std::size_t max = 16, std::size_t slot_size = 4096) {
        // (No std::clamp/std::max: <algorithm> would cost every includer ~0.1 s of compile time.)
        max = max < 1 ? 1 : max > 64 ? 64 : max;
        const std::size_t wanted = max * slot_size > default_receive_size ? max * slot_size : default_receive_size;
        if (buf_.size() < wanted) buf_.resize(wanted);
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
            ssize_t len = static_cast<ssize_t>(mh[i].msg_len < slot_size ? mh[i].msg_len : slot_size);
            bool truncated = (mh[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            if (auto* inj = detail::fault_injector().load(std::memory_order_acquire))
                len = inj->after_receive(slots + static_cast<std::size_t>(i) * slot_size, len, slot_size);
            on_datagram(Bytes(slots + static_cast<std::size_t>(i) * slot_size, static_cast<std::size_t>(len)), truncated);
            ++delivered;
        }
        return delivered;
    }

    NSNET_LAZY static std::string protocol_name(int protocol);

private:
    Socket(detail::UniqueFd fd, int protocol);

    NSNET_LAZY int get_int_option(int name) const noexcept;

    // Lets a test's fault injector shorten or corrupt what the kernel sent.
    NSNET_LAZY void apply_receive_fault(ssize_t& n);

    detail::UniqueFd fd_;
    int protocol_ = NETLINK_ROUTE;
    std::uint32_t port_id_ = 0;
    std::uint32_t seq_ = 0;
    bool connected_ = false;  // for_testing(): peer is a socketpair, not the kernel
    std::vector<std::byte, detail::UninitAllocator<std::byte>> buf_;  // not zeroed: see UninitAllocator
};

}  // namespace nsnet::nl

#if NSNET_DEFINITIONS
#include "nsnet/impl/nl/socket.ipp"
#endif
