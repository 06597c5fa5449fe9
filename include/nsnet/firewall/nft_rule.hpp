// nsnet/firewall/nft_rule.hpp — NftRule, what every rule object nsnet adds to its table shares
// (Masquerade, Snat, Dnat, FilterRule, firewall::Rule): its state, its counters, its removal; and
// the pieces the rule kinds build their expressions and nft text from.
//
// Layer: typed objects (do I/O), over nf_tables (nft/*.hpp). The table, its chains and the batch
// that changes them: firewall/table.hpp.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nft/expr.hpp"

namespace nsnet {

// The transport protocol a port match or port forward applies to (`-p tcp` / `tcp dport`).
enum class L4Protocol : std::uint8_t { Tcp = IPPROTO_TCP, Udp = IPPROTO_UDP };

// What a filter rule does with a matching packet: `accept`, `drop`, or nothing (Continue: the
// rule only counts, the packet goes on to the next rule).
enum class Verdict { Accept, Drop, Continue };

// A rule's counter (`counter packets N bytes M`).
struct RuleCounters {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};

namespace detail {

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

#if NSNET_DEFINITIONS

namespace detail {

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

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
