// nsnet/rtnl/tun.hpp — TUN/TAP devices: the TUNSETIFF request (an ioctl on /dev/net/tun) and the
// IFLA_TUN_* settings the kernel reports in RTM_NEWLINK.
//
// Layer: messages, no I/O. TUN/TAP devices are not created through netlink: a process opens
// /dev/net/tun and attaches the fd to a (new or existing) device with ioctl(TUNSETIFF, ifreq);
// `ip tuntap add` does the same and then sets TUNSETPERSIST so the device outlives the fd
// (tests/unit/golden/tuntap_ioctl.txt: ifr_flags IFF_TUN|IFF_NO_PI = 0x1001, IFF_TAP|IFF_NO_PI =
// 0x1002). tun_request() builds that ifreq; decode_tun() reads the device's settings back
// (`ip -d link show`: "tun type tun pi off vnet_hdr off persist on"). The ioctls themselves are
// made by nsnet/tun.hpp.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <net/if.h>  // before <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/rtnl/link.hpp"

namespace nsnet::rtnl {

// TUN carries IP packets (no link-layer header), TAP carries Ethernet frames.
enum class TunMode : std::uint8_t { Tun = IFF_TUN, Tap = IFF_TAP };

struct TunRequest {
    std::string name{};          // "" lets the kernel pick tun%d / tap%d
    TunMode mode = TunMode::Tun;
    bool packet_info = false;    // prepend struct tun_pi (flags + protocol) to every packet; ip's default is off
    bool vnet_hdr = false;       // prepend struct virtio_net_hdr (for offloads)
    bool multi_queue = false;    // several fds, one per queue
};

// The ifreq of ioctl(fd, TUNSETIFF, &ifr). Throws InvalidArgument for a bad name.
NSNET_LAZY NSNET_DECL ifreq tun_request(const TunRequest& r);

// A TUN/TAP device's settings as the kernel reports them (IFLA_INFO_DATA of kind "tun").
struct TunInfo {
    TunMode mode = TunMode::Tun;
    bool packet_info = false;
    bool vnet_hdr = false;
    bool outlives_fds = false;          // IFLA_TUN_PERSIST (TUNSETPERSIST, ip's "persist on")
    bool multi_queue = false;
    std::uint32_t queues = 0;           // attached queues (fds); reported for multi-queue devices only
    std::uint32_t disabled_queues = 0;  // likewise
    std::optional<std::uint32_t> user{};   // uid allowed to attach (TUNSETOWNER, ip's `user`), if set
    std::optional<std::uint32_t> group{};  // gid allowed to attach (TUNSETGROUP), if set

    // `ip -d link show`'s words: "tun type tun pi off vnet_hdr off persist on".
    NSNET_LAZY std::string to_string() const;
    friend bool operator==(const TunInfo&, const TunInfo&) = default;
};

NSNET_LAZY NSNET_DECL TunInfo decode_tun_data(nl::AttrRange data);

// The tun settings of a link read from the kernel; nullopt when it is not a TUN/TAP device.
NSNET_LAZY NSNET_DECL std::optional<TunInfo> decode_tun(const LinkInfo& link);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/tun.ipp"
#endif
