// nsnet/impl/firewall/nft_rule.ipp — the function bodies of <nsnet/firewall/nft_rule.hpp>.
//
// Included at the end of nsnet/firewall/nft_rule.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::string quoted(const std::string& s) { return "\"" + s + "\""; }

NSNET_LAZY_DEFINITION NSNET_DECL std::string option_ifname(const NetnsRef& ns, const DeviceArg& dev, const char* operation, const std::string& field) {
    return dev.name_in(ns, field, operation, dev.to_string());
}

NSNET_LAZY_DEFINITION NSNET_DECL Prefix v4_prefix(const PrefixArg& p, const char* operation, const std::string& field) {
    Prefix out = p.resolve(field, operation, p.to_string());
    if (!out.address().is_v4())
        invalid_argument(operation, out.to_string(),
                         field + " " + out.to_string() + " is IPv6; nsnet's nat table is IPv4 (ip family)");
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL IpAddress v4_address(const AddressArg& a, const char* operation, const std::string& field) {
    IpAddress out = a.resolve(field, operation, a.to_string());
    if (!out.is_v4())
        invalid_argument(operation, out.to_string(),
                         field + " " + out.to_string() + " is IPv6; nsnet's nat table is IPv4 (ip family)");
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL const char* proto_name(firewall::Protocol p) { return ip_protocol_name(static_cast<std::uint8_t>(p)); }

NSNET_LAZY_DEFINITION NSNET_DECL Prefix require_saddr(const PrefixArg& saddr, bool match_all, const char* op, const char* options) {
    if (saddr.empty() && !match_all)
        invalid_argument(op, "(no saddr)",
                         std::string(options) + ".saddr is missing: give the source prefix (e.g. 172.17.0.0/16), "
                                                "or match_all = true to rewrite every source");
    if (!saddr.empty() && match_all)
        invalid_argument(op, saddr.to_string(),
                         std::string(options) + ".saddr " + saddr.to_string() + " and match_all = true contradict each other");
    if (saddr.empty()) return Prefix::parse("0.0.0.0/0");
    return v4_prefix(saddr, op, std::string(options) + ".saddr");
}

NSNET_LAZY_DEFINITION NSNET_DECL void check_owner(const std::string& owner, const char* op, const std::string& field) {
    if (owner.size() > 200)
        invalid_argument(op, owner.substr(0, 64), field + " is " + std::to_string(owner.size()) + " bytes; at most 200");
    for (char ch : owner)
        if (is_control_byte(ch) || ch == '"')
            invalid_argument(op, shown_text(owner), field + " '" + shown_text(owner) + "' has a control character or a double quote");
}

NSNET_LAZY_DEFINITION NSNET_DECL void add_prefix(NftRuleState& st, bool source, const Prefix& p) {
    nft::detail::append(st.exprs, nft::match_address(source, p));
    if (p.length() == 0) return;
    if (!st.description.empty()) st.description += ' ';
    Prefix net = p.network();
    st.description += std::string(source ? "ip saddr " : "ip daddr ") +
                      (net.length() == 32 ? net.address().to_string() : net.to_string());
}

NSNET_LAZY_DEFINITION NSNET_DECL void add_ifname(NftRuleState& st, bool input, const std::string& name, bool negate) {
    if (name.empty()) return;
    nft::detail::append(st.exprs, nft::match_ifname(input, name, negate));
    if (!st.description.empty()) st.description += ' ';
    st.description += std::string(input ? "iifname " : "oifname ") + (negate ? "!= " : "") + quoted(name);
}

NSNET_LAZY_DEFINITION NSNET_DECL void require_port(std::uint16_t port, const char* op, const std::string& field) {
    if (port == 0) invalid_argument(op, "port 0", field + " is 0: give a port 1..65535");
}

NSNET_LAZY_DEFINITION NSNET_DECL void add_dport(NftRuleState& st, firewall::Protocol proto, std::uint16_t port) {
    nft::detail::append(st.exprs, nft::match_dport(static_cast<std::uint8_t>(proto), port));
    if (!st.description.empty()) st.description += ' ';
    st.description += std::string(proto_name(proto)) + " dport " + std::to_string(port);
}

NSNET_LAZY_DEFINITION NSNET_DECL void add_words(NftRuleState& st, const std::string& words) {
    if (!st.description.empty()) st.description += ' ';
    st.description += words;
}

NSNET_LAZY_DEFINITION NSNET_DECL void add_counter(NftRuleState& st, bool counter) {
    if (!counter) return;
    st.exprs.push_back(nft::counter());
    st.has_counter = true;
    add_words(st, "counter");
}

NSNET_LAZY inline firewall::RuleEntry entry_of(const nft::Rule& r) {
    firewall::RuleEntry e;
    e.handle = r.handle.value_or(0);
    e.chain = r.chain;
    if (r.comment)
        if (auto c = parse_rule_comment(*r.comment)) {
            e.tag = c->tag;
            e.owner = c->owner;
        }
    e.text = nft::to_text(r);
    return e;
}

// The rules of table ip nsnet (when it is nsnet's) of one kind, with the table's handle.
NSNET_LAZY inline std::vector<nft::Rule> kind_rules(nl::Socket& s, RuleKindTest kind, std::uint64_t& table_handle) {
    table_handle = 0;
    auto t = find_nsnet_table(s, nsnet_family);
    if (!t || !is_nsnet_table(*t) || !t->handle) return {};
    table_handle = *t->handle;
    std::vector<nft::Rule> out;
    for (auto& r : list_nsnet_rules(s, nsnet_family))
        if (r.handle && kind(r)) out.push_back(std::move(r));
    return out;
}

NSNET_LAZY inline bool key_matches(const nft::Rule& r, std::uint64_t handle, std::string_view tag) {
    if (handle) return r.handle && *r.handle == handle;
    if (!r.comment) return false;
    auto c = parse_rule_comment(*r.comment);
    return c && c->tag == tag;
}

NSNET_LAZY inline std::string key_text(std::uint64_t handle, std::string_view tag) {
    return handle ? "handle " + std::to_string(handle) : "tag " + std::string(tag);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<firewall::RuleEntry> list_kind(const NetnsRef& ns, RuleKindTest kind,
                                                      const firewall::RuleFilter& filter) {
    nl::Socket s = nft_socket(ns);
    std::uint64_t th = 0;
    std::vector<firewall::RuleEntry> out;
    for (const auto& r : kind_rules(s, kind, th)) {
        firewall::RuleEntry e = entry_of(r);
        if (filter.owner && e.owner != *filter.owner) continue;
        out.push_back(std::move(e));
    }
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<firewall::RuleEntry> find_kind(const NetnsRef& ns, RuleKindTest kind, std::uint64_t handle,
                                                        std::string_view tag) {
    detail::require_netns(ns, "find firewall rule", "ip nsnet " + key_text(handle, tag));  // also without a key
    if (!handle && tag.empty()) return std::nullopt;
    nl::Socket s = nft_socket(ns);
    std::uint64_t th = 0;
    for (const auto& r : kind_rules(s, kind, th))
        if (key_matches(r, handle, tag)) return entry_of(r);
    return std::nullopt;
}

NSNET_LAZY_DEFINITION NSNET_DECL firewall::RuleEntry get_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                        std::uint64_t handle, std::string_view tag) {
    if (auto e = find_kind(ns, kind, handle, tag)) return *e;
    throw Error(ENOENT, std::string("get ") + kind_name, "ip nsnet " + key_text(handle, tag), {},
                std::string("no ") + kind_name + " with that " + (handle ? "handle" : "tag") + " in " +
                    ns.display_name());
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> adopt_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                                    std::uint64_t handle, std::string_view tag) {
    nl::Socket s = nft_socket(ns);
    std::uint64_t th = 0;
    for (auto& r : kind_rules(s, kind, th)) {
        if (!key_matches(r, handle, tag)) continue;
        auto st = std::make_shared<NftRuleState>();
        st->netns = ns;
        st->family = nsnet_family;
        st->chain = {r.chain, std::nullopt};
        st->description = nft::to_text(r, false);
        st->has_counter = nft::find_counter(r.exprs).has_value();
        st->exprs = std::move(r.exprs);  // r is ours: a rule just read from the kernel
        st->table_handle = th;
        st->handle = *r.handle;
        if (r.comment)
            if (auto c = parse_rule_comment(*r.comment)) {
                st->tag = c->tag;
                st->owner = c->owner;
            }
        st->active = true;
        return st;
    }
    throw Error(ENOENT, std::string("adopt ") + kind_name, "ip nsnet " + key_text(handle, tag), {},
                std::string("no ") + kind_name + " with that " + (handle ? "handle" : "tag") + " in " + ns.display_name());
}

NSNET_LAZY_DEFINITION NSNET_DECL void remove_kind(const NetnsRef& ns, RuleKindTest kind, std::uint64_t handle, std::string_view tag) {
    std::shared_ptr<NftRuleState> st;
    try {
        st = adopt_kind(ns, kind, "rule", handle, tag);
    } catch (const Error& e) {
        if (e.errnum() == ENOENT) return;  // already gone
        throw;
    }
    NftRuleHandle{st}.remove();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t remove_owned_kind(const NetnsRef& ns, RuleKindTest kind, const char* kind_name,
                                         const std::string& owner) {
    const std::string op = std::string("remove owned ") + kind_name + "s";
    if (owner.empty()) invalid_argument(op, owner, "owner is empty (rules without an owner are not removed by owner)");
    TableBatch b(ns);
    std::vector<std::shared_ptr<NftRuleState>> mine;
    {
        nl::Socket s = nft_socket(ns);
        std::uint64_t th = 0;
        for (const auto& r : kind_rules(s, kind, th)) {
            if (!r.comment) continue;
            auto c = parse_rule_comment(*r.comment);
            if (!c || c->owner != owner) continue;
            auto st = std::make_shared<NftRuleState>();
            st->netns = ns;
            st->family = nsnet_family;
            st->chain = {r.chain, std::nullopt};
            st->description = nft::to_text(r, false);
            st->table_handle = th;
            st->handle = *r.handle;
            st->tag = c->tag;
            st->owner = c->owner;
            st->active = true;
            mine.push_back(st);
        }
    }
    if (mine.empty()) return 0;
    for (auto& st : mine) b.remove(st);
    b.commit();  // rules already gone are dropped from the batch; empty chains and the table go too
    return mine.size();
}

NSNET_LAZY_DEFINITION NSNET_DECL void NftRuleHandle::remove() const {
    if (!state || !state->active) return;
    auto& st = *state;
    nl::Socket s = nft_socket(st.netns);
    bool present = false;
    try {
        present = same_table(s, st.table_handle, st.family);
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
                nl::Socket fresh = nft_socket(st.netns);
                still_there = same_table(fresh, st.table_handle, st.family) &&
                              find_rule(fresh, st.chain.name, st.handle, st.family).has_value();
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
        collect_garbage_retrying(st.netns, s, st.chain.name, st.table_handle, st.family);
    }
    st.active = false;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL firewall::RuleCounters firewall::NftRule::counters() const {
    const auto& st = state();
    if (!st.has_counter)
        invalid_argument("read rule counters", st.object(), "the rule was created without a counter (.counter = true)");
    if (!st.active) throw Error(ENOENT, "read rule counters", st.object(), {}, "the rule is not in the kernel");
    nl::Socket s = nsnet::detail::nft_socket(st.netns);
    std::optional<nft::Rule> r;
    if (nsnet::detail::same_table(s, st.table_handle, st.family)) r = nsnet::detail::find_rule(s, st.chain.name, st.handle, st.family);
    if (!r) throw Error(ENOENT, "read rule counters", st.object(), {}, "the rule is gone (deleted by someone else?)");
    auto c = nft::find_counter(r->exprs);
    if (!c) throw Error(EPROTO, "read rule counters", st.object(), {}, "the kernel's copy of the rule has no counter");
    return firewall::RuleCounters{c->packets, c->bytes};
}

NSNET_LAZY_DEFINITION NSNET_DECL const detail::NftRuleState& firewall::NftRule::state() const {
    if (!state_ptr()) throw Error(EBADF, "use nft rule", {}, {}, "empty rule object (moved from?)");
    return *state_ptr();
}

}  // namespace nsnet
