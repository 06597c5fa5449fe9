// nsnet/fdb.hpp — Fdb: the forwarding database of a vxlan or a bridge port (`bridge fdb ...`).
//
// Layer: typed objects. An Fdb is a view of one device's entries; it owns nothing (entries die
// with their device). On a vxlan, entries map MACs to remote VTEPs; the all-zeros MAC is the
// default destination, and each `append` to it adds one more remote that broadcast and unknown
// frames are copied to (head-end replication):
//
//   nsnet::Fdb(vx0).append({.dst = nsnet::IpAddress::parse("172.16.0.30")});
//       // bridge fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.30
//   for (auto& e : vx0.fdb().list()) if (e.dynamic()) ...   // learned: bridge fdb show dev vx0
//
// On a bridge port, use .table = FdbTable::Master (bridge fdb add MAC dev PORT master static).
// The Bridge itself is nsnet/bridge.hpp. IP neighbours (ARP/NDP) are not FDB entries.
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/link.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/fdb.hpp"

namespace nsnet {

using FdbState = rtnl::FdbState;
using FdbTable = rtnl::FdbTable;
using FdbInfo = rtnl::FdbInfo;

// One entry: bridge fdb add MAC dev DEV [dst IP] [vlan V] [port P] [vni N] [via DEV] [self|master]
// [permanent|static|dynamic]. The defaults are bridge's: all-zeros MAC, self, permanent.
struct FdbEntry {
    MacAddress mac{};                    // 00:00:00:00:00:00: the vxlan default (flood) entry
    std::optional<IpAddress> dst{};      // remote VTEP of a vxlan
    std::optional<std::uint16_t> vlan{};
    std::optional<std::uint16_t> port{}; // remote UDP port, when not the vxlan's dstport
    std::optional<std::uint32_t> vni{};  // remote VNI, when not the vxlan's id
    std::string via{};                   // underlay device for this remote (same namespace)
    FdbState state = FdbState::Permanent;
    FdbTable table = FdbTable::Self;
};

class Fdb {
public:
    explicit Fdb(Link device) : device_(std::move(device)) {}

    const Link& device() const noexcept { return device_; }

    // bridge fdb add MAC dev DEV ...: an existing entry for the MAC is an error (EEXIST).
    void add(const FdbEntry& e);
    // bridge fdb append MAC dev DEV dst IP: one more remote for the MAC (vxlan).
    void append(const FdbEntry& e);
    // bridge fdb replace MAC dev DEV ...: create or overwrite.
    void replace(const FdbEntry& e);
    // bridge fdb del MAC dev DEV [dst IP]: with a dst, only that remote of the MAC goes.
    void remove(const FdbEntry& e);

    // bridge fdb show dev DEV: the device's entries, permanent and learned.
    std::vector<FdbInfo> list() const;
    // The entries for one MAC (a vxlan's all-zeros entry gives one FdbInfo per remote).
    std::vector<FdbInfo> find(const MacAddress& mac) const;
    // `bridge fdb show dev DEV` as text, one entry per line, devices named.
    std::string show() const;

    // bridge fdb show: every AF_BRIDGE entry of the namespace (all devices and bridge ports).
    static std::vector<FdbInfo> list_all(const NetnsRef& netns);
    // Entries as `bridge fdb show` prints them, ifindexes resolved to names in `netns`, one per line.
    static std::string format(const NetnsRef& netns, const std::vector<FdbInfo>& entries, bool show_dev = true);

private:
    static std::string describe(const FdbEntry& e);
    rtnl::FdbSpec to_spec(const FdbEntry& e, const std::string& verb) const;
    void modify(const FdbEntry& e, rtnl::FdbMode mode, const std::string& verb);
    void request(const std::string& op, nl::MessageBuilder msg) const;

    Link device_;
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/fdb.ipp"
#endif
