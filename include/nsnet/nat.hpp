// nsnet/nat.hpp — NAT and packet filtering rules as RAII objects: masquerade, SNAT, DNAT (port
// forwards), forward-chain policy and accept/drop rules, with readable counters.
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp) through NETLINK_NETFILTER: no
// iptables or nft binary, no library at run time. The tutorial's
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
// Design (ownership):
//  - nsnet keeps its rules in one table per namespace, `ip nsnet`, marked with the comment
//    "managed by nsnet". A table of that name without the mark was made by someone else: nsnet
//    refuses to use it (EEXIST) and never touches any other table.
//  - Chains are fixed per hook: nat `prerouting` (dstnat, -100), `postrouting` (srcnat, 100),
//    `output` (-100, DNAT of locally originated traffic); filter `forward`, `input` (0), and
//    `output_filter`, `prerouting_filter`, `postrouting_filter` for the rarer hooks.
//  - Every change is one nf_tables batch, all or nothing: adding a rule re-declares its table and
//    chain in the same batch (`add table`, `add chain`, which leave existing ones alone), so it
//    never depends on state read earlier. NatBatch groups several rules (and removals, and the
//    forward policy) into one such batch.
//  - Each rule object knows its rule by handle (returned by the kernel with NLM_F_ECHO) and by
//    the table's handle, so it deletes exactly its own rule, and nothing if the table was deleted
//    and re-created meanwhile. Destruction removes the rule unless persist() was called.
//  - The table and chains have no owner object and no reference count in the process: the kernel
//    is the reference count. After removing a rule, nsnet deletes its chain with NLM_F_NONREC,
//    which the kernel refuses (EBUSY) while any rule is left in it, and then the table the same
//    way, refused while any chain is left. So the table lives exactly as long as some nsnet rule
//    (from this process, another one, or persisted) needs it, with no race between processes. A
//    chain whose policy is not accept (ForwardPolicy drop) is kept even when empty.
//
//  - Every rule carries a comment "nsnet:TAG" (NFTA_RULE_USERDATA), TAG random per rule. When
//    the kernel's answer to a batch is lost, cut short or unreadable (or a look-up after it
//    fails), commit() looks at the kernel on a fresh socket: the new rules found by their tags
//    mean the batch was applied (their handles are recovered and commit() succeeds); none found
//    means it was not (the original error, outcome known); a failed look-up is reported with
//    Error::outcome_unknown(). remove() and ForwardPolicy::reset() check the same way.
//  - MasqueradeOptions/SnatOptions need a source, or all_sources = true (no silent match-all).
//
// IPv6, inet tables, port ranges, conntrack and mark matches, owner tags and removal by owner
// from another process: nsnet/firewall/rule.hpp (nsnet::firewall::Rule), on the same tables and
// the same batch machinery. Not done here or there: sets/maps.
#pragma once

#include <netinet/in.h>

#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/chain.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"

namespace nsnet {

// The transport protocol a port match or port forward applies to (`-p tcp` / `tcp dport`).
enum class L4Protocol : std::uint8_t { Tcp = IPPROTO_TCP, Udp = IPPROTO_UDP };

// What a filter rule does with a matching packet: `accept`, `drop`, or nothing (Continue: the
// rule only counts, the packet goes on to the next rule).
enum class Verdict { Accept, Drop, Continue };

// The hook a filter rule is attached to (`iptables -A FORWARD` = Forward).
enum class FilterHook { Prerouting, Input, Forward, Output, Postrouting };

// Where a DNAT applies: packets arriving from outside (PREROUTING) or packets this namespace
// itself sends (OUTPUT: `iptables -t nat -A OUTPUT ... -j DNAT`).
enum class DnatHook { Prerouting, Output };

// A rule's counter (`counter packets N bytes M`).
struct RuleCounters {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};

// The table nsnet keeps its rules in, and the comment that marks it as nsnet's.
inline constexpr const char* nft_table_name = "nsnet";
inline constexpr const char* nft_table_comment = "managed by nsnet";

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

// [-i IF] [-o IF] [-s SRC] [-d DST] [-p tcp|udp [--dport PORT]] -j ACCEPT|DROP  (filter)
struct FilterRuleOptions {
    FilterHook hook = FilterHook::Forward;
    std::string in_interface{};
    std::string out_interface{};
    std::optional<Prefix> source{};
    std::optional<Prefix> destination{};
    std::optional<L4Protocol> protocol{};
    std::optional<int> port{};            // destination port, 1..65535; needs protocol
    Verdict verdict = Verdict::Accept;
    bool counter = false;
};

// An escape hatch for matches nsnet has no option for: a rule made of raw nf_tables expressions
// (nft/expr.hpp) in one of nsnet's filter chains, e.g. `nft::match_sport(IPPROTO_UDP, 53)` plus
// `nft::counter()`. `description` is its nft text, used by to_string() and in error messages.
// The kernel checks the expressions when the batch is committed.
struct RawRuleOptions {
    FilterHook hook = FilterHook::Forward;
    nft::Exprs exprs{};
    std::string description{};
};

namespace detail {

inline const nft::TableFamily nsnet_family = nft::TableFamily::Ip;

struct NftChainSpec {
    std::string name{};
    std::optional<nft::BaseChain> base{};  // nullopt: a regular chain (a jump target)
};

NSNET_DECL NftChainSpec nat_chain(nft::Hook hook);

NSNET_DECL NftChainSpec filter_chain(FilterHook hook);

// The state one rule object and a NatBatch share until the batch is committed.
struct NftRuleState {
    NetnsRef netns{};
    nft::TableFamily family = nft::TableFamily::Ip;  // the table: `FAMILY nsnet`
    NftChainSpec chain{};
    nft::Exprs exprs{};
    std::string description{};  // nft syntax: ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
    bool has_counter = false;
    std::uint64_t table_handle = 0;
    std::uint64_t handle = 0;
    // A token unique to this rule, written into the kernel with it (NFTA_RULE_USERDATA, the rule's
    // comment: `comment "nsnet:0123456789abcdef"`), so the rule can be found again when the
    // kernel's answer to the batch that added it was lost (see NatBatch::commit).
    std::string tag{};
    std::string owner{};
    bool active = false;
    bool persisted = false;
    // True only in the process that made this state: a fork child's copy of a rule object must
    // not remove the parent's rule when the child's destructors run (README, "Threads, fork and
    // signals"). An explicit remove() still acts from any process.
    ProcessOwned made_here = true;

    std::string object() const;
};

// A fresh random 16-hex-digit rule tag.
NSNET_DECL std::string new_rule_tag();
// The comment nsnet writes on a rule: "nsnet:TAG", or "owner:OWNER nsnet:TAG".
NSNET_DECL std::string rule_comment(const std::string& tag, const std::string& owner);
// The tag and owner of a comment rule_comment() wrote; nullopt for any other comment.
struct ParsedRuleComment {
    std::string tag{};
    std::string owner{};
};
NSNET_DECL std::optional<ParsedRuleComment> parse_rule_comment(std::string_view comment);

// Every rule of table ip nsnet (all chains); empty when the table is absent.
NSNET_DECL std::vector<nft::Rule> list_nsnet_rules(nl::Socket& s, nft::TableFamily f = nsnet_family);

// collect_garbage() that tolerates a failure: it is retried once on a fresh socket (the first
// one may hold the lost answer of the failed attempt), and a second failure is ignored (the
// removal it follows succeeded; the next removal in this namespace collects what is left).
NSNET_DECL void collect_garbage_retrying(const NetnsRef& ns, nl::Socket& s, const std::string& chain,
                                         std::uint64_t table_handle, nft::TableFamily f = nsnet_family) noexcept;

inline nl::Socket nft_socket(const NetnsRef& ns) { return ns.netlink_socket(NETLINK_NETFILTER); }

// Sends a GET and decodes the answer; nullopt when the kernel says there is no such object.
template <class Decode>
auto nft_get(nl::Socket& s, nl::MessageBuilder msg, const std::string& operation, const std::string& object,
             Decode&& decode) -> std::optional<std::invoke_result_t<Decode&, const nl::MessageView&>> {
    std::optional<std::invoke_result_t<Decode&, const nl::MessageView&>> out;
    try {
        nl::request(s, msg, operation, object, [&](const nl::MessageView& m) {
            if (nft::nft_message(m)) out = decode(m);
        });
    } catch (const Error& e) {
        if (e.errnum() == ENOENT) return std::nullopt;
        throw;
    }
    return out;
}

NSNET_DECL std::optional<nft::Table> find_nsnet_table(nl::Socket& s, nft::TableFamily f = nsnet_family);

NSNET_DECL bool is_nsnet_table(const nft::Table& t);

NSNET_DECL void require_nsnet_table(const nft::Table& t, const std::string& operation, const NetnsRef& ns);


NSNET_DECL std::optional<nft::Chain> find_chain(nl::Socket& s, const std::string& chain, nft::TableFamily f = nsnet_family);

NSNET_DECL std::optional<nft::Rule> find_rule(nl::Socket& s, const std::string& chain, std::uint64_t handle,
                                            nft::TableFamily f = nsnet_family);

// Is the table that holds rules created under table_handle still there?
NSNET_DECL bool same_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f = nsnet_family);

// Runs a one-message batch; returns the errno of a refusal (0 on success) instead of throwing.
// When the kernel's answer is missing (the outcome is unknown) it throws an outcome_unknown Error.
NSNET_DECL int try_single(nl::Socket& s, const nl::MessageBuilder& msg, const std::string& op, const std::string& obj);

// After a removal: delete `chain` if it is empty and accepts by default, then the table if it has
// no chains left. Both deletions are NLM_F_NONREC, so the kernel refuses them (EBUSY) while
// something is still in there — including rules another process added a moment ago.
NSNET_DECL void collect_garbage(nl::Socket& s, const std::string& chain, std::uint64_t table_handle,
                                nft::TableFamily f = nsnet_family);
// collect_garbage for every chain of the table (regular chains left empty by a jump's removal too).
NSNET_DECL void sweep_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f);

NSNET_DECL std::string quoted(const std::string& s);

NSNET_DECL void check_ifname(const std::string& name, const char* operation);

NSNET_DECL void check_v4(const Prefix& p, const char* operation, const char* what);
NSNET_DECL void check_v4(const IpAddress& a, const char* operation, const char* what);

NSNET_DECL const char* proto_name(L4Protocol p);

// The source of a masquerade/SNAT: given (IPv4), or all_sources (0.0.0.0/0); neither or both is
// an InvalidArgument naming the field.
NSNET_DECL Prefix require_source(const std::optional<Prefix>& source, bool all_sources, const char* op,
                                 const char* options);

// Appends the prefix match and its nft text ("ip saddr 172.17.0.0/16").
NSNET_DECL void add_prefix(NftRuleState& st, bool source, const Prefix& p);
NSNET_DECL void add_ifname(NftRuleState& st, bool input, const std::string& name, bool negate);
// A port number 1..65535; InvalidArgument naming it ("port 65536") otherwise.
NSNET_DECL void check_port(int port, const char* op, const char* what);

NSNET_DECL void add_dport(NftRuleState& st, L4Protocol proto, std::uint16_t port);
NSNET_DECL void add_words(NftRuleState& st, const std::string& words);
NSNET_DECL void add_counter(NftRuleState& st, bool counter);

NSNET_DECL std::shared_ptr<NftRuleState> masquerade_state(const NetnsRef& ns, const MasqueradeOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> snat_state(const NetnsRef& ns, const SnatOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> dnat_state(const NetnsRef& ns, const DnatOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const FilterRuleOptions& o);

NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const RawRuleOptions& o);

// The forward chain's policy, shared between a ForwardPolicy object and a NatBatch.
struct NftPolicyState {
    NetnsRef netns{};
    nft::Policy policy = nft::Policy::Accept;
    std::uint64_t table_handle = 0;
    bool active = false;
    bool persisted = false;
    ProcessOwned made_here = true;  // as NftRuleState::made_here: a fork child's destructor leaves it
};

}  // namespace detail

class NatBatch;
namespace firewall {
class Rule;
}

// One rule nsnet added to its table. Removed on destruction unless persist()ed. Move-only.
class NftRule {
public:
    NftRule() = default;
    NftRule(NftRule&&) noexcept = default;
    NftRule& operator=(NftRule&& o) noexcept;
    NftRule(const NftRule&) = delete;
    NftRule& operator=(const NftRule&) = delete;
    ~NftRule();

    // True once the rule is in the kernel (after add(), or after its NatBatch committed).
    bool active() const noexcept { return state_ && state_->active; }
    // The kernel's handle (`nft -a list ruleset` shows it as `# handle N`); 0 while not active.
    std::uint64_t handle() const noexcept { return state_ ? state_->handle : 0; }
    // The chain in table `ip nsnet` the rule lives in ("postrouting", "forward", ...).
    std::string chain() const { return state_ ? state_->chain.name : std::string(); }
    // The rule in nft syntax, as `nft list ruleset` shows it (without counter values):
    // `ip saddr 172.17.0.0/16 oifname != "docker0" masquerade`.
    std::string to_string() const { return state_ ? state_->description : std::string(); }
    const NetnsRef& netns() const { return state().netns; }

    // Reads the rule's counter back from the kernel (`nft list ruleset` shows
    // `counter packets N bytes M`). Only for rules created with .counter = true.
    RuleCounters counters() const;

    // Keep the rule in the kernel after this object is gone.
    void persist() noexcept {
        if (state_) state_->persisted = true;
    }
    // Deletes the rule now (`nft delete rule ip nsnet CHAIN handle N`), then its chain and the
    // table if nothing else is left in them. A rule already gone counts as deleted.
    void remove();

protected:
    friend class NatBatch;
    friend class firewall::Rule;
    explicit NftRule(std::shared_ptr<detail::NftRuleState> st) : state_(std::move(st)) {}
    const detail::NftRuleState& state() const;
    void destroy() noexcept;
    std::shared_ptr<detail::NftRuleState> state_{};
};

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

// [iifname IF] [oifname IF] [ip saddr S] [ip daddr D] [tcp dport P] [counter] accept|drop
// (iptables -A FORWARD ... -j ACCEPT|DROP)
class FilterRule : public NftRule {
public:
    FilterRule() = default;
    static FilterRule add(const NetnsRef& netns, const FilterRuleOptions& options);
    static FilterRule add(const NetnsRef& netns, const RawRuleOptions& options);

private:
    friend class NatBatch;
    using NftRule::NftRule;
};

// The forward chain's policy: `iptables -P FORWARD ACCEPT|DROP` (`policy accept|drop;` of
// chain forward in table ip nsnet). On destruction the policy goes back to accept (the kernel's
// behaviour without any forward chain) unless persisted. One per namespace: the last one set wins.
class ForwardPolicy {
public:
    ForwardPolicy() = default;
    static ForwardPolicy set(const NetnsRef& netns, Verdict policy);

    ForwardPolicy(ForwardPolicy&&) noexcept = default;
    ForwardPolicy& operator=(ForwardPolicy&& o) noexcept;
    ForwardPolicy(const ForwardPolicy&) = delete;
    ForwardPolicy& operator=(const ForwardPolicy&) = delete;
    ~ForwardPolicy();

    bool active() const noexcept { return state_ && state_->active; }
    Verdict policy() const noexcept {
        return state_ && state_->policy == nft::Policy::Drop ? Verdict::Drop : Verdict::Accept;
    }
    void persist() noexcept {
        if (state_) state_->persisted = true;
    }
    // Sets the policy back to accept now, and removes the forward chain (and table) if empty.
    void reset();

private:
    friend class NatBatch;
    explicit ForwardPolicy(std::shared_ptr<detail::NftPolicyState> st) : state_(std::move(st)) {}
    void destroy() noexcept;
    std::shared_ptr<detail::NftPolicyState> state_{};
};

// A set of rule additions and removals (and the forward policy) applied in one nf_tables batch:
// all of them or none. Objects returned by add() become active when commit() succeeds; if it
// fails they stay inactive (their destructors do nothing) and the kernel is unchanged.
//
//   NatBatch b(docker);
//   auto masq = b.add(MasqueradeOptions{.source = Prefix::parse("172.17.0.0/16"), .not_out_interface = "docker0"});
//   auto web  = b.add(DnatOptions{.port = 8080, .to = IpAddress::parse("172.17.10.10"), .to_port = 80});
//   b.commit();   // throws Error naming the rule the kernel refused, with its explanation
class NatBatch {
    friend class firewall::Rule;

public:
    explicit NatBatch(NetnsRef netns);

    Masquerade add(const MasqueradeOptions& o) { return Masquerade(queue(detail::masquerade_state(netns_, o))); }
    Snat add(const SnatOptions& o) { return Snat(queue(detail::snat_state(netns_, o))); }
    Dnat add(const DnatOptions& o) { return Dnat(queue(detail::dnat_state(netns_, o))); }
    FilterRule add(const FilterRuleOptions& o) { return FilterRule(queue(detail::filter_state(netns_, o))); }
    FilterRule add(const RawRuleOptions& o) { return FilterRule(queue(detail::raw_state(netns_, o))); }
    // iptables -P FORWARD ACCEPT|DROP, in this batch.
    ForwardPolicy set_forward_policy(Verdict policy);
    // Deletes an active rule of this namespace in this batch.
    void remove(NftRule& rule);

    std::size_t size() const noexcept { return additions_.size() + removals_.size() + (policy_ ? 1 : 0); }

    // Sends everything in one batch. Throws the kernel's refusal (Error naming the failing rule,
    // with "nothing was applied" in its detail); nothing changes then.
    void commit();

    // The nf_tables batch commit() would send if the kernel held no rules of this batch yet and
    // `table ip nsnet` did (table_exists) or did not exist: `nft --check --debug=netlink` for
    // nsnet. Its messages are exactly commit()'s; Batch::run adds sequence numbers and NLM_F_ACK.
    nft::Batch preview(bool table_exists = true) const;

private:
    // table ip nsnet (NLM_F_EXCL when it is absent, so a table someone else creates meanwhile
    // makes the batch fail instead of being adopted), each chain needed (no policy, so an existing
    // chain keeps its own), the forward policy, the new rules (NLM_F_ECHO: the kernel returns their
    // handles), the removals.
    nft::Batch build(bool table_exists, const std::vector<std::shared_ptr<detail::NftRuleState>>& removals,
                     std::vector<std::size_t>& rule_index) const;

    std::shared_ptr<detail::NftRuleState> queue(std::shared_ptr<detail::NftRuleState> st);

    // After the batch was applied: the table's handle, each new rule's handle (from its echo), the
    // policy and removals marked done, empty chains collected.
    void finish(nl::Socket& s, const nft::BatchResult& res, const std::vector<std::size_t>& rule_index,
                const std::vector<std::shared_ptr<detail::NftRuleState>>& removals);
    // The batch may or may not have been applied (its answer was lost, cut short or unreadable, or
    // a look-up after it failed): looks at the kernel on a fresh socket. Applied (the new rules are
    // found by their tags): recovers their handles and returns normally. Not applied: throws
    // `cause`. Cannot tell (the look-up failed too): throws `cause` with outcome_unknown() set.
    void settle_unknown(const Error& cause, const std::vector<std::shared_ptr<detail::NftRuleState>>& removals);

    NetnsRef netns_{};
    nft::TableFamily family_ = detail::nsnet_family;  // one table per batch: the first rule's family
    std::vector<std::shared_ptr<detail::NftRuleState>> additions_{};
    std::vector<std::shared_ptr<detail::NftRuleState>> removals_{};
    std::shared_ptr<detail::NftPolicyState> policy_{};
    bool committed_ = false;
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL NftChainSpec nat_chain(nft::Hook hook) {
    switch (hook) {
        case nft::Hook::Prerouting: return {"prerouting", nft::BaseChain{nft::ChainType::Nat, hook, -100}};
        case nft::Hook::Postrouting: return {"postrouting", nft::BaseChain{nft::ChainType::Nat, hook, 100}};
        case nft::Hook::Output: return {"output", nft::BaseChain{nft::ChainType::Nat, hook, -100}};
        case nft::Hook::Input: return {"input_nat", nft::BaseChain{nft::ChainType::Nat, hook, 100}};
        default: break;
    }
    invalid_argument("add nat rule", nft::hook_name(hook), "no nat chain for hook " + nft::hook_name(hook));
}

NSNET_DECL NftChainSpec filter_chain(FilterHook hook) {
    switch (hook) {
        case FilterHook::Prerouting: return {"prerouting_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Prerouting, 0}};
        case FilterHook::Input: return {"input", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Input, 0}};
        case FilterHook::Forward: return {"forward", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Forward, 0}};
        case FilterHook::Output: return {"output_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Output, 0}};
        case FilterHook::Postrouting:
            return {"postrouting_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Postrouting, 0}};
    }
    return {"forward", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Forward, 0}};
}

NSNET_DECL std::string NftRuleState::object() const {
    return nft::family_name(family) + " " + std::string(nft_table_name) + " " + chain.name + ": " + description;
}

NSNET_DECL std::optional<nft::Table> find_nsnet_table(nl::Socket& s, nft::TableFamily f) {
    return nft_get(s, nft::table_get(f, nft_table_name), "get table",
                   nft::table_id(f, nft_table_name), [](const nl::MessageView& m) { return nft::decode_table(m); });
}

NSNET_DECL bool is_nsnet_table(const nft::Table& t) { return t.comment && *t.comment == nft_table_comment; }

NSNET_DECL void require_nsnet_table(const nft::Table& t, const std::string& operation, const NetnsRef& ns) {
    if (!is_nsnet_table(t))
        throw Error(EEXIST, operation, nft::table_id(t.family, nft_table_name), {},
                    "namespace " + ns.display_name() + " has a table '" + nft::family_name(t.family) + " " + nft_table_name +
                        "' that nsnet did not create (it lacks the comment \"" + nft_table_comment +
                        "\"); nsnet never touches tables it did not create");
}

NSNET_DECL std::optional<nft::Chain> find_chain(nl::Socket& s, const std::string& chain, nft::TableFamily f) {
    return nft_get(s, nft::chain_get(f, nft_table_name, chain), "get chain",
                   nft::table_id(f, nft_table_name) + " " + chain,
                   [](const nl::MessageView& m) { return nft::decode_chain(m); });
}

NSNET_DECL std::optional<nft::Rule> find_rule(nl::Socket& s, const std::string& chain, std::uint64_t handle,
                                            nft::TableFamily f) {
    return nft_get(s, nft::rule_get(f, nft_table_name, chain, handle), "get rule",
                   nft::table_id(f, nft_table_name) + " " + chain + " handle " + std::to_string(handle),
                   [](const nl::MessageView& m) { return nft::decode_rule(m); });
}

NSNET_DECL bool same_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f) {
    auto t = find_nsnet_table(s, f);
    return t && t->handle && *t->handle == table_handle && is_nsnet_table(*t);
}

NSNET_DECL int try_single(nl::Socket& s, const nl::MessageBuilder& msg, const std::string& op, const std::string& obj) {
    nft::Batch b;
    b.add(msg, op, obj);
    nft::BatchResult r = b.run(s);
    if (r.applied) return 0;
    auto bad = r.failed();
    if (!bad.empty()) return r.messages[bad.front()].ack.error;
    if (r.batch_error) return r.batch_error->error;
    Error e = r.error();
    e.set_outcome_unknown();
    throw e;
}

NSNET_DECL void collect_garbage(nl::Socket& s, const std::string& chain, std::uint64_t table_handle,
                                nft::TableFamily f) {
    if (!same_table(s, table_handle, f)) return;
    if (auto c = find_chain(s, chain, f)) {
        bool default_policy = !c->policy || *c->policy == nft::Policy::Accept;
        if (c->use == 0 && default_policy)
            try_single(s, nft::chain_del(f, nft_table_name, chain, NLM_F_NONREC), "delete chain",
                       nft::table_id(f, nft_table_name) + " " + chain);
    }
    // Looked at first as well: a kernel that ignored NLM_F_NONREC would delete the table's contents.
    auto t = find_nsnet_table(s, f);
    if (!t || t->use != 0 || !t->handle || *t->handle != table_handle) return;
    try_single(s, nft::table_del_handle(f, table_handle, NLM_F_NONREC), "delete table", nft::table_id(f, nft_table_name));
}

NSNET_DECL void sweep_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f) {
    if (!same_table(s, table_handle, f)) return;
    nl::MessageBuilder msg = nft::make_message(NFT_MSG_GETCHAIN, 0, f);
    msg.put_string(NFTA_CHAIN_TABLE, nft_table_name);
    std::vector<nft::Chain> chains;
    try {
        chains = nl::dump_collect(s, msg, "list chains", [](const nl::MessageView& m) -> std::optional<nft::Chain> {
            if (nft::nft_message(m) != NFT_MSG_NEWCHAIN) return std::nullopt;
            return nft::decode_chain(m);
        });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT) throw;
    }
    // Regular chains first (a jump's target is only free once the jumping rule is gone), twice:
    // deleting one chain can free another.
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& c : chains) {
            if (c.table != nft_table_name) continue;
            bool default_policy = !c.policy || *c.policy == nft::Policy::Accept;
            if (default_policy)
                try_single(s, nft::chain_del(f, nft_table_name, c.name, NLM_F_NONREC), "delete chain",
                           nft::table_id(f, nft_table_name) + " " + c.name);
        }
    auto t = find_nsnet_table(s, f);
    if (!t || t->use != 0 || !t->handle || *t->handle != table_handle) return;
    try_single(s, nft::table_del_handle(f, table_handle, NLM_F_NONREC), "delete table", nft::table_id(f, nft_table_name));
}

NSNET_DECL std::string new_rule_tag() {
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t r = 0;
    if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r))
        r = (static_cast<std::uint64_t>(::getpid()) << 40) ^ static_cast<std::uint64_t>(::time(nullptr));
    r ^= (counter.fetch_add(1) + 1) * 0x9e3779b97f4a7c15ULL;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
    return buf;
}

NSNET_DECL std::string rule_comment(const std::string& tag, const std::string& owner) {
    return owner.empty() ? "nsnet:" + tag : "owner:" + owner + " nsnet:" + tag;
}

NSNET_DECL std::optional<ParsedRuleComment> parse_rule_comment(std::string_view c) {
    constexpr std::size_t tag_len = 16;
    constexpr std::string_view mark = "nsnet:";
    if (c.size() < mark.size() + tag_len) return std::nullopt;
    std::string_view tail = c.substr(c.size() - mark.size() - tag_len);
    if (tail.substr(0, mark.size()) != mark) return std::nullopt;
    for (char ch : tail.substr(mark.size()))
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return std::nullopt;
    ParsedRuleComment out;
    out.tag = std::string(tail.substr(mark.size()));
    std::string_view head = c.substr(0, c.size() - tail.size());
    if (head.empty()) return out;
    constexpr std::string_view owner_mark = "owner:";
    if (head.size() < owner_mark.size() + 2 || head.substr(0, owner_mark.size()) != owner_mark || head.back() != ' ')
        return std::nullopt;
    out.owner = std::string(head.substr(owner_mark.size(), head.size() - owner_mark.size() - 1));
    return out;
}

NSNET_DECL std::vector<nft::Rule> list_nsnet_rules(nl::Socket& s, nft::TableFamily f) {
    try {
        nl::MessageBuilder msg = nft::rule_dump(f, nft_table_name);
        return nl::dump_collect(s, msg, "list rules", [](const nl::MessageView& m) -> std::optional<nft::Rule> {
            if (nft::nft_message(m) != NFT_MSG_NEWRULE) return std::nullopt;
            return nft::decode_rule(m);
        });
    } catch (const Error& e) {
        if (e.errnum() == ENOENT) return {};
        throw;
    }
}

NSNET_DECL void collect_garbage_retrying(const NetnsRef& ns, nl::Socket& s, const std::string& chain,
                                         std::uint64_t table_handle, nft::TableFamily f) noexcept {
    try {
        collect_garbage(s, chain, table_handle, f);
        return;
    } catch (...) {
    }
    try {
        nl::Socket fresh = nft_socket(ns);
        collect_garbage(fresh, chain, table_handle, f);
    } catch (...) {
    }
}

NSNET_DECL std::string quoted(const std::string& s) { return "\"" + s + "\""; }

NSNET_DECL void check_ifname(const std::string& name, const char* operation) {
    if (!name.empty()) validate_interface_name(name, operation);
}

NSNET_DECL void check_v4(const Prefix& p, const char* operation, const char* what) {
    if (!p.address().is_v4())
        invalid_argument(operation, p.to_string(),
                         std::string(what) + " " + p.to_string() + " is IPv6; nsnet's nat table is IPv4 (ip family)");
}

NSNET_DECL void check_v4(const IpAddress& a, const char* operation, const char* what) {
    if (!a.is_v4())
        invalid_argument(operation, a.to_string(),
                         std::string(what) + " " + a.to_string() + " is IPv6; nsnet's nat table is IPv4 (ip family)");
}

NSNET_DECL const char* proto_name(L4Protocol p) { return p == L4Protocol::Tcp ? "tcp" : "udp"; }

NSNET_DECL Prefix require_source(const std::optional<Prefix>& source, bool all_sources, const char* op,
                                 const char* options) {
    if (!source && !all_sources)
        invalid_argument(op, "(no source)",
                         std::string(options) + ".source is missing: give the source prefix (e.g. 172.17.0.0/16), "
                                                "or all_sources = true to rewrite every source");
    if (source && all_sources)
        invalid_argument(op, source->to_string(),
                         std::string(options) + ".source " + source->to_string() + " and all_sources = true contradict each other");
    if (!source) return Prefix::parse("0.0.0.0/0");
    check_v4(*source, op, (std::string(options) + ".source").c_str());
    return *source;
}

NSNET_DECL void add_prefix(NftRuleState& st, bool source, const Prefix& p) {
    nft::detail::append(st.exprs, nft::match_address(source, p));
    if (p.length() == 0) return;
    if (!st.description.empty()) st.description += ' ';
    Prefix net = p.network();
    st.description += std::string(source ? "ip saddr " : "ip daddr ") +
                      (net.length() == 32 ? net.address().to_string() : net.to_string());
}

NSNET_DECL void add_ifname(NftRuleState& st, bool input, const std::string& name, bool negate) {
    if (name.empty()) return;
    nft::detail::append(st.exprs, nft::match_ifname(input, name, negate));
    if (!st.description.empty()) st.description += ' ';
    st.description += std::string(input ? "iifname " : "oifname ") + (negate ? "!= " : "") + quoted(name);
}

NSNET_DECL void check_port(int port, const char* op, const char* what) {
    if (port < 1 || port > 65535)
        invalid_argument(op, "port " + std::to_string(port),
                         std::string(what) + " " + std::to_string(port) + " is outside 1..65535");
}

NSNET_DECL void add_dport(NftRuleState& st, L4Protocol proto, std::uint16_t port) {
    nft::detail::append(st.exprs, nft::match_dport(static_cast<std::uint8_t>(proto), port));
    if (!st.description.empty()) st.description += ' ';
    st.description += std::string(proto_name(proto)) + " dport " + std::to_string(port);
}

NSNET_DECL void add_words(NftRuleState& st, const std::string& words) {
    if (!st.description.empty()) st.description += ' ';
    st.description += words;
}

NSNET_DECL void add_counter(NftRuleState& st, bool counter) {
    if (!counter) return;
    st.exprs.push_back(nft::counter());
    st.has_counter = true;
    add_words(st, "counter");
}

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

NSNET_DECL std::shared_ptr<NftRuleState> filter_state(const NetnsRef& ns, const FilterRuleOptions& o) {
    const char* op = "add filter rule";
    check_ifname(o.in_interface, op);
    check_ifname(o.out_interface, op);
    if (o.source) check_v4(*o.source, op, "source");
    if (o.destination) check_v4(*o.destination, op, "destination");
    if (o.port && !o.protocol)
        invalid_argument(op, "port " + std::to_string(*o.port), "a port match needs a protocol (tcp or udp)");
    if (o.port) check_port(*o.port, op, "the destination port");
    if (!o.in_interface.empty() && (o.hook == FilterHook::Output || o.hook == FilterHook::Postrouting))
        invalid_argument(op, o.in_interface, "in_interface cannot match in the output/postrouting hooks");
    if (!o.out_interface.empty() && (o.hook == FilterHook::Input || o.hook == FilterHook::Prerouting))
        invalid_argument(op, o.out_interface, "out_interface cannot match in the input/prerouting hooks");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = filter_chain(o.hook);
    add_ifname(*st, true, o.in_interface, false);
    add_ifname(*st, false, o.out_interface, false);
    if (o.source) add_prefix(*st, true, *o.source);
    if (o.destination) add_prefix(*st, false, *o.destination);
    if (o.protocol) {
        if (o.port) {
            add_dport(*st, *o.protocol, static_cast<std::uint16_t>(*o.port));
        } else {
            nft::detail::append(st->exprs, nft::match_l4proto(static_cast<std::uint8_t>(*o.protocol)));
            add_words(*st, std::string("meta l4proto ") + proto_name(*o.protocol));
        }
    }
    add_counter(*st, o.counter);
    if (o.verdict != Verdict::Continue) {
        st->exprs.push_back(nft::verdict(o.verdict == Verdict::Accept ? nft::Verdict::Accept : nft::Verdict::Drop));
        add_words(*st, o.verdict == Verdict::Accept ? "accept" : "drop");
    }
    if (st->description.empty()) st->description = "(matches every packet)";
    return st;
}

NSNET_DECL std::shared_ptr<NftRuleState> raw_state(const NetnsRef& ns, const RawRuleOptions& o) {
    if (o.exprs.empty()) invalid_argument("add raw rule", o.description, "a raw rule needs at least one expression");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->chain = filter_chain(o.hook);
    st->exprs = o.exprs;
    st->has_counter = nft::find_counter(o.exprs).has_value();
    st->description = o.description.empty() ? std::string("(raw rule)") : o.description;
    return st;
}

}  // namespace detail

NSNET_DECL NftRule& NftRule::operator=(NftRule&& o) noexcept {
    if (this != &o) {
        destroy();
        state_ = std::move(o.state_);
    }
    return *this;
}

NSNET_DECL NftRule::~NftRule() { destroy(); }

NSNET_DECL RuleCounters NftRule::counters() const {
    const auto& st = state();
    if (!st.has_counter)
        invalid_argument("read rule counters", st.object(), "the rule was created without a counter (.counter = true)");
    if (!st.active) throw Error(ENOENT, "read rule counters", st.object(), {}, "the rule is not in the kernel");
    nl::Socket s = detail::nft_socket(st.netns);
    std::optional<nft::Rule> r;
    if (detail::same_table(s, st.table_handle, st.family)) r = detail::find_rule(s, st.chain.name, st.handle, st.family);
    if (!r) throw Error(ENOENT, "read rule counters", st.object(), {}, "the rule is gone (deleted by someone else?)");
    auto c = nft::find_counter(r->exprs);
    if (!c) throw Error(EPROTO, "read rule counters", st.object(), {}, "the kernel's copy of the rule has no counter");
    return RuleCounters{c->packets, c->bytes};
}

NSNET_DECL void NftRule::remove() {
    if (!state_ || !state_->active) return;
    auto& st = *state_;
    nl::Socket s = detail::nft_socket(st.netns);
    bool present = false;
    try {
        present = detail::same_table(s, st.table_handle, st.family);
    } catch (Error& e) {
        e.set_outcome_unknown(false);  // only a look-up so far: nothing changed
        throw;
    }
    if (present) {
        nft::Batch b;
        b.add(nft::rule_del(st.family, nft_table_name, st.chain.name, st.handle), "delete rule", st.object());
        std::optional<Error> unknown;
        try {
            auto r = b.run(s);
            if (!r.applied) {
                const auto& m = r.messages[0];
                const bool refused = r.batch_error || (m.answered && m.ack.error);
                if (!refused) unknown = r.error();
                else if (!(m.answered && m.ack.error == ENOENT)) throw r.error();
            }
        } catch (const Error& e) {
            // A refusal thrown above is rethrown below, as the rule is still there.
            if (!unknown) unknown = e;
        }
        if (unknown) {
            // The answer was lost: look again (fresh socket) whether the rule is still there.
            bool still_there = true;
            try {
                nl::Socket fresh = detail::nft_socket(st.netns);
                still_there = detail::same_table(fresh, st.table_handle, st.family) &&
                              detail::find_rule(fresh, st.chain.name, st.handle, st.family).has_value();
            } catch (const Error&) {
                Error out = *unknown;
                out.set_outcome_unknown();
                throw out;
            }
            if (still_there) {
                Error out = *unknown;
                out.set_outcome_unknown(false);
                throw out;
            }
        }
        st.active = false;
        detail::collect_garbage_retrying(st.netns, s, st.chain.name, st.table_handle, st.family);
    }
    st.active = false;
}

NSNET_DECL const detail::NftRuleState& NftRule::state() const {
    if (!state_) throw Error(EBADF, "use nft rule", {}, {}, "empty rule object (moved from?)");
    return *state_;
}

NSNET_DECL void NftRule::destroy() noexcept {
    if (!state_) return;
    if (state_->active && !state_->persisted && state_->made_here) {
        try {
            remove();
        } catch (...) {
            // Destructors never throw; call remove() to learn about failures.
        }
    }
    state_.reset();
}

NSNET_DECL ForwardPolicy& ForwardPolicy::operator=(ForwardPolicy&& o) noexcept {
    if (this != &o) {
        destroy();
        state_ = std::move(o.state_);
    }
    return *this;
}

NSNET_DECL ForwardPolicy::~ForwardPolicy() { destroy(); }

NSNET_DECL void ForwardPolicy::reset() {
    if (!state_ || !state_->active) return;
    auto& st = *state_;
    nl::Socket s = detail::nft_socket(st.netns);
    auto spec = detail::filter_chain(FilterHook::Forward);
    auto accepts = [&](nl::Socket& sock) {
        if (!detail::same_table(sock, st.table_handle)) return true;
        auto c = detail::find_chain(sock, spec.name);
        return !c || !c->policy || *c->policy == nft::Policy::Accept;
    };
    bool present = false;
    try {
        present = detail::same_table(s, st.table_handle) && detail::find_chain(s, spec.name);
    } catch (Error& e) {
        e.set_outcome_unknown(false);  // only look-ups so far: nothing changed
        throw;
    }
    if (present) {
        nft::Chain c{.family = detail::nsnet_family, .table = nft_table_name, .name = spec.name, .base = spec.base,
                     .policy = nft::Policy::Accept};
        nft::Batch b;
        b.add(nft::chain_new(c), "set chain policy", "ip nsnet forward: policy accept");
        std::optional<Error> unknown;
        try {
            auto r = b.run(s);
            if (!r.applied) {
                const bool refused = r.batch_error || !r.failed().empty();
                if (!refused) unknown = r.error();
                else if (!(r.failed().size() == 1 && r.messages[r.failed()[0]].ack.error == ENOENT)) throw r.error();
            }
        } catch (const Error& e) {
            if (!unknown) unknown = e;
        }
        if (unknown) {
            // The answer was lost: look again whether the chain accepts now.
            bool done = false;
            try {
                nl::Socket fresh = detail::nft_socket(st.netns);
                done = accepts(fresh);
            } catch (const Error&) {
                Error out = *unknown;
                out.set_outcome_unknown();
                throw out;
            }
            if (!done) {
                Error out = *unknown;
                out.set_outcome_unknown(false);
                throw out;
            }
        }
        st.active = false;
        detail::collect_garbage_retrying(st.netns, s, spec.name, st.table_handle);
    }
    st.active = false;
}

NSNET_DECL void ForwardPolicy::destroy() noexcept {
    if (!state_) return;
    if (state_->active && !state_->persisted && state_->made_here) {
        try {
            reset();
        } catch (...) {
        }
    }
    state_.reset();
}

NSNET_DECL NatBatch::NatBatch(NetnsRef netns) : netns_(std::move(netns)) {
    if (!netns_.valid()) netns_ = NetnsRef::current();
}

NSNET_DECL ForwardPolicy NatBatch::set_forward_policy(Verdict policy) {
    if (policy == Verdict::Continue)
        invalid_argument("set forward policy", "continue", "a chain policy is accept or drop");
    auto st = std::make_shared<detail::NftPolicyState>();
    st->netns = netns_;
    st->policy = policy == Verdict::Drop ? nft::Policy::Drop : nft::Policy::Accept;
    policy_ = st;
    return ForwardPolicy(st);
}

NSNET_DECL void NatBatch::remove(NftRule& rule) {
    if (!rule.state_ || !rule.state_->active) return;
    if (!(rule.state_->netns == netns_))
        invalid_argument("remove rule", rule.state_->object(), "the rule belongs to another namespace");
    if (additions_.empty() && removals_.empty() && !policy_) family_ = rule.state_->family;
    else if (rule.state_->family != family_)
        invalid_argument("remove rule", rule.state_->object(), "a batch changes one table; this rule is in another");
    removals_.push_back(rule.state_);
}

NSNET_DECL void NatBatch::commit() {
    if (committed_) throw Error(EALREADY, "commit nat batch", netns_.display_name(), {}, "already committed");
    nl::Socket s = detail::nft_socket(netns_);
    const bool creates = !additions_.empty() || policy_;
    for (int attempt = 1;; ++attempt) {
        std::optional<nft::Table> table;
        // Removals whose rule is already gone are dropped (deleting them would fail the batch).
        std::vector<std::shared_ptr<detail::NftRuleState>> removals;
        try {
            table = detail::find_nsnet_table(s, family_);
            if (table) detail::require_nsnet_table(*table, "commit nat batch", netns_);
            for (auto& r : removals_) {
                if (table && table->handle && *table->handle == r->table_handle &&
                    detail::find_rule(s, r->chain.name, r->handle, family_))
                    removals.push_back(r);
                else
                    r->active = false;
            }
        } catch (Error& e) {
            e.set_outcome_unknown(false);  // only look-ups so far: nothing changed
            throw;
        }

        std::vector<std::size_t> rule_index;
        nft::Batch b = build(table.has_value(), removals, rule_index);
        if (b.empty()) break;

        // From the sendmsg on, the batch may have been applied: any failure that is not the
        // kernel's refusal is settled by looking at the kernel (settle_unknown).
        nft::BatchResult res;
        try {
            res = b.run(s);
        } catch (const Error& e) {
            settle_unknown(e, removals);
            break;
        }
        if (!res.applied) {
            const bool refused = res.batch_error || !res.failed().empty();  // the batch was rolled back
            if (!refused) {
                settle_unknown(res.error(), removals);  // answers missing
                break;
            }
            // The table appeared between our look and our batch (EXCL refused it): look again.
            if (attempt == 1 && creates && !table && res.messages[0].ack.error == EEXIST) continue;
            throw res.error();
        }
        try {
            finish(s, res, rule_index, removals);
        } catch (const Error& e) {
            settle_unknown(e, removals);
        }
        break;
    }
    committed_ = true;
}

NSNET_DECL void NatBatch::finish(nl::Socket& s, const nft::BatchResult& res, const std::vector<std::size_t>& rule_index,
                                 const std::vector<std::shared_ptr<detail::NftRuleState>>& removals) {
    std::uint64_t table_handle = 0;
    if (auto t = detail::find_nsnet_table(s, family_); t && t->handle) table_handle = *t->handle;
    for (std::size_t i = 0; i < additions_.size(); ++i) {
        auto& st = *additions_[i];
        for (auto& reply : res.messages[rule_index[i]].replies) {
            nl::MessageView m(nl::Bytes(reply.data(), reply.size()));
            if (nft::nft_message(m) == NFT_MSG_NEWRULE) {
                nft::Rule r = nft::decode_rule(m);
                if (r.handle) st.handle = *r.handle;
            }
        }
        st.table_handle = table_handle;
    }
    for (auto& st : additions_)
        if (!st->handle)
            throw Error(EPROTO, "add rule", st->object(), {},
                        "the kernel applied the rule but its echo (with the rule's handle) did not arrive");
    for (auto& st : additions_) st->active = true;
    if (policy_) {
        policy_->table_handle = table_handle;
        policy_->active = true;
    }
    for (auto& st : removals) st->active = false;
    for (auto& st : removals) detail::collect_garbage_retrying(netns_, s, st->chain.name, st->table_handle, family_);
}

NSNET_DECL void NatBatch::settle_unknown(const Error& cause,
                                         const std::vector<std::shared_ptr<detail::NftRuleState>>& removals) {
    enum class Seen { Applied, NotApplied, Partly };
    Seen seen = Seen::NotApplied;
    std::uint64_t table_handle = 0;
    std::map<std::string, std::uint64_t> found;  // tag -> handle, of this batch's new rules
    try {
        nl::Socket s = detail::nft_socket(netns_);  // fresh: the old one may still hold stray answers
        auto table = detail::find_nsnet_table(s, family_);
        const bool ours = table && table->handle && detail::is_nsnet_table(*table);
        if (ours) table_handle = *table->handle;
        std::vector<nft::Rule> rules;
        if (ours) rules = detail::list_nsnet_rules(s, family_);
        for (const auto& r : rules)
            if (r.comment && r.handle)
                if (auto c = detail::parse_rule_comment(*r.comment))
                    for (const auto& st : additions_)
                        if (st->tag == c->tag) found[st->tag] = *r.handle;
        if (!additions_.empty()) {
            seen = found.empty() ? Seen::NotApplied : found.size() == additions_.size() ? Seen::Applied : Seen::Partly;
        } else if (!removals.empty()) {
            // Applied when none of the removed rules is left (the batch is all or nothing).
            bool any_left = false;
            for (const auto& st : removals)
                for (const auto& r : rules)
                    if (st->table_handle == table_handle && r.chain == st->chain.name && r.handle == st->handle)
                        any_left = true;
            seen = any_left ? Seen::NotApplied : Seen::Applied;
        } else if (policy_) {
            auto c = ours ? detail::find_chain(s, detail::filter_chain(FilterHook::Forward).name, family_) : std::nullopt;
            seen = c && c->policy && *c->policy == policy_->policy ? Seen::Applied : Seen::NotApplied;
        }
        if (seen == Seen::Applied) {
            for (auto& st : additions_) {
                st->handle = found[st->tag];
                st->table_handle = table_handle;
                st->active = true;
            }
            if (policy_) {
                policy_->table_handle = table_handle;
                policy_->active = true;
            }
            for (auto& st : removals) st->active = false;
            for (auto& st : removals) detail::collect_garbage_retrying(netns_, s, st->chain.name, st->table_handle, family_);
            return;
        }
        if (seen == Seen::Partly) {
            // Not what one atomic batch does; remove what is there so that nothing is left half-done.
            nft::Batch undo;
            for (auto& st : additions_)
                if (auto it = found.find(st->tag); it != found.end())
                    undo.add(nft::rule_del(family_, nft_table_name, st->chain.name, it->second),
                             "delete rule", st->object());
            undo.run_or_throw(s);
            for (auto& st : additions_) detail::collect_garbage_retrying(netns_, s, st->chain.name, table_handle, family_);
        }
    } catch (const Error& e) {
        Error out(cause.errnum(), cause.operation(), cause.object(), cause.kernel_message(),
                  (cause.detail().empty() ? std::string() : cause.detail() + "; ") +
                      "the nf_tables batch may have been applied and looking at the kernel afterwards failed (" +
                      e.what() + "): its outcome is unknown");
        out.set_outcome_unknown();
        throw out;
    }
    Error out(cause.errnum(), cause.operation(), cause.object(), cause.kernel_message(),
              (cause.detail().empty() ? std::string() : cause.detail() + "; ") +
                  (seen == Seen::Partly ? "looked at the kernel afterwards: part of the batch was there and was removed"
                                        : "looked at the kernel afterwards: nothing of the batch is there"));
    out.set_outcome_unknown(false);
    throw out;
}

NSNET_DECL nft::Batch NatBatch::preview(bool table_exists) const {
    std::vector<std::size_t> rule_index;
    return build(table_exists, removals_, rule_index);
}

NSNET_DECL nft::Batch NatBatch::build(bool table_exists, const std::vector<std::shared_ptr<detail::NftRuleState>>& removals,
                                      std::vector<std::size_t>& rule_index) const {
    nft::Batch b;
    if (!additions_.empty() || policy_) {
        nft::Table t{.family = family_, .name = nft_table_name, .comment = std::string(nft_table_comment)};
        b.add(nft::table_new(t, table_exists ? 0 : NLM_F_EXCL), "add table", nft::table_id(t.family, t.name));
        std::vector<std::string> declared;
        auto declare = [&](const detail::NftChainSpec& spec, std::optional<nft::Policy> policy) {
            if (!policy)
                for (auto& d : declared)
                    if (d == spec.name) return;
            declared.push_back(spec.name);
            nft::Chain c{.family = family_, .table = nft_table_name, .name = spec.name,
                         .base = spec.base, .policy = policy};
            b.add(nft::chain_new(c), policy ? "set chain policy" : "add chain",
                  nft::table_id(family_, nft_table_name) + " " + spec.name +
                      (policy ? ": policy " + nft::policy_name(*policy) : std::string()));
        };
        if (policy_) declare(detail::filter_chain(FilterHook::Forward), policy_->policy);
        for (auto& st : additions_) declare(st->chain, std::nullopt);
        for (auto& st : additions_) {
            nft::Rule r{.family = family_, .table = nft_table_name, .chain = st->chain.name,
                        .exprs = st->exprs, .comment = detail::rule_comment(st->tag, st->owner)};
            rule_index.push_back(b.add(nft::rule_new(r, {.echo = true}), "add rule", st->object()));
        }
    }
    for (auto& st : removals)
        b.add(nft::rule_del(family_, nft_table_name, st->chain.name, st->handle), "delete rule",
              st->object());
    return b;
}

NSNET_DECL std::shared_ptr<detail::NftRuleState> NatBatch::queue(std::shared_ptr<detail::NftRuleState> st) {
    if (committed_) throw Error(EALREADY, "add rule to nat batch", st->object(), {}, "the batch was committed already");
    if (additions_.empty() && removals_.empty() && !policy_) family_ = st->family;
    else if (st->family != family_)
        invalid_argument("add rule to nat batch", st->object(),
                         "a batch changes one table; this rule is for table " + nft::table_id(st->family, nft_table_name) +
                             ", the batch's is " + nft::table_id(family_, nft_table_name));
    if (st->tag.empty()) st->tag = detail::new_rule_tag();
    additions_.push_back(st);
    return st;
}

NSNET_DECL Masquerade Masquerade::add(const NetnsRef& netns, const MasqueradeOptions& options) {
    NatBatch b(netns);
    Masquerade m = b.add(options);
    b.commit();
    return m;
}

NSNET_DECL Snat Snat::add(const NetnsRef& netns, const SnatOptions& options) {
    NatBatch b(netns);
    Snat r = b.add(options);
    b.commit();
    return r;
}

NSNET_DECL Dnat Dnat::add(const NetnsRef& netns, const DnatOptions& options) {
    NatBatch b(netns);
    Dnat r = b.add(options);
    b.commit();
    return r;
}

NSNET_DECL FilterRule FilterRule::add(const NetnsRef& netns, const FilterRuleOptions& options) {
    NatBatch b(netns);
    FilterRule r = b.add(options);
    b.commit();
    return r;
}

NSNET_DECL FilterRule FilterRule::add(const NetnsRef& netns, const RawRuleOptions& options) {
    NatBatch b(netns);
    FilterRule r = b.add(options);
    b.commit();
    return r;
}

NSNET_DECL ForwardPolicy ForwardPolicy::set(const NetnsRef& netns, Verdict policy) {
    NatBatch b(netns);
    ForwardPolicy p = b.set_forward_policy(policy);
    b.commit();
    return p;
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
