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

NSNET_DECL std::optional<AddressInfo> decode_address(const nl::MessageView& m);

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
NSNET_DECL nl::MessageBuilder address_message(std::uint16_t type, std::uint16_t flags, const AddressSpec& s);
NSNET_DECL nl::MessageBuilder address_new(const AddressSpec& s, bool replace = false);
inline nl::MessageBuilder address_del(const AddressSpec& s) { return address_message(RTM_DELADDR, 0, s); }

// ip addr show (dump), optionally one family.
NSNET_DECL nl::MessageBuilder address_dump(unsigned char family = AF_UNSPEC);

#if NSNET_DEFINITIONS

NSNET_DECL std::optional<AddressInfo> decode_address(const nl::MessageView& m) {
    if (m.type() != RTM_NEWADDR && m.type() != RTM_DELADDR) return std::nullopt;
    auto ifa = m.family_header<ifaddrmsg>();
    AddressInfo a{};
    a.index = static_cast<int>(ifa.ifa_index);
    a.scope = static_cast<Scope>(ifa.ifa_scope);
    a.flags = ifa.ifa_flags;
    std::optional<IpAddress> local, address{};
    for (nl::Attr at : m.attrs<ifaddrmsg>()) {
        switch (at.type()) {
            case IFA_LOCAL: local = at.ip(); break;
            case IFA_ADDRESS: address = at.ip(); break;
            case IFA_BROADCAST: a.broadcast = at.ip(); break;
            case IFA_LABEL: a.label = std::string(at.str()); break;
            case IFA_FLAGS: a.flags = at.u32(); break;
            default: break;
        }
    }
    // IPv6 addresses carry only IFA_ADDRESS; IPv4 carries both (they differ on point-to-point links).
    IpAddress mine = local ? *local : address ? *address : IpAddress();
    if (!local && !address) return std::nullopt;
    if (ifa.ifa_prefixlen > mine.size() * 8)
        nl::malformed("address prefix length " + std::to_string(ifa.ifa_prefixlen) + " exceeds " +
                      std::to_string(mine.size() * 8));
    a.prefix = Prefix(mine, ifa.ifa_prefixlen);
    if (local && address && *local != *address) a.peer = address;
    return a;
}

NSNET_DECL nl::MessageBuilder address_message(std::uint16_t type, std::uint16_t flags, const AddressSpec& s) {
    nl::MessageBuilder m(type, flags);
    ifaddrmsg ifa{};
    ifa.ifa_family = static_cast<unsigned char>(s.prefix.address().af());
    ifa.ifa_prefixlen = static_cast<unsigned char>(s.prefix.length());
    ifa.ifa_index = static_cast<unsigned>(s.index);
    if (s.flags <= 0xff) ifa.ifa_flags = static_cast<unsigned char>(s.flags);
    if (s.scope) ifa.ifa_scope = static_cast<unsigned char>(*s.scope);
    else if (type != RTM_DELADDR && s.prefix.address().is_v4() && s.prefix.address().data()[0] == 127)
        ifa.ifa_scope = RT_SCOPE_HOST;
    m.put_header(ifa);
    m.put_ip(IFA_LOCAL, s.prefix.address());
    if (s.peer) m.put_ip(IFA_ADDRESS, *s.peer);
    if (!s.label.empty()) {
        validate_address_label(s.label, type == RTM_DELADDR ? "delete address" : "add address", s.prefix.to_string());
        m.put_string(IFA_LABEL, s.label);
    }
    if (s.flags > 0xff) m.put_u32(IFA_FLAGS, s.flags);
    if (!s.peer) m.put_ip(IFA_ADDRESS, s.prefix.address());
    if (s.broadcast) m.put_ip(IFA_BROADCAST, *s.broadcast);
    return m;
}

NSNET_DECL nl::MessageBuilder address_new(const AddressSpec& s, bool replace) {
    return address_message(RTM_NEWADDR, replace ? (NLM_F_CREATE | NLM_F_REPLACE) : (NLM_F_CREATE | NLM_F_EXCL), s);
}

NSNET_DECL nl::MessageBuilder address_dump(unsigned char family) {
    nl::MessageBuilder m(RTM_GETADDR, NLM_F_DUMP);
    ifaddrmsg ifa{};
    ifa.ifa_family = family;
    m.put_header(ifa);
    return m;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet::rtnl
