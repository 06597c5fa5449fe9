// nsnet/firewall/nat.hpp — source and destination NAT as owned objects: Masquerade, Snat, Dnat
// (port forwards), in nsnet's table `ip nsnet` (firewall/table.hpp).
//
// The tutorial's
//   iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
//   iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.10.10:80
// become
//   using namespace nsnet::firewall;
//   auto m = Masquerade::create(docker, {.saddr = "172.17.0.0/16", .oif = "docker0", .oif_negate = true});
//   auto d = Dnat::create(docker, {.protocol = Protocol::Tcp, .dport = 8080, .to = "172.17.10.10", .to_port = 80});
// and `nft list ruleset` in that namespace shows
//   table ip nsnet {
//       comment "managed by nsnet"
//       chain postrouting { type nat hook postrouting priority srcnat; policy accept;
//           ip saddr 172.17.0.0/16 oifname != "docker0" masquerade }
//       chain prerouting { type nat hook prerouting priority dstnat; policy accept;
//           tcp dport 8080 dnat to 172.17.10.10:80 } }
//
// Option names are nft's words: saddr/daddr, iif/oif (interface names, as `iifname`/`oifname`
// match them), dport; a match is negated with the same name plus `_negate` (`oifname != "docker0"`),
// as in firewall::Match. Addresses and prefixes are text or typed (AddressArg/PrefixArg); a bad one
// is an InvalidArgument naming the field. Ports are std::uint16_t; 0 means "not given".
// MasqueradeOptions/SnatOptions need a saddr, or match_all = true (no silent match-all).
//
// Ownership (the object convention): create() returns an owner that removes its rule when
// destroyed unless persist()ed; with `.owner = id` a later process finds (`Dnat::list(ns,
// {.owner = id})`, `Dnat::find(ns, handle or tag)`), adopts or removes (`Dnat::remove(ns, handle)`,
// `Dnat::remove_owned(ns, id)`) them (firewall/nft_rule.hpp, RuleKind).
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

namespace nsnet::firewall {

// ip saddr SADDR [oifname [!=] OIF] masquerade   (iptables -t nat -A POSTROUTING -s SADDR [!] -o OIF -j MASQUERADE)
struct MasqueradeOptions {
    // 172.17.0.0/16 (IPv4). Required: masquerading every source must be asked for with match_all
    // (issue 13: `Masquerade::add(ns, {})` used to rewrite every packet leaving the namespace).
    PrefixArg saddr{};
    bool match_all = false;   // no saddr match: every source (ip saddr 0.0.0.0/0)
    DeviceArg oif{};          // oifname "ens41": leaving through this interface only (a name, which need not exist yet, or a Link/owner/ifindex in the rule's namespace)
    bool oif_negate = false;  // oifname != "docker0": leaving through any interface but oif
    bool counter = false;     // count matching packets (NftRule::counters)
    std::string owner{};      // recorded in the rule's comment: Masquerade::list(ns, {.owner}), remove_owned
};

// ip saddr SADDR [oifname [!=] OIF] snat to TO   (iptables -t nat -A POSTROUTING -s SADDR -j SNAT --to-source TO)
struct SnatOptions {
    PrefixArg saddr{};        // required unless match_all, as for MasqueradeOptions
    bool match_all = false;   // no saddr match: every source
    AddressArg to{};          // the new source address (IPv4, required)
    DeviceArg oif{};          // oifname "ens41" (as MasqueradeOptions.oif)
    bool oif_negate = false;  // oifname != "ens41"
    bool counter = false;     // count matching packets
    std::string owner{};      // recorded in the rule's comment
};

// [iifname IIF] [ip daddr DADDR] tcp|udp dport DPORT dnat to TO[:TO_PORT]
// (iptables -t nat -A PREROUTING|OUTPUT -p tcp --dport DPORT -j DNAT --to-destination TO[:TO_PORT])
struct DnatOptions {
    Protocol protocol = Protocol::Tcp;  // tcp or udp
    std::uint16_t dport = 0;            // the destination port matched (required, 1..65535)
    AddressArg to{};                    // the new destination address (IPv4, required)
    std::uint16_t to_port = 0;          // the new destination port; 0: unchanged
    DeviceArg iif{};                    // iifname "ens41" (Hook::Prerouting only; as MasqueradeOptions.oif)
    PrefixArg daddr{};                  // ip daddr 192.168.54.230 (empty: any)
    // Hook::Prerouting: packets arriving from outside; Hook::Output: packets this namespace itself
    // sends (`iptables -t nat -A OUTPUT ... -j DNAT`). No other hook.
    Hook hook = Hook::Prerouting;
    bool counter = false;               // count matching packets
    std::string owner{};                // recorded in the rule's comment
};

}  // namespace nsnet::firewall

namespace nsnet::detail {
// The rule each options struct describes (checked; InvalidArgument naming the field otherwise).
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> masquerade_state(const NetnsRef& ns, const firewall::MasqueradeOptions& o);
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> snat_state(const NetnsRef& ns, const firewall::SnatOptions& o);
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> dnat_state(const NetnsRef& ns, const firewall::DnatOptions& o);
// Whether r holds a NAT statement of this type.
NSNET_LAZY NSNET_DECL bool has_nat(const nft::Rule& r, nft::NatType type);
}  // namespace nsnet::detail

namespace nsnet::firewall {

// ip saddr SADDR oifname != "IF" masquerade, owned (removed when destroyed unless persisted).
class Masquerade : public RuleKind<Masquerade> {
public:
    Masquerade() = default;
    // nft add rule ip nsnet postrouting ... masquerade comment "[owner:OWNER ]nsnet:TAG"
    NSNET_LAZY static Masquerade create(const NetnsRef& ns, const MasqueradeOptions& options);

    // A rule of table ip nsnet with a masquerade statement (for list/find/adopt/remove).
    NSNET_LAZY static bool is_kind(const nft::Rule& r);
    // How errors name the kind ("no masquerade rule with that handle").
    static constexpr const char* kind_name = "masquerade rule";

private:
    friend class Batch;
    friend class RuleKind<Masquerade>;
    using RuleKind::RuleKind;
};

// ip saddr SADDR snat to ADDRESS, owned.
class Snat : public RuleKind<Snat> {
public:
    Snat() = default;
    // nft add rule ip nsnet postrouting ... snat to ADDRESS comment "..."
    NSNET_LAZY static Snat create(const NetnsRef& ns, const SnatOptions& options);

    // A rule of table ip nsnet with a snat statement.
    NSNET_LAZY static bool is_kind(const nft::Rule& r);
    // How errors name the kind.
    static constexpr const char* kind_name = "snat rule";

private:
    friend class Batch;
    friend class RuleKind<Snat>;
    using RuleKind::RuleKind;
};

// tcp dport PORT dnat to ADDRESS:TO_PORT (a port forward), owned.
class Dnat : public RuleKind<Dnat> {
public:
    Dnat() = default;
    // nft add rule ip nsnet prerouting|output ... dnat to ADDRESS[:PORT] comment "..."
    NSNET_LAZY static Dnat create(const NetnsRef& ns, const DnatOptions& options);

    // A rule of table ip nsnet with a dnat statement.
    NSNET_LAZY static bool is_kind(const nft::Rule& r);
    // How errors name the kind.
    static constexpr const char* kind_name = "dnat rule";

private:
    friend class Batch;
    friend class RuleKind<Dnat>;
    using RuleKind::RuleKind;
};

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/nat.ipp"
#endif
