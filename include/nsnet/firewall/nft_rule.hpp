// nsnet/firewall/nft_rule.hpp — NftRule, what every rule object nsnet adds to its table shares
// (Masquerade, Snat, Dnat, FilterRule, firewall::Rule): its ownership, its counters, its removal,
// and how a later process finds it again (RuleKind: list, find, get, adopt, remove, remove_owned).
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp). The table, its chains and the batch
// that changes them: firewall/table.hpp.
//
// Finding a rule again: every rule carries the comment "nsnet:TAG" (a random TAG), or
// "owner:OWNER nsnet:TAG" when its options named an owner (e.g. a container id). A later process
// lists the rules of a kind (`Dnat::list(ns, {.owner = id})`), finds one by its handle (`nft -a`
// shows it; NftRule::handle()) or by its tag (NftRule::tag()), adopts it (takes ownership: the
// returned object removes it) or removes it (`Dnat::remove(ns, handle)`,
// `Dnat::remove_owned(ns, id)`); a rule already gone counts as removed.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/owner.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/text.hpp"

namespace nsnet::firewall {

// What a filter rule does with a matching packet: `accept`, `drop`, or nothing (Continue: the
// rule only counts, the packet goes on to the next rule). Also a chain policy (accept or drop).
enum class Verdict { Accept, Drop, Continue };

// A rule's counter (`counter packets N bytes M`).
struct RuleCounters {
    std::uint64_t packets = 0;  // packets that matched
    std::uint64_t bytes = 0;    // their bytes
};

// A rule of nsnet's table `ip nsnet` as read back from the kernel, by any process.
struct RuleEntry {
    std::uint64_t handle = 0;  // the kernel's handle, unique in the table (`nft -a`: `# handle N`)
    std::string chain{};       // "postrouting", "prerouting", "forward", ...
    std::string tag{};         // the random tag of its comment "nsnet:TAG"
    std::string owner{};       // the owner its options named; "" for none
    std::string text{};        // as `nft list ruleset` shows it (counter values included)
};

// Which rules X::list returns: all of that kind, or those of one owner.
struct RuleFilter {
    std::optional<std::string> owner{};  // only the rules of this owner ("" : those without one)
};

}  // namespace nsnet::firewall

namespace nsnet::detail {

// The plain handle of one rule nsnet added: what detail::Owner holds. remove() deletes the rule
// (`nft delete rule ip nsnet CHAIN handle N`), then its chain and the table if nothing else is
// left in them; a rule already gone, or never committed, counts as removed.
struct NftRuleHandle {
    std::shared_ptr<NftRuleState> state{};
    NSNET_LAZY void remove() const;
};

NSNET_LAZY NSNET_DECL std::string quoted(const std::string& s);

// The interface name an iif/oif option matches (`iifname "NAME"`); "" when unset. A name is taken
// as given (it need not exist yet, as nft allows); a Link, owner or ifindex is looked up in `ns`
// (DeviceArg::name_in). Errors name `field` and the value.
NSNET_LAZY NSNET_DECL std::string option_ifname(const NetnsRef& ns, const DeviceArg& dev, const char* operation, const std::string& field);

// An IPv4 prefix/address of an option; InvalidArgument naming the field otherwise ("nsnet's nat
// table is IPv4: MasqueradeOptions.saddr fd00::/64 is IPv6").
NSNET_LAZY NSNET_DECL Prefix v4_prefix(const PrefixArg& p, const char* operation, const std::string& field);
NSNET_LAZY NSNET_DECL IpAddress v4_address(const AddressArg& a, const char* operation, const std::string& field);

NSNET_LAZY NSNET_DECL const char* proto_name(firewall::Protocol p);

// The source of a masquerade/SNAT: saddr given (IPv4), or match_all (0.0.0.0/0); neither or both
// is an InvalidArgument naming the field.
NSNET_LAZY NSNET_DECL Prefix require_saddr(const PrefixArg& saddr, bool match_all, const char* op, const char* options);

// An owner tag as it can be written into a rule comment: at most 200 bytes, printable, no '"'.
NSNET_LAZY NSNET_DECL void check_owner(const std::string& owner, const char* op, const std::string& field);

// Appends the prefix match and its nft text ("ip saddr 172.17.0.0/16").
NSNET_LAZY NSNET_DECL void add_prefix(NftRuleState& st, bool source, const Prefix& p);
NSNET_LAZY NSNET_DECL void add_ifname(NftRuleState& st, bool input, const std::string& name, bool negate);
// A port that must be given: 1..65535 (0 is "not given"); InvalidArgument naming the field.
NSNET_LAZY NSNET_DECL void require_port(std::uint16_t port, const char* op, const std::string& field);

NSNET_LAZY NSNET_DECL void add_dport(NftRuleState& st, firewall::Protocol proto, std::uint16_t port);
NSNET_LAZY NSNET_DECL void add_words(NftRuleState& st, const std::string& words);
NSNET_LAZY NSNET_DECL void add_counter(NftRuleState& st, bool counter);

// A rule's kind, told from what the kernel holds (a masquerade statement, a dnat, a filter chain).
using RuleKindTest = bool (*)(const nft::Rule&);
// The rules of table ip nsnet of one kind, filtered.
NSNET_LAZY NSNET_DECL std::vector<firewall::RuleEntry> list_kind(const NetnsRef& ns, RuleKindTest kind,
                                                      const firewall::RuleFilter& filter);
// One rule of that kind by handle or tag (the other empty / 0); nullopt when there is none.
NSNET_LAZY NSNET_DECL std::optional<firewall::RuleEntry> find_kind(const NetnsRef& ns, RuleKindTest kind, std::uint64_t handle,
                                                        std::string_view tag);
// As find_kind, but an Error(ENOENT) naming the kind and key when there is none.
NSNET_LAZY NSNET_DECL firewall::RuleEntry get_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                        std::uint64_t handle, std::string_view tag);
// The state of an existing rule of that kind (checked: Error(ENOENT) naming it otherwise), active.
NSNET_LAZY NSNET_DECL std::shared_ptr<NftRuleState> adopt_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                                    std::uint64_t handle, std::string_view tag);
// Removes a rule of that kind by handle or tag; one already gone is success.
NSNET_LAZY NSNET_DECL void remove_kind(const NetnsRef& ns, RuleKindTest kind, std::uint64_t handle, std::string_view tag);
// Removes every rule of that kind whose owner is `owner`, in one batch; returns how many.
NSNET_LAZY NSNET_DECL std::size_t remove_owned_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                         const std::string& owner);

}  // namespace nsnet::detail

namespace nsnet::firewall {

class Batch;
class Rule;

// One rule nsnet added to its table, owned: removed when this object is destroyed unless
// persist()ed or release()d (nothing is removed by a fork child's copy). Move-only. Built on
// detail::Owner, the one owner of the library.
class NftRule {
public:
    NftRule() = default;

    // True once the rule is in the kernel (after create(), or after its Batch committed).
    bool active() const noexcept { return state_ptr() && state_ptr()->active; }
    // The kernel's handle (`nft -a list ruleset` shows it as `# handle N`); 0 while not active.
    std::uint64_t handle() const noexcept { return state_ptr() ? state_ptr()->handle : 0; }
    // The random tag of the rule's comment ("nsnet:TAG"): X::find(ns, tag) finds it again.
    std::string tag() const { return state_ptr() ? state_ptr()->tag : std::string(); }
    // The owner its options named ("" for none).
    std::string owner() const { return state_ptr() ? state_ptr()->owner : std::string(); }
    // The chain in table `ip nsnet` the rule lives in ("postrouting", "forward", ...).
    std::string chain() const { return state_ptr() ? state_ptr()->chain.name : std::string(); }
    // The rule in nft syntax, as `nft list ruleset` shows it (without counter values):
    // `ip saddr 172.17.0.0/16 oifname != "docker0" masquerade`.
    std::string to_string() const { return state_ptr() ? state_ptr()->description : std::string(); }
    // The namespace the rule is in.
    NSNET_LAZY const NetnsRef& netns() const { return state().netns; }

    // Reads the rule's counter back from the kernel (`nft list ruleset` shows
    // `counter packets N bytes M`). Only for rules created with .counter = true.
    NSNET_LAZY RuleCounters counters() const;

    // Keep the rule in the kernel after this object is gone.
    void persist() noexcept { owner_.persist(); }
    // Keeps the rule and returns its handle (X::remove(ns, handle) removes it later).
    std::uint64_t release() noexcept { return owner_.release().state ? handle() : 0; }
    // Deletes the rule now (`nft delete rule ip nsnet CHAIN handle N`), then its chain and the
    // table if nothing else is left in them. A rule already gone counts as deleted. Acts also
    // after persist() and in a fork child: it is asked for explicitly.
    NSNET_LAZY void remove() {
        // An owned one through the owner, which keeps it when removal fails (its destructor tries
        // again); a persisted one directly.
        if (owner_.owned()) owner_.remove();
        else owner_->remove();
    }

protected:
    friend class Batch;
    friend class Rule;
    NSNET_LAZY explicit NftRule(std::shared_ptr<detail::NftRuleState> st) : owner_(detail::NftRuleHandle{std::move(st)}) {}
    const std::shared_ptr<detail::NftRuleState>& state_ptr() const noexcept { return owner_->state; }
    NSNET_LAZY const detail::NftRuleState& state() const;

private:
    detail::Owner<detail::NftRuleHandle> owner_{};
};

// What Masquerade, Snat, Dnat and FilterRule share: finding, adopting and removing the rules of
// their kind from any process. Kind provides `static bool is_kind(const nft::Rule&)` and
// `static constexpr const char* kind_name`.
template <class Kind>
class RuleKind : public NftRule {
public:
    // The member remove() (this object's rule), next to the static remove(ns, key) below.
    using NftRule::remove;

    // nft -a list table ip nsnet: the rules of this kind, all or those of one owner.
    static std::vector<RuleEntry> list(const NetnsRef& ns, const RuleFilter& filter = {}) {
        return detail::list_kind(ns, &Kind::is_kind, filter);
    }
    // The rule of this kind with this handle / tag; nullopt when there is none.
    static std::optional<RuleEntry> find(const NetnsRef& ns, std::uint64_t handle) {
        return detail::find_kind(ns, &Kind::is_kind, handle, {});
    }
    // By tag (NftRule::tag(), the random part of the rule's comment).
    static std::optional<RuleEntry> find(const NetnsRef& ns, std::string_view tag) {
        return detail::find_kind(ns, &Kind::is_kind, 0, tag);
    }
    // As find, but an Error (ENOENT) naming the handle / tag when there is none.
    static RuleEntry get(const NetnsRef& ns, std::uint64_t handle) {
        return detail::get_kind(ns, &Kind::is_kind, Kind::kind_name, handle, {});
    }
    // By tag.
    static RuleEntry get(const NetnsRef& ns, std::string_view tag) {
        return detail::get_kind(ns, &Kind::is_kind, Kind::kind_name, 0, tag);
    }
    // Takes ownership of an existing rule of this kind (Error ENOENT when there is none): the
    // returned object removes it, e.g. one a previous process persisted.
    static Kind adopt(const NetnsRef& ns, std::uint64_t handle) {
        return Kind(detail::adopt_kind(ns, &Kind::is_kind, Kind::kind_name, handle, {}));
    }
    // By tag.
    static Kind adopt(const NetnsRef& ns, std::string_view tag) {
        return Kind(detail::adopt_kind(ns, &Kind::is_kind, Kind::kind_name, 0, tag));
    }
    // Deletes the rule of this kind with this handle / tag, from any process; already gone is success.
    static void remove(const NetnsRef& ns, std::uint64_t handle) { detail::remove_kind(ns, &Kind::is_kind, handle, {}); }
    static void remove(const NetnsRef& ns, std::string_view tag) { detail::remove_kind(ns, &Kind::is_kind, 0, tag); }
    // Deletes every rule of this kind whose options named `owner`, in one batch; returns how many.
    static std::size_t remove_owned(const NetnsRef& ns, const std::string& owner) {
        return detail::remove_owned_kind(ns, &Kind::is_kind, Kind::kind_name, owner);
    }

protected:
    RuleKind() = default;
    explicit RuleKind(std::shared_ptr<detail::NftRuleState> st) : NftRule(std::move(st)) {}
};

}  // namespace nsnet::firewall

namespace nsnet {

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/firewall/nft_rule.ipp"
#endif
