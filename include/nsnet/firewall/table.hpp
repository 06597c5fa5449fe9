// nsnet/firewall/table.hpp — the nf_tables table nsnet keeps its rules in (`ip nsnet`, and
// `inet`/`ip6 nsnet` for firewall::Rule), its fixed chains, and the one batch that changes it.
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp) through NETLINK_NETFILTER: no
// iptables or nft binary, no library at run time. The rule types built on this table are in
// firewall/nat.hpp (Masquerade, Snat, Dnat), firewall/filter.hpp (FilterRule),
// firewall/forward.hpp (ForwardPolicy), firewall/rule.hpp (firewall::Rule: any match, any family)
// and firewall/batch.hpp (several of them in one atomic batch).
//
// Design (ownership):
//  - nsnet keeps its rules in one table per namespace and family, `FAMILY nsnet`, marked with the
//    comment "managed by nsnet". A table of that name without the mark was made by someone else:
//    nsnet refuses to use it (EEXIST) and never touches any other table.
//  - Chains are fixed per hook: nat `prerouting` (dstnat, -100), `postrouting` (srcnat, 100),
//    `output` (-100, DNAT of locally originated traffic); filter `forward`, `input` (0), and
//    `output_filter`, `prerouting_filter`, `postrouting_filter` for the rarer hooks.
//  - Every change is one nf_tables batch, all or nothing: adding a rule re-declares its table and
//    chain in the same batch (`add table`, `add chain`, which leave existing ones alone), so it
//    never depends on state read earlier. detail::TableBatch is that batch; firewall/batch.hpp's
//    public batch groups several rules (and removals, and the forward policy) into one.
//  - Each rule object knows its rule by handle (returned by the kernel with NLM_F_ECHO) and by
//    the table's handle, so it deletes exactly its own rule, and nothing if the table was deleted
//    and re-created meanwhile. Destruction removes the rule unless persist() was called.
//  - The table and chains have no owner object and no reference count in the process: the kernel
//    is the reference count. After removing a rule, nsnet deletes its chain with NLM_F_NONREC,
//    which the kernel refuses (EBUSY) while any rule is left in it, and then the table the same
//    way, refused while any chain is left. So the table lives exactly as long as some nsnet rule
//    (from this process, another one, or persisted) needs it, with no race between processes. A
//    chain whose policy is not accept (ForwardPolicy drop) is kept even when empty.
//  - Every rule carries a comment "nsnet:TAG" (NFTA_RULE_USERDATA), TAG random per rule, preceded
//    by "owner:OWNER " when the rule has an owner tag. When the kernel's answer to a batch is lost,
//    cut short or unreadable (or a look-up after it fails), commit() looks at the kernel on a fresh
//    socket: the new rules found by their tags mean the batch was applied (their handles are
//    recovered and commit() succeeds); none found means it was not (the original error, outcome
//    known); a failed look-up is reported with Error::outcome_unknown(). Removals check the same way.
//
// Not done: sets/maps.
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
#include "nsnet/detail/thread_netns.hpp"
#include "nsnet/error.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/batch.hpp"
#include "nsnet/nft/chain.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/nl/transact.hpp"

namespace nsnet {

// The hook a filter rule is attached to (`iptables -A FORWARD` = Forward).
namespace firewall {

// The netfilter hook (the base chain) a rule is in: `iptables -A FORWARD` is Forward.
enum class Hook { Prerouting, Input, Forward, Output, Postrouting };

// The transport protocol of a port match or a port forward (`tcp dport`, `udp sport`).
enum class Protocol : std::uint8_t { Tcp = IPPROTO_TCP, Udp = IPPROTO_UDP };

}  // namespace firewall

// The table nsnet keeps its rules in (`ip nsnet`, `inet nsnet`, `ip6 nsnet`).
inline constexpr const char* nft_table_name = "nsnet";
// The comment that marks the table as nsnet's (a table of that name without it is left alone).
inline constexpr const char* nft_table_comment = "managed by nsnet";

namespace detail {

inline const nft::TableFamily nsnet_family = nft::TableFamily::Ip;

struct NftChainSpec {
    std::string name{};
    std::optional<nft::BaseChain> base{};  // nullopt: a regular chain (a jump target)
};

NSNET_LAZY NSNET_DECL NftChainSpec nat_chain(nft::Hook hook);

// nsnet's filter chain for a hook (`forward`, `input`, `output_filter`, ...).
NSNET_LAZY NSNET_DECL NftChainSpec filter_chain(firewall::Hook hook);

// The state one rule object and a batch share until the batch is committed.
struct NftRuleState {
    NetnsRef netns{};
    nft::TableFamily family = nft::TableFamily::Ip;  // the table: `FAMILY nsnet`
    NftChainSpec chain{};
    nft::Exprs exprs;  // not `exprs{}`: see DEVELOPERS.md, "Lazy bodies"
    std::string description{};  // nft syntax: ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
    bool has_counter = false;
    std::uint64_t table_handle = 0;
    std::uint64_t handle = 0;
    // A token unique to this rule, written into the kernel with it (NFTA_RULE_USERDATA, the rule's
    // comment: `comment "nsnet:0123456789abcdef"`), so the rule can be found again when the
    // kernel's answer to the batch that added it was lost (see TableBatch::commit).
    std::string tag{};
    std::string owner{};
    bool active = false;  // in the kernel (what removes it, and when, is its owner's business)

    NSNET_LAZY std::string object() const;
};

// A fresh random 16-hex-digit rule tag.
NSNET_LAZY NSNET_DECL std::string new_rule_tag();
// The comment nsnet writes on a rule: "nsnet:TAG", or "owner:OWNER nsnet:TAG".
NSNET_LAZY NSNET_DECL std::string rule_comment(const std::string& tag, const std::string& owner);
// The tag and owner of a comment rule_comment() wrote; nullopt for any other comment.
struct ParsedRuleComment {
    std::string tag{};
    std::string owner{};
};
NSNET_LAZY NSNET_DECL std::optional<ParsedRuleComment> parse_rule_comment(std::string_view comment);

// Every rule of table ip nsnet (all chains); empty when the table is absent.
NSNET_LAZY NSNET_DECL std::vector<nft::Rule> list_nsnet_rules(nl::Socket& s, nft::TableFamily f = nsnet_family);

// collect_garbage() that tolerates a failure: it is retried once on a fresh socket (the first
// one may hold the lost answer of the failed attempt), and a second failure is ignored (the
// removal it follows succeeded; the next removal in this namespace collects what is left).
NSNET_LAZY NSNET_DECL void collect_garbage_retrying(const NetnsRef& ns, nl::Socket& s, const std::string& chain,
                                         std::uint64_t table_handle, nft::TableFamily f = nsnet_family) noexcept;

NSNET_LAZY inline nl::Socket nft_socket(const NetnsRef& ns) { return ns.netlink_socket(NETLINK_NETFILTER); }

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

NSNET_LAZY NSNET_DECL std::optional<nft::Table> find_nsnet_table(nl::Socket& s, nft::TableFamily f = nsnet_family);

NSNET_LAZY NSNET_DECL bool is_nsnet_table(const nft::Table& t);

NSNET_LAZY NSNET_DECL void require_nsnet_table(const nft::Table& t, const std::string& operation, const NetnsRef& ns);


NSNET_LAZY NSNET_DECL std::optional<nft::Chain> find_chain(nl::Socket& s, const std::string& chain, nft::TableFamily f = nsnet_family);

NSNET_LAZY NSNET_DECL std::optional<nft::Rule> find_rule(nl::Socket& s, const std::string& chain, std::uint64_t handle,
                                            nft::TableFamily f = nsnet_family);

// Is the table that holds rules created under table_handle still there?
NSNET_LAZY NSNET_DECL bool same_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f = nsnet_family);

// Runs a batch; returns the errno of a refusal (0 on success) instead of throwing. When the
// kernel's answer is missing (the outcome is unknown) it throws an outcome_unknown Error.
NSNET_LAZY NSNET_DECL int try_batch(nl::Socket& s, const nft::Batch& b);
// try_batch of a one-message batch.
NSNET_LAZY NSNET_DECL int try_single(nl::Socket& s, const nl::MessageBuilder& msg, const std::string& op, const std::string& obj);
// Whether a removal may delete chain `c` of nsnet's table: nothing in it and nothing jumps to it
// (NFTA_CHAIN_USE 0), and it accepts by default (a drop policy is a setting someone made:
// ForwardPolicy).
NSNET_LAZY NSNET_DECL bool sweepable(const nft::Chain& c);

// After a removal: delete `chain` if it is empty and accepts by default, then the table if it has
// no chains left. Both deletions are NLM_F_NONREC, so the kernel refuses them (EBUSY) while
// something is still in there — including rules another process added a moment ago.
NSNET_LAZY NSNET_DECL void collect_garbage(nl::Socket& s, const std::string& chain, std::uint64_t table_handle,
                                nft::TableFamily f = nsnet_family);
// collect_garbage for every chain of the table (regular chains left empty by a jump's removal too):
// the chains empty_chains() picks from one dump, in one batch, then the table if none is left.
NSNET_LAZY NSNET_DECL void sweep_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f);
// Every chain of nsnet's table of family `f` (one dump); empty when the table is absent.
NSNET_LAZY NSNET_DECL std::vector<nft::Chain> list_nsnet_chains(nl::Socket& s, nft::TableFamily f);
// The names of the chains of nsnet's table in `chains` that sweep_table deletes (sweepable()).
NSNET_LAZY NSNET_DECL std::vector<std::string> empty_chains(const std::vector<nft::Chain>& chains);

// The forward chain's policy, shared between a ForwardPolicy object and a batch.
struct NftPolicyState {
    NetnsRef netns{};
    nft::Policy policy = nft::Policy::Accept;
    std::uint64_t table_handle = 0;
    bool active = false;
};

// One nf_tables batch on nsnet's table of one family in one namespace: rule additions, removals
// and the forward policy, all applied or none. The rule and policy states queued here become
// active when commit() succeeds; if it fails they stay inactive and the kernel is unchanged.
class TableBatch {
public:
    // A batch for `netns`. An empty NetnsRef can only preview(): commit() refuses it (InvalidArgument,
    // from NetnsRef) before anything is sent; the caller's namespace is NetnsRef::current().
    explicit TableBatch(NetnsRef netns);

    const NetnsRef& netns() const noexcept { return netns_; }
    // Queues a new rule (its family must be the batch's: one table per batch); gives it a tag.
    NSNET_LAZY std::shared_ptr<NftRuleState> queue(std::shared_ptr<NftRuleState> st);
    // Queues the removal of an active rule of this namespace; one not active is ignored.
    NSNET_LAZY void remove(const std::shared_ptr<NftRuleState>& st);
    // Sets the forward chain's policy in this batch.
    NSNET_LAZY void set_policy(std::shared_ptr<NftPolicyState> st);

    std::size_t size() const noexcept { return additions_.size() + removals_.size() + (policy_ ? 1 : 0); }

    // commit() then applies its batch only to the ruleset at `generation` (nft::read_generation):
    // if anything was committed in the namespace since, it throws Error(ERESTART) and changes
    // nothing (Rule::ensure looks again).
    void require_generation(std::uint32_t generation) noexcept { generation_ = generation; }

    // Sends everything in one batch. Throws the kernel's refusal (Error naming the failing rule,
    // with "nothing was applied" in its detail); nothing changes then.
    NSNET_LAZY void commit();

    // The nf_tables batch commit() would send if the kernel held no rules of this batch yet, the
    // table did (table_exists) or did not exist, and it had the chains `present` (commit() reads
    // them from the kernel). Its messages are exactly commit()'s; nft::Batch::run adds sequence
    // numbers and NLM_F_ACK.
    NSNET_LAZY nft::Batch preview(bool table_exists = true, const std::vector<nft::Chain>& present = {}) const;

private:
    // The table (NLM_F_EXCL when it is absent, so a table someone else creates meanwhile makes the
    // batch fail instead of being adopted), each chain needed that is not `present` already (no
    // policy, so an existing chain keeps its own), the forward policy, the new rules
    // (NLM_F_ECHO: the kernel returns their handles), the removals. A chain the kernel has is not
    // declared again: the kernel frees the update of an existing chain only after an RCU grace
    // period, and the next close() of any nf_tables socket in the namespace (the plugin's exit)
    // waits for that (7-32 ms measured, Linux 6.18 without expedited grace periods); a table
    // declared again costs nothing.
    NSNET_LAZY nft::Batch build(bool table_exists, const std::vector<nft::Chain>& present,
                     const std::vector<std::shared_ptr<NftRuleState>>& removals,
                     std::vector<std::size_t>& rule_index) const;
    // After the batch was applied: the table's handle, each new rule's handle (from its echo), the
    // policy and removals marked done, empty chains collected.
    NSNET_LAZY void finish(nl::Socket& s, const nft::BatchResult& res, const std::vector<std::size_t>& rule_index,
                const std::vector<std::shared_ptr<NftRuleState>>& removals);
    // The batch may or may not have been applied (its answer was lost, cut short or unreadable, or
    // a look-up after it failed): looks at the kernel on a fresh socket. Applied (the new rules are
    // found by their tags): recovers their handles and returns normally. Not applied: throws
    // `cause`. Cannot tell (the look-up failed too): throws `cause` with outcome_unknown() set.
    NSNET_LAZY void settle_unknown(const Error& cause, const std::vector<std::shared_ptr<NftRuleState>>& removals);
    // The family of the batch's table, fixed by the first thing queued.
    NSNET_LAZY void use_family(nft::TableFamily f, const std::string& operation, const std::string& object);

    NetnsRef netns_{};
    nft::TableFamily family_ = nsnet_family;
    std::vector<std::shared_ptr<NftRuleState>> additions_{};
    std::vector<std::shared_ptr<NftRuleState>> removals_{};
    std::shared_ptr<NftPolicyState> policy_{};
    std::optional<std::uint32_t> generation_{};
    bool committed_ = false;
};

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/table.ipp"
#endif
