// nsnet/fdb.hpp — forwarding database entries of a vxlan or a bridge port (`bridge fdb ...`).
//
// Layer: typed objects. FDB entries follow the object convention (DEVELOPERS.md), as routes do:
// FdbEntry::create/append/replace return an owner that removes its entry (or, for an append, its
// one remote) when destroyed unless persist()ed; a later process removes a kept entry with the
// static FdbEntry::remove(ns, options). On a vxlan, entries map MACs to remote VTEPs; the
// all-zeros MAC (an unset `.mac`) is the default destination, and each `append` to it adds one
// more remote that broadcast and unknown frames are copied to (head-end replication):
//
//   nsnet::FdbEntry::append(ns, {.dev = vx0, .dst = "172.16.0.30"}).persist();
//       // bridge fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.30
//   for (auto& e : nsnet::FdbEntry::list(ns, {.dev = vx0})) if (e.dynamic()) ...   // learned
//   std::string text = nsnet::show_fdb(ns, {.dev = vx0});                          // bridge fdb show dev vx0
//
// On a bridge port, use .table = FdbTable::Master (bridge fdb add MAC dev PORT master static).
// Everything is checked before anything is sent; errors name the field and the value
// ("FdbOptions.vlan 4095 is outside 1..4094"). The Bridge itself is nsnet/bridge.hpp. IP
// neighbours (ARP/NDP) are not FDB entries (neighbor.hpp).
#pragma once

#include "nsnet/ip.hpp"  // first: glibc's <netinet/in.h> must precede <linux/libc-compat.h> users (<linux/if.h>, <linux/in6.h>)

#include <optional>
#include <string>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/fdb.hpp"

namespace nsnet {

using FdbState = rtnl::FdbState;  // permanent (bridge's default), static, dynamic
using FdbTable = rtnl::FdbTable;  // self (the device's own table) or master (its bridge's)
using FdbInfo = rtnl::FdbInfo;    // an entry as the kernel reports it (FdbEntry::list, get)

// What `bridge fdb add|append|replace|del MAC dev DEV [dst IP] [vlan V] [port P] [vni N] [via DEV]
// [self|master] [permanent|static|dynamic]` takes. The defaults are bridge's: all-zeros MAC, self,
// permanent.
struct FdbOptions {
    DeviceArg dev{};                      // the vxlan or bridge port: a name, ifindex, link or owner (required)
    MacArg mac{};                         // "02:00:00:00:00:09" or a MacAddress; unset: 00:00:00:00:00:00 (a vxlan's default entry)
    AddressArg dst{};                     // remote VTEP of a vxlan: "172.16.0.30" or an IpAddress
    std::optional<std::uint16_t> vlan{};  // bridge VLAN id 1..4094
    std::uint16_t port = 0;               // remote UDP port, when not the vxlan's dstport; 0: not given
    std::optional<std::uint32_t> vni{};   // remote VNI, when not the vxlan's id (0..2^24-1)
    DeviceArg via{};                      // underlay device for this remote (same namespace)
    FdbState state = FdbState::Permanent; // `permanent` (bridge's default), `static` or `dynamic`
    FdbTable table = FdbTable::Self;      // `self` (the device's table) or `master` (its bridge's)
};

// Which entry FdbEntry::get/find look up.
struct FdbKey {
    DeviceArg dev{};                      // the vxlan or bridge port (required)
    MacArg mac{};                         // unset: 00:00:00:00:00:00
    AddressArg dst{};                     // one remote of a vxlan entry; unset: any
    std::optional<std::uint16_t> vlan{};  // the entry of this VLAN; unset: the entry without a VLAN
};

// Which entries FdbEntry::list and show_fdb return (`bridge fdb show [dev DEV]`).
struct FdbFilter {
    DeviceArg dev{};   // one device; unset: every AF_BRIDGE entry of the namespace (all devices and ports)
    MacArg mac{};      // one MAC (a vxlan's all-zeros entry gives one FdbInfo per remote); unset: every MAC
};

namespace detail {

// A parsed, resolved FDB request and its `bridge fdb` text for messages ("02:00:00:00:00:09 dev vx0 dst ...").
struct ResolvedFdb {
    rtnl::FdbSpec spec{};
    std::string shown{};
};

// Parses and checks FdbOptions (devices resolved in `ns`). Nothing is sent.
NSNET_LAZY NSNET_DECL ResolvedFdb resolve_fdb(const NetnsRef& ns, const FdbOptions& o, const std::string& operation);

}  // namespace detail

// An FDB entry (or one remote of one) nsnet made, as a plain copyable value: its namespace and the
// request that names it. This is what FdbEntry owns and what FdbEntry::release() hands back.
class FdbEntryRef {
public:
    FdbEntryRef() = default;
    // The entry `spec` in `ns`, named `description` in errors.
    FdbEntryRef(NetnsRef ns, rtnl::FdbSpec spec, std::string description) noexcept
        : ns_(std::move(ns)), spec_(std::move(spec)), description_(std::move(description)) {}

    // The namespace the entry is in.
    const NetnsRef& netns() const noexcept { return ns_; }
    // The resolved request (addresses parsed, devices as ifindexes).
    const rtnl::FdbSpec& spec() const noexcept { return spec_; }
    // The entry as `bridge fdb` names it, e.g. "00:00:00:00:00:00 dev vx0 dst 172.16.0.30".
    const std::string& description() const noexcept { return description_; }
    // bridge fdb del MAC dev DEV [dst IP ...] of exactly this entry (with a dst, only that remote).
    // An entry already gone (ENOENT), with its device (ENODEV) or namespace, is success.
    NSNET_LAZY void remove() const;

private:
    NetnsRef ns_{};
    rtnl::FdbSpec spec_{};
    std::string description_{};
};

// An FDB entry nsnet created: removed on destruction unless persist()ed (detail::Owner). Move-only.
class FdbEntry : public detail::Owner<FdbEntryRef> {
public:
    FdbEntry() = default;

    // bridge fdb add MAC dev DEV ... in `ns`: an existing entry for the MAC is Error(EEXIST). When
    // the kernel's answer is lost, the entry is removed again (no leftovers) and the Error says so.
    NSNET_LAZY [[nodiscard]] static FdbEntry create(const NetnsRef& ns, const FdbOptions& options);
    // bridge fdb append MAC dev DEV dst IP: one more remote for the MAC (vxlan). The owner removes
    // that remote only.
    NSNET_LAZY [[nodiscard]] static FdbEntry append(const NetnsRef& ns, const FdbOptions& options);
    // bridge fdb replace MAC dev DEV ...: creates the entry or overwrites it. The owner removes it
    // (it does not restore what was replaced).
    NSNET_LAZY [[nodiscard]] static FdbEntry replace(const NetnsRef& ns, const FdbOptions& options);

    // bridge fdb show [dev DEV]: the entries of `ns`, permanent and learned.
    NSNET_LAZY static std::vector<FdbInfo> list(const NetnsRef& ns, const FdbFilter& filter = {});
    // The entry of key.mac (and key.vlan, and key.dst when given) on key.dev; none (or no such
    // device) is Error(ENOENT/ENODEV) naming it.
    NSNET_LAZY static FdbInfo get(const NetnsRef& ns, const FdbKey& key);
    // As get(), but no such entry or device is nullopt.
    NSNET_LAZY static std::optional<FdbInfo> find(const NetnsRef& ns, const FdbKey& key);

    // bridge fdb del MAC dev DEV [dst IP] ...: with a dst, only that remote of the MAC goes (state
    // is not looked at), e.g. an entry a previous process created and persisted. None (or its
    // device gone) is success.
    NSNET_LAZY static void remove(const NetnsRef& ns, const FdbOptions& options);
    // Removes this entry now (idempotent; see FdbEntryRef::remove).
    using detail::Owner<FdbEntryRef>::remove;

    // The namespace the entry is in.
    const NetnsRef& netns() const noexcept { return handle().netns(); }
    // The entry as `bridge fdb` names it, e.g. "02:00:00:00:00:09 dev vx0 dst 172.16.0.30".
    const std::string& description() const noexcept { return handle().description(); }

private:
    NSNET_LAZY explicit FdbEntry(FdbEntryRef r) noexcept : detail::Owner<FdbEntryRef>(std::move(r)) {}
    NSNET_LAZY static FdbEntry write(const NetnsRef& ns, const FdbOptions& options, rtnl::FdbMode mode, const char* operation);
};

// `bridge fdb show [dev DEV]` as text, one entry per line, devices named (without "dev NAME" when
// filter.dev is given, as bridge prints it).
NSNET_LAZY NSNET_DECL std::string show_fdb(const NetnsRef& ns, const FdbFilter& filter = {});
// Entries as `bridge fdb show` prints them, ifindexes resolved to names in `ns`, one per line.
NSNET_LAZY NSNET_DECL std::string format_fdb(const NetnsRef& ns, const std::vector<FdbInfo>& entries, bool show_dev = true);

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/fdb.ipp"
#endif
