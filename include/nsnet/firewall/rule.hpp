// nsnet/firewall/rule.hpp — firewall rules for container networking: any match and statement a
// CNI bridge + portmap setup needs, in `inet`, `ip` or `ip6` tables, tagged with an owner so a
// later process finds and removes them.
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp). Rules live in the table `FAMILY nsnet`
// (the same table and fixed base chains as Masquerade/Dnat/FilterRule, firewall/table.hpp: nat `prerouting`
// -100, `postrouting` 100, `output` -100, `input_nat` 100; filter `prerouting_filter`, `input`,
// `forward`, `output_filter`, `postrouting_filter`, priority 0), or in a regular chain of that
// table named by RuleOptions.chain (created with the rule: a `jump` target). Every rule carries a
// comment (NFTA_RULE_USERDATA, as `nft ... comment "..."` writes it, so `nft list ruleset` shows it):
// "owner:OWNER nsnet:TAG" — OWNER is RuleOptions.owner (e.g. a container id), TAG a random token
// that finds the rule again when the kernel's answer to its batch is lost (see firewall/table.hpp).
//
// Portmap, as a CNI plugin writes it (container 10.88.0.2 and fd00::2 on bridge cni0, network
// 10.88.0.0/16 and fd00::/64; host port 8080/tcp -> container port 80; owner = the container id):
//
//   using namespace nsnet::firewall;
//   const std::string id = container_id;
//   for (Hook hook : {Hook::Prerouting, Hook::Output}) {          // from outside, and from the host
//       for (auto [net, lo, addr] : {std::tuple{"10.88.0.0/16", "127.0.0.0/8", "10.88.0.2"},
//                                    std::tuple{"fd00::/64", "::1/128", "fd00::2"}}) {
//           // hairpin (a container reaching its own or a neighbour's host port) and localhost:
//           // mark them, so the masquerade below gives them the host's source address
//           for (const char* src : {net, lo})
//               Rule::create(host, {.hook = hook, .type = ChainType::Nat,   // before the dnat below
//                                   .match = {.saddr = src, .daddr_local = true,
//                                             .protocol = Protocol::Tcp, .dport = 8080},
//                                   .set_meta_mark = MarkSet{.value = 0x2000, .mask = 0x2000},
//                                   .owner = id}).persist();
//           // the port forward itself: only to addresses of this host (`fib daddr type local`),
//           // so a container's connection to a remote host's port 8080 is left alone
//           Rule::create(host, {.hook = hook,
//                               .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
//                               .action = Action::Dnat, .to = addr, .to_ports = 80,
//                               .owner = id}).persist();
//       }
//   }
//   // shared by every container of the network: created once, never owned, never removed by DEL
//   Rule::ensure(host, {.hook = Hook::Postrouting, .match = {.meta_mark = MarkMatch{.value = 0x2000, .mask = 0x2000}},
//                       .action = Action::Masquerade});
//   // (with IPv4 localhost: sysctl net.ipv4.conf.cni0.route_localnet=1)
//
//   // DEL, in another process:
//   Rule::remove_owned(host, id);     // every rule of that container; empty chains and the table go too
//
// and `nft list ruleset` in the host shows, e.g.
//   table inet nsnet {
//       chain prerouting { type nat hook prerouting priority dstnat; policy accept;
//           ip saddr 10.88.0.0/16 fib daddr type local tcp dport 8080 counter packets 0 bytes 0 meta mark set meta mark | 0x00002000 comment "owner:ctr1 nsnet:5f0c..."
//           fib daddr type local tcp dport 8080 counter packets 0 bytes 0 dnat ip to 10.88.0.2:80 comment "owner:ctr1 nsnet:9a41..."
//           ... } ... }
//
// Ownership follows the object convention (README): Rule::create returns an owner that removes
// the rule when destroyed unless persist()ed; Rule::ensure returns a RuleRef that owns nothing;
// Rule::remove(ns, ref) and Rule::remove_owned(ns, owner) work from any process and treat "already
// gone" as success; after a removal, chains left empty (base chains with policy accept, regular
// chains nothing jumps to) and then the table are deleted, each refused by the kernel (NLM_F_NONREC)
// while something is still in it.
//
// Names: `nsnet::firewall::Rule` is not `nsnet::Rule` (rule.hpp, `ip rule`); with both
// namespaces open write `firewall::Rule` (or `namespace fw = nsnet::firewall;`).
//
// Not done here: sets and maps, `ct status`, sctp ports, rule positions (rules are appended).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/text.hpp"

namespace nsnet::firewall {

// The table family: `inet` (IPv4 and IPv6 in one table), `ip`, `ip6`.
enum class Family : std::uint8_t {
    Inet = NFPROTO_INET,
    Ip = NFPROTO_IPV4,
    Ip6 = NFPROTO_IPV6,
};

// Hook (the base chain a rule is in) and Protocol (of a port match): firewall/table.hpp.

// One port or a range: `8080` or `{8000, 8100}`.
struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    PortRange() = default;
    PortRange(std::uint16_t port) : first(port), last(port) {}  // NOLINT: implicit on purpose
    PortRange(std::uint16_t f, std::uint16_t l) : first(f), last(l) {}
};

// Conntrack states (`ct state established,related`); combine with |.
enum class CtState : std::uint32_t {
    Invalid = 1,
    Established = 2,
    Related = 4,
    New = 8,
    Untracked = 64,
};
constexpr CtState operator|(CtState a, CtState b) noexcept {
    return static_cast<CtState>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}

// `meta mark & MASK == VALUE` (mask all ones: `meta mark VALUE`); negate: `!=`.
struct MarkMatch {
    std::uint32_t value = 0;
    std::uint32_t mask = 0xffffffff;
    bool negate = false;
};

// `meta mark set ...`: the bits in `mask` become those of `value`, the others stay (mask all
// ones: `meta mark set VALUE`; value == mask: `meta mark set meta mark | VALUE`).
struct MarkSet {
    std::uint32_t value = 0;
    std::uint32_t mask = 0xffffffff;
};

// What a packet must look like; every field given must match (none given: every packet, which a
// NAT rule must ask for with RuleOptions.match_all). Interfaces are matched by name: a name is
// taken as given (the device need not exist yet, as nft allows), a Link, an owner or an ifindex
// is looked up in the rule's namespace for its name (DeviceArg). Addresses and prefixes are text
// or typed (PrefixArg); errors name the field and the value.
struct Match {
    DeviceArg iif{};                     // iifname "cni0"
    bool iif_negate = false;             // iifname != "cni0"
    DeviceArg oif{};                     // oifname "cni0"
    bool oif_negate = false;
    PrefixArg saddr{};                   // ip saddr 10.88.0.0/16 / ip6 saddr fd00::/64
    bool saddr_negate = false;
    PrefixArg daddr{};
    bool daddr_negate = false;
    bool daddr_local = false;            // fib daddr type local: to an address of this host
    std::optional<Protocol> protocol{};  // meta l4proto tcp (needed by sport/dport)
    std::optional<PortRange> sport{};    // tcp sport 1024-65535
    std::optional<PortRange> dport{};    // tcp dport 8080
    std::optional<CtState> ct_state{};   // ct state established,related
    std::optional<MarkMatch> ct_mark{};  // ct mark 0x10
    std::optional<MarkMatch> meta_mark{};  // meta mark & 0x2000 == 0x2000
};

// The kind of base chain a rule goes to. Auto: nat for Masquerade/Snat/Dnat/Redirect, filter
// otherwise. Nat for a rule that must run with the NAT rules of its hook, before their rewrite:
// portmap's hairpin mark (`fib daddr type local` still sees the original destination there).
enum class ChainType { Auto, Filter, Nat };

// What a matching packet gets after the mark statements (None: nothing, the next rule runs).
enum class Action { None, Accept, Drop, Return, Jump, Goto, Masquerade, Snat, Dnat, Redirect };

struct RuleOptions {
    Family family = Family::Inet;
    Hook hook = Hook::Forward;
    ChainType type = ChainType::Auto;
    // Empty: nsnet's base chain for the hook (a nat chain for Masquerade/Snat/Dnat/Redirect, a
    // filter chain otherwise). A name: a regular chain of the table (created if missing), reached
    // through a rule with Action::Jump / Goto.
    std::string chain{};
    Match match{};
    bool match_all = false;             // a NAT rule with an empty match must say so
    bool counter = true;                // `counter` (as iptables always has one)
    std::optional<MarkSet> set_meta_mark{};
    std::optional<MarkSet> set_ct_mark{};
    Action action = Action::None;
    AddressArg to{};                    // Snat / Dnat: the new address
    std::optional<PortRange> to_ports{};  // Snat / Dnat / Masquerade / Redirect: the new port(s)
    std::string target{};               // Jump / Goto: the regular chain
    std::string owner{};                // recorded in the rule's comment (at most 200 bytes, printable, no ")
};

// Where a rule is: enough to find or remove it from any process.
struct RuleRef {
    Family family = Family::Inet;
    std::string chain{};
    std::uint64_t handle = 0;
    std::uint64_t table_handle = 0;  // the table's handle when the rule was made (0: any)
};

// A rule as read back from the kernel.
struct RuleInfo {
    RuleRef ref{};
    std::string owner{};  // "" for shared rules (ensure) and rules without nsnet's comment
    std::string tag{};    // nsnet's tag; "" for rules nsnet did not write
    std::string text{};   // as `nft list ruleset` shows it (counter values included)
    nft::Rule raw;  // not `raw{}`: see DEVELOPERS.md, "Lazy bodies"
};

// What Rule::list returns: every rule of nsnet's tables, or those of one owner / family.
struct ListFilter {
    std::optional<std::string> owner{};
    std::optional<Family> family{};
};

// One rule nsnet added. Move-only; removes the rule when destroyed unless persist()ed.
class Rule {
public:
    Rule() = default;
    Rule(Rule&&) noexcept = default;
    Rule& operator=(Rule&&) noexcept = default;
    Rule(const Rule&) = delete;
    Rule& operator=(const Rule&) = delete;
    ~Rule() = default;  // the NftRule inside removes the rule unless persisted

    // nft add rule FAMILY nsnet CHAIN ... comment "owner:OWNER nsnet:TAG"
    NSNET_LAZY static Rule create(const NetnsRef& ns, const RuleOptions& options);
    // Several rules in one nf_tables batch (one request, all of them or none: a bad option or a
    // rule the kernel refuses leaves nothing), in the order given (rules of one chain keep that
    // order). The same guarantees after a lost answer as one create(): the rules are found again
    // by their tags, or, if only some are there, removed. One table per batch: every rule has the
    // same family (else InvalidArgument naming the first rule of another family). Empty: nothing.
    NSNET_LAZY static std::vector<Rule> create(const NetnsRef& ns, const std::vector<RuleOptions>& options);
    // A shared rule (a network's masquerade): the same rule (same chain and expressions, no owner)
    // when one exists, else a new one; never owned (nothing removes it but an explicit remove()).
    // Processes ensuring the same rule at once get one rule: it is added only if nothing was
    // committed since the look (nf_tables generation), else looked for again.
    NSNET_LAZY static RuleRef ensure(const NetnsRef& ns, const RuleOptions& options);
    // nft -a list table FAMILY nsnet, filtered.
    NSNET_LAZY static std::vector<RuleInfo> list(const NetnsRef& ns, const ListFilter& filter = {});
    // The rule at `ref`; nullopt / Error(ENOENT) naming it when it is gone.
    NSNET_LAZY static std::optional<RuleInfo> find(const NetnsRef& ns, const RuleRef& ref);
    NSNET_LAZY static RuleInfo get(const NetnsRef& ns, const RuleRef& ref);
    // Takes ownership of an existing rule of nsnet's tables (checked to exist).
    NSNET_LAZY static Rule adopt(const NetnsRef& ns, const RuleRef& ref);
    // nft delete rule FAMILY nsnet CHAIN handle H; already gone is success. Then empty chains/table.
    NSNET_LAZY static void remove(const NetnsRef& ns, const RuleRef& ref);
    // Every rule whose owner is `owner`, in all of nsnet's tables, one batch per table; returns how
    // many were removed. Then empty chains and tables.
    NSNET_LAZY static std::size_t remove_owned(const NetnsRef& ns, const std::string& owner);

    bool active() const noexcept { return rule_.active(); }
    NSNET_LAZY RuleRef ref() const;
    // As `nft list ruleset` shows it, without counter values.
    std::string to_string() const { return rule_.to_string(); }
    NSNET_LAZY const std::string& owner() const;
    void persist() noexcept { rule_.persist(); }
    // Keeps the rule and returns where it is; this object then owns nothing.
    NSNET_LAZY RuleRef release();
    // Removes the rule now (idempotent), then empty chains and the table.
    NSNET_LAZY void remove();

private:
    NSNET_LAZY explicit Rule(NftRule r) : rule_(std::move(r)) {}
    NftRule rule_;  // not `rule_{}`: see DEVELOPERS.md, "Lazy bodies"
};

// "inet", "ip", "ip6".
NSNET_LAZY NSNET_DECL std::string family_name(Family f);

namespace detail {
NSNET_LAZY NSNET_DECL std::shared_ptr<nsnet::detail::NftRuleState> rule_state(const NetnsRef& ns, const RuleOptions& o);
}  // namespace detail

}  // namespace nsnet::firewall

namespace nsnet::firewall {

}  // namespace nsnet::firewall

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/rule.ipp"
#endif
