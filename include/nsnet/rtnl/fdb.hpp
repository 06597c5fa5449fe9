// nsnet/rtnl/fdb.hpp — forwarding database (FDB) entries: RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH
// with family AF_BRIDGE, encoded and decoded.
//
// Layer: rtnetlink messages, no I/O. These are the messages of `bridge fdb add|append|replace|del
// |show`: an entry maps a MAC address to where frames for it go — a bridge port (NTF_MASTER: the
// bridge's table) or, on a vxlan device (NTF_SELF: the device's own table), a remote tunnel
// endpoint (NDA_DST, optionally with its own UDP port, VNI and outgoing device). The all-zeros MAC
// is the vxlan's default entry: `append` adds one more remote to it, and broadcast/unknown
// frames are copied to every remote listed there (head-end replication). The bytes equal
// iproute2 6.1's (tests/unit/golden): ndmsg, then NDA_LLADDR, NDA_DST, NDA_VLAN, NDA_PORT
// (big endian), NDA_VNI, NDA_IFINDEX. It does not do IP neighbours (ARP/NDP; family AF_INET*).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::rtnl {

// How long an entry lives (bridge's words). The values are the ndm_state bits bridge sends.
enum class FdbState : std::uint16_t {
    Permanent = NUD_PERMANENT | NUD_NOARP,  // `permanent` (bridge's default): never ages, never moves
    Static = NUD_NOARP | NUD_REACHABLE,     // `static`: never ages, but not a local address
    Dynamic = NUD_REACHABLE,                // `dynamic`: ages out like a learned entry
};

// Whose table the entry goes to: the device's own (`self`: a vxlan's remotes, a NIC's filter) or
// the bridge the device is a port of (`master`). The values are the ndm_flags bits.
enum class FdbTable : std::uint8_t {
    Self = NTF_SELF,
    Master = NTF_MASTER,
    SelfAndMaster = NTF_SELF | NTF_MASTER,
};

// How a new entry meets existing ones of the same MAC (the nlmsg flags of RTM_NEWNEIGH).
enum class FdbMode : std::uint16_t {
    Add = NLM_F_CREATE | NLM_F_EXCL,         // bridge fdb add: an existing entry is an error (EEXIST)
    Append = NLM_F_CREATE | NLM_F_APPEND,    // bridge fdb append: one more remote for the same MAC (vxlan)
    Replace = NLM_F_CREATE | NLM_F_REPLACE,  // bridge fdb replace: create or overwrite
};

// One entry to add or delete: `bridge fdb add MAC dev DEV [dst IP] [vlan V] [port P] [vni N] [via DEV]`.
struct FdbSpec {
    int index = 0;                       // dev: the vxlan or bridge port (ifindex)
    MacAddress mac{};                    // 00:00:00:00:00:00 = the vxlan default entry
    std::optional<IpAddress> dst{};      // remote VTEP (vxlan)
    std::optional<std::uint16_t> vlan{}; // bridge VLAN id 1..4094
    std::optional<std::uint16_t> port{}; // remote UDP port, if not the vxlan's dstport
    std::optional<std::uint32_t> vni{};  // remote VNI, if not the vxlan's id
    int via = 0;                         // outgoing underlay device (ifindex), 0: by route
    FdbState state = FdbState::Permanent;
    FdbTable table = FdbTable::Self;
};

NSNET_LAZY NSNET_DECL void validate_fdb(const FdbSpec& s, const std::string& operation, const std::string& object);

NSNET_LAZY NSNET_DECL nl::MessageBuilder fdb_message(std::uint16_t type, std::uint16_t flags, const FdbSpec& s);

// bridge fdb add|append|replace MAC dev DEV ...
NSNET_LAZY NSNET_DECL nl::MessageBuilder fdb_new(const FdbSpec& s, FdbMode mode = FdbMode::Add);
// bridge fdb del MAC dev DEV [dst IP] ...: with a dst, only that remote of the entry goes.
NSNET_LAZY NSNET_DECL nl::MessageBuilder fdb_del(const FdbSpec& s);
// bridge fdb show [dev DEV]: a dump of every AF_BRIDGE neighbour. `index` goes into the request
// as bridge does, but the kernel only filters by it for strict-checking sockets; callers filter
// the replies by FdbInfo::index as bridge itself does.
NSNET_LAZY NSNET_DECL nl::MessageBuilder fdb_dump(int index = 0);

// An FDB entry as the kernel reports it (one line of `bridge fdb show`). A vxlan entry with several
// remotes (the all-zeros default entry after `append`s) comes as one FdbInfo per remote.
struct FdbInfo {
    int index = 0;                        // dev
    MacAddress mac{};
    std::optional<IpAddress> dst{};
    std::optional<std::uint16_t> vlan{};
    std::optional<std::uint16_t> port{};  // only when it differs from the device's dstport
    std::optional<std::uint32_t> vni{};   // only when it differs from the device's VNI
    std::optional<std::uint32_t> src_vni{};
    int via = 0;                          // NDA_IFINDEX: the underlay device for this remote
    int master = 0;                       // NDA_MASTER: the bridge, for NTF_MASTER entries
    std::optional<std::int32_t> link_netnsid{};
    std::optional<std::uint32_t> nexthop_id{};
    std::uint16_t state = 0;              // NUD_* bits
    std::uint8_t flags = 0;               // NTF_* bits
    std::uint32_t updated_centiseconds = 0;  // NDA_CACHEINFO ndm_updated: time since last update (1/100 s)

    bool self() const noexcept { return flags & NTF_SELF; }
    // In a bridge's table: the bridge reports its entries with NDA_MASTER (and ndm_flags 0).
    bool in_master() const noexcept { return master != 0 || (flags & NTF_MASTER); }
    bool extern_learned() const noexcept { return flags & NTF_EXT_LEARNED; }
    bool permanent() const noexcept { return state & NUD_PERMANENT; }
    bool is_static() const noexcept { return !(state & NUD_PERMANENT) && (state & NUD_NOARP); }
    // Learned from traffic (or added as `dynamic`): it ages out.
    bool dynamic() const noexcept { return !(state & (NUD_PERMANENT | NUD_NOARP)); }

    // The entry as `bridge fdb show` prints it: "02:00:00:00:00:09 dev vx0 dst 172.16.0.30 self
    // permanent". `name` turns an ifindex into a device name (default: "#ifindex"); show_dev=false
    // leaves out "dev NAME", as `bridge fdb show dev NAME` does.
    NSNET_LAZY std::string to_string(nsnet::detail::FunctionRef<std::string(int)> name = {}, bool show_dev = true) const;
};

// The type of rtnl::decode_fdb: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct FdbDecoder {
    NSNET_LAZY std::optional<FdbInfo> operator()(const nl::MessageView& m) const;  // decode_fdb(m)
};
// Decodes an AF_BRIDGE RTM_NEWNEIGH/RTM_DELNEIGH (dump reply or event); nullopt for anything else
// (IP neighbours included).
inline constexpr FdbDecoder decode_fdb{};

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/fdb.ipp"
#endif
