// nsnet/rtnl/addr.hpp — RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR messages, encoded and decoded.
//
// Layer: rtnetlink messages, no I/O.
#pragma once

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nl/message.hpp"

namespace nsnet::rtnl {

enum class Scope : unsigned char { Universe = RT_SCOPE_UNIVERSE, Site = RT_SCOPE_SITE, Link = RT_SCOPE_LINK, Host = RT_SCOPE_HOST, Nowhere = RT_SCOPE_NOWHERE };

// An interface address as the kernel holds it (ip addr show).
struct AddressInfo {
    int index = 0;             // interface
    Prefix prefix{};             // the local address with its prefix length
    std::optional<IpAddress> peer{};       // point-to-point peer (IFA_ADDRESS differs from IFA_LOCAL)
    std::optional<IpAddress> broadcast{};
    Scope scope = Scope::Universe;
    std::uint32_t flags = 0;   // IFA_F_PERMANENT, IFA_F_TENTATIVE, ...
    std::string label{};
};

// The type of rtnl::decode_address: a function object, so that the decoder can be passed by
// name (nl::dump_collect) and is still compiled only where it is called (DEVELOPERS.md).
struct AddressDecoder {
    NSNET_LAZY std::optional<AddressInfo> operator()(const nl::MessageView& m) const;  // decode_address(m)
};
// Decodes RTM_NEWADDR/RTM_DELADDR (from a dump or an event); nullopt for other message types.
inline constexpr AddressDecoder decode_address{};

struct AddressSpec {
    int index = 0;
    Prefix prefix{};                      // 10.10.10.1/24
    std::optional<IpAddress> peer{};      // ip addr add LOCAL peer PEER
    std::optional<IpAddress> broadcast{}; // brd ADDR (use Prefix::broadcast() for `brd +`)
    std::optional<Scope> scope{};
    std::string label{};                  // IPv4 only: "eth0:1"
    std::uint32_t flags = 0;              // IFA_F_NODAD, IFA_F_NOPREFIXROUTE, ... (`nodad`, `noprefixroute`)
};

// ip addr add|replace|del PREFIX [peer P] [brd +] [scope S] [label L] dev DEV, byte for byte
// (tests/unit/golden/addr_*.txt): IFA_LOCAL; then IFA_ADDRESS = the peer (parsed in place) or,
// without one, the local address, which ip adds after the label; IFA_BROADCAST (ip computes
// `brd +` last). Without a scope, 127.0.0.0/8 gets host scope as ip's default_scope() gives it.
// Flags that fit in a byte go in ifa_flags; larger ones (IFA_F_NOPREFIXROUTE, ...) in an IFA_FLAGS
// u32 before the implicit IFA_ADDRESS, as ip does (golden/addr_add_v6_nodad*.txt).
NSNET_LAZY NSNET_DECL nl::MessageBuilder address_message(std::uint16_t type, std::uint16_t flags, const AddressSpec& s);
NSNET_LAZY NSNET_DECL nl::MessageBuilder address_new(const AddressSpec& s, bool replace = false);
NSNET_LAZY inline nl::MessageBuilder address_del(const AddressSpec& s) { return address_message(RTM_DELADDR, 0, s); }

// ip addr show (dump), optionally one family.
NSNET_LAZY NSNET_DECL nl::MessageBuilder address_dump(unsigned char family = AF_UNSPEC);

}  // namespace nsnet::rtnl

#if NSNET_DEFINITIONS
#include "nsnet/impl/rtnl/addr.ipp"
#endif
