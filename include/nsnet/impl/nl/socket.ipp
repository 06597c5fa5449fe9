// nsnet/impl/nl/socket.ipp — the function bodies of <nsnet/nl/socket.hpp>.
//
// Included at the end of nsnet/nl/socket.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nl {

NSNET_LAZY_DEFINITION NSNET_DECL Socket Socket::open(int protocol) {
    int fd = detail::sys_call(detail::Call::socket,
                              [&] { return ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol); });
    if (fd < 0) throw_errno("open netlink socket", protocol_name(protocol));
    return Socket(detail::UniqueFd(fd), protocol);
}

NSNET_LAZY_DEFINITION NSNET_DECL Socket Socket::for_testing(detail::UniqueFd fd, std::uint32_t port_id, int protocol) {
    Socket s;
    s.fd_ = std::move(fd);
    s.protocol_ = protocol;
    s.port_id_ = port_id;
    s.connected_ = true;
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t Socket::next_seq() noexcept {
    if (++seq_ == 0) ++seq_;
    return seq_;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t Socket::reserve_seqs(std::uint32_t n) noexcept {
    if (seq_ > UINT32_MAX - n - 1) seq_ = 0;
    std::uint32_t first = seq_ + 1;
    seq_ += n;
    return first;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Socket::set_option(int level, int name, int value, const char* what) {
    int r = detail::sys_call(detail::Call::setsockopt,
                             [&] { return ::setsockopt(fd(), level, name, &value, sizeof value); });
    if (r < 0) throw_errno(std::string("set netlink socket option ") + what);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Socket::set_receive_buffer(int bytes) {
    if (::setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        set_option(SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Socket::set_send_buffer(int bytes) {
    if (::setsockopt(fd(), SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
        set_option(SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Socket::set_strict_check(bool on) noexcept {
    int v = on ? 1 : 0;
    return ::setsockopt(fd(), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v, sizeof v) == 0;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::uint32_t Socket::send(MessageBuilder& msg) {
    std::uint32_t seq = next_seq();
    msg.set_seq(seq);
    send_bytes(msg.bytes());
    return seq;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Socket::send_bytes(Bytes bytes) {
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

NSNET_LAZY_DEFINITION NSNET_DECL Bytes Socket::receive(bool nonblocking) {
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
            if (nonblocking && detail::would_block(errno)) return {};
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

NSNET_LAZY_DEFINITION NSNET_DECL std::string Socket::protocol_name(int protocol) {
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

NSNET_LAZY_DEFINITION NSNET_DECL int Socket::get_int_option(int name) const noexcept {
    int v = 0;
    socklen_t len = sizeof v;
    return ::getsockopt(fd_.get(), SOL_SOCKET, name, &v, &len) == 0 ? v : 0;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Socket::apply_receive_fault(ssize_t& n) {
    if (auto* inj = detail::fault_injector().load(std::memory_order_acquire))
        n = inj->after_receive(buf_.data(), n, buf_.size());
}

}  // namespace nsnet::nl
