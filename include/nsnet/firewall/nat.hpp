// nsnet/firewall/nat.hpp — source and destination NAT as RAII objects: Masquerade, Snat, Dnat
// (port forwards), in nsnet's table `ip nsnet` (firewall/table.hpp).
//
// The tutorial's
//   iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
//   iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.10.10:80
// become
//   auto m = Masquerade::add(docker, {.source = Prefix::parse("172.17.0.0/16"), .not_out_interface = "docker0"});
//   auto d = Dnat::add(docker, {.protocol = L4Protocol::Tcp, .port = 8080,
//                               .to = IpAddress::parse("172.17.10.10"), .to_port = 80});
// and `nft list ruleset` in that namespace shows
//   table ip nsnet {
//       comment "managed by nsnet"
//       chain postrouting { type nat hook postrouting priority srcnat; policy accept;
//           ip saddr 172.17.0.0/16 oifname != "docker0" masquerade }
//       chain prerouting { type nat hook prerouting priority dstnat; policy accept;
//           tcp dport 8080 dnat to 172.17.10.10:80 } }
//
// MasqueradeOptions/SnatOptions need a source, or all_sources = true (no silent match-all).
// IPv6, inet tables, port ranges, conntrack and mark matches: firewall/rule.hpp.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"

namespace nsnet {


// Where a DNAT applies: packets arriving from outside (PREROUTING) or packets this namespace
// itself sends (OUTPUT: `iptables -t nat -A OUTPUT ... -j DNAT`).
enum class DnatHook { Prerouting, Output };

// -s SOURCE [! -o IF | -o IF] -j MASQUERADE  (postrouting)
struct MasqueradeOptions {
    // 172.17.0.0/16. Required: masquerading every source must be asked for with all_sources
    // (issue 13: `Masquerade::add(ns, {})` used to rewrite every packet leaving the namespace).
    std::optional<Prefix> source{};
    bool all_sources = false;            // no source match (-s 0.0.0.0/0)
    std::string not_out_interface{};     // ! -o docker0: leaving through any interface but this one
    std::string out_interface{};         // -o ens41: leaving through this interface only
    bool counter = false;                // count matching packets (RuleCounters)
};

// -s SOURCE [-o IF | ! -o IF] -j SNAT --to-source TO  (postrouting)
struct SnatOptions {
    std::optional<Prefix> source{};      // required, as for MasqueradeOptions
    bool all_sources = false;
    IpAddress to{};
    std::string out_interface{};
    std::string not_out_interface{};
    bool counter = false;
};

// -p tcp|udp --dport PORT [-i IF] [-d DST] -j DNAT --to-destination TO[:TO_PORT]
struct DnatOptions {
    L4Protocol protocol = L4Protocol::Tcp;
    int port = 0;                            // the destination port matched (1..65535; int, so 65536 is refused, not wrapped)
    IpAddress to{};                          // the new destination address
    std::optional<int> to_port{};            // the new destination port, 1..65535 (unchanged when empty)
    std::string in_interface{};              // -i ens41 (Prerouting only)
    std::optional<Prefix> destination{};     // -d 192.168.54.230
    DnatHook hook = DnatHook::Prerouting;    // Output: for traffic this namespace originates
    bool counter = false;
};

namespace detail {
NSNET_DECL std::shared_ptr<NftRuleState> masquerade_state(const NetnsRef& ns, const MasqueradeOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> snat_state(const NetnsRef& ns, const SnatOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> dnat_state(const NetnsRef& ns, const DnatOptions& o);
}  // namespace detail

// ip saddr SOURCE oifname != "IF" masquerade
// (iptables -t nat -A POSTROUTING -s SOURCE ! -o IF -j MASQUERADE)
class Masquerade : public NftRule {
public:
    Masquerade() = default;
    static Masquerade add(const NetnsRef& netns, const MasqueradeOptions& options);

private:
    friend class NatBatch;
    using NftRule::NftRule;
};

// ip saddr SOURCE snat to ADDRESS  (iptables -t nat -A POSTROUTING -s SOURCE -j SNAT --to-source ADDRESS)
class Snat : public NftRule {
public:
    Snat() = default;
    static Snat add(const NetnsRef& netns, const SnatOptions& options);

private:
    friend class NatBatch;
    using NftRule::NftRule;
};

// tcp dport PORT dnat to ADDRESS:TO_PORT
// (iptables -t nat -A PREROUTING|OUTPUT -p tcp --dport PORT -j DNAT --to-destination ADDRESS:TO_PORT)
class Dnat : public NftRule {
public:
    Dnat() = default;
    static Dnat add(const NetnsRef& netns, const DnatOptions& options);

private:
    friend class NatBatch;
    using NftRule::NftRule;
};
using PortForward = Dnat;

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL std::shared_ptr<NftRuleState> masquerade_state(const NetnsRef& ns, const MasqueradeOptions& o) {
    const char* op = "add masquerade rule";
    const Prefix source = require_source(o.source, o.all_sources, op, "MasqueradeOptions");
    check_ifname(o.out_interface, op);
    check_ifname(o.not_out_interface, op);
    if (!o.out_interface.empty() && !o.not_out_interface.empty())
        invalid_argument(op, o.out_interface, "give out_interface or not_out_interface, not both ('" + o.out_interface +
                                                  "' and '" + o.not_out_interface + "')");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = nat_chain(nft::Hook::Postrouting);
    add_prefix(*st, true, source);
    add_ifname(*st, false, o.out_interface, false);
    add_ifname(*st, false, o.not_out_interface, true);
    add_counter(*st, o.counter);
    nft::detail::append(st->exprs, nft::masquerade());
    add_words(*st, "masquerade");
    return st;
}

NSNET_DECL std::shared_ptr<NftRuleState> snat_state(const NetnsRef& ns, const SnatOptions& o) {
    const char* op = "add snat rule";
    const Prefix source = require_source(o.source, o.all_sources, op, "SnatOptions");
    check_v4(o.to, op, "SNAT address");
    if (o.to.is_unspecified()) invalid_argument(op, o.to.to_string(), "SNAT to 0.0.0.0 is not an address");
    check_ifname(o.out_interface, op);
    check_ifname(o.not_out_interface, op);
    if (!o.out_interface.empty() && !o.not_out_interface.empty())
        invalid_argument(op, o.out_interface, "give out_interface or not_out_interface, not both");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = nat_chain(nft::Hook::Postrouting);
    add_prefix(*st, true, source);
    add_ifname(*st, false, o.out_interface, false);
    add_ifname(*st, false, o.not_out_interface, true);
    add_counter(*st, o.counter);
    nft::detail::append(st->exprs, nft::snat_to(o.to));
    add_words(*st, "snat to " + o.to.to_string());
    return st;
}

NSNET_DECL std::shared_ptr<NftRuleState> dnat_state(const NetnsRef& ns, const DnatOptions& o) {
    const char* op = "add dnat rule";
    check_port(o.port, op, "the matched destination port");
    if (o.to_port) check_port(*o.to_port, op, "the new destination port");
    check_v4(o.to, op, "DNAT address");
    if (o.to.is_unspecified()) invalid_argument(op, o.to.to_string(), "DNAT to 0.0.0.0 is not an address");
    if (o.destination) check_v4(*o.destination, op, "destination");
    check_ifname(o.in_interface, op);
    if (o.hook == DnatHook::Output && !o.in_interface.empty())
        invalid_argument(op, o.in_interface,
                         "in_interface '" + o.in_interface + "' cannot match in the output hook: locally originated "
                         "packets have no input interface");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = nat_chain(o.hook == DnatHook::Output ? nft::Hook::Output : nft::Hook::Prerouting);
    add_ifname(*st, true, o.in_interface, false);
    if (o.destination) add_prefix(*st, false, *o.destination);
    add_dport(*st, o.protocol, static_cast<std::uint16_t>(o.port));
    add_counter(*st, o.counter);
    std::optional<std::uint16_t> to_port{};
    if (o.to_port) to_port = static_cast<std::uint16_t>(*o.to_port);
    nft::detail::append(st->exprs, nft::dnat_to(o.to, to_port));
    add_words(*st, "dnat to " + o.to.to_string() + (o.to_port ? ":" + std::to_string(*o.to_port) : std::string()));
    return st;
}

}  // namespace detail

NSNET_DECL Masquerade Masquerade::add(const NetnsRef& netns, const MasqueradeOptions& options) {
    detail::TableBatch b(netns);
    Masquerade m(b.queue(detail::masquerade_state(b.netns(), options)));
    b.commit();
    return m;
}

NSNET_DECL Snat Snat::add(const NetnsRef& netns, const SnatOptions& options) {
    detail::TableBatch b(netns);
    Snat r(b.queue(detail::snat_state(b.netns(), options)));
    b.commit();
    return r;
}

NSNET_DECL Dnat Dnat::add(const NetnsRef& netns, const DnatOptions& options) {
    detail::TableBatch b(netns);
    Dnat r(b.queue(detail::dnat_state(b.netns(), options)));
    b.commit();
    return r;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
