// nsnet/impl/firewall/rule.ipp — the function bodies of <nsnet/firewall/rule.hpp>.
//
// Included at the end of nsnet/firewall/rule.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::firewall {

NSNET_LAZY_DEFINITION NSNET_DECL std::string family_name(Family f) { return nft::family_name(static_cast<nft::TableFamily>(f)); }

namespace detail {

using nsnet::detail::NftRuleState;

NSNET_LAZY inline void check_family(Family f, const Prefix& p, const std::string& op, const std::string& field) {
    const bool v4 = p.address().is_v4();
    if ((f == Family::Ip && !v4) || (f == Family::Ip6 && v4))
        invalid_argument(op, p.to_string(),
                         field + ": " + p.to_string() + " is " + (v4 ? "IPv4" : "IPv6") + " but the table is " +
                             family_name(f) + " nsnet");
}

NSNET_LAZY inline void words(NftRuleState& st, const std::string& w) {
    if (!st.description.empty()) st.description += ' ';
    st.description += w;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> rule_state(const NetnsRef& ns, const RuleOptions& o) {
    const std::string op = "add firewall rule";
    const Match& m = o.match;
    const auto tf = static_cast<nft::TableFamily>(o.family);
    const bool nat_action = o.action == Action::Masquerade || o.action == Action::Snat || o.action == Action::Dnat ||
                            o.action == Action::Redirect;
    if (nat_action && o.type == ChainType::Filter)
        invalid_argument(op, "filter", "RuleOptions.type: masquerade/snat/dnat/redirect only run in a nat chain");
    const bool nat = nat_action || o.type == ChainType::Nat;
    nsnet::detail::check_owner(o.owner, op.c_str(), "RuleOptions.owner");
    auto st = std::make_shared<NftRuleState>();
    st->netns = ns;
    st->family = tf;
    st->owner = o.owner;
    // The chain.
    if (!o.chain.empty()) {
        nft::validate_name(o.chain, "chain", op);
        st->chain = {o.chain, std::nullopt};
    } else if (nat) {
        nft::Hook h = nft::Hook::Prerouting;
        switch (o.hook) {
            case Hook::Prerouting: h = nft::Hook::Prerouting; break;
            case Hook::Output: h = nft::Hook::Output; break;
            case Hook::Postrouting: h = nft::Hook::Postrouting; break;
            case Hook::Input: h = nft::Hook::Input; break;
            case Hook::Forward:
                invalid_argument(op, "forward", "RuleOptions.hook: NAT (masquerade, snat, dnat, redirect) has no forward hook");
        }
        const bool dst = o.action == Action::Dnat || o.action == Action::Redirect;
        if (nat_action && dst != (h == nft::Hook::Prerouting || h == nft::Hook::Output))
            invalid_argument(op, nft::hook_name(h),
                             std::string("RuleOptions.hook: ") + (dst ? "dnat/redirect" : "snat/masquerade") +
                                 " cannot run in the " + nft::hook_name(h) + " hook");
        st->chain = nsnet::detail::nat_chain(h);
    } else {
        st->chain = nsnet::detail::filter_chain(o.hook);
    }
    // Matches, in nft's order of writing them.
    auto iface = [&](bool input, const DeviceArg& i, bool negate) {
        const std::string field = input ? "Match.iif" : "Match.oif";
        if (i.empty()) {
            if (negate) invalid_argument(op, field + "_negate", field + "_negate without " + field);
            return;
        }
        const std::string name = i.name_in(ns, field, op, i.to_string());
        nft::detail::append(st->exprs, nft::match_ifname(input, name, negate));
        words(*st, std::string(input ? "iifname " : "oifname ") + (negate ? "!= " : "") + "\"" + name + "\"");
    };
    iface(true, m.iif, m.iif_negate);
    iface(false, m.oif, m.oif_negate);
    std::optional<bool> v6{};  // the address family the rule's addresses are of
    auto address = [&](bool source, const PrefixArg& a, bool negate) {
        if (a.empty()) return;
        const std::string field = source ? "Match.saddr" : "Match.daddr";
        Prefix p = a.resolve(field, op, a.to_string());
        check_family(o.family, p, op, field);
        const bool is6 = !p.address().is_v4();
        if (v6 && *v6 != is6) invalid_argument(op, p.to_string(), field + ": mixes IPv4 and IPv6 in one rule");
        if (o.family == Family::Inet && !v6) nft::detail::append(st->exprs, nft::match_nfproto(is6 ? NFPROTO_IPV6 : NFPROTO_IPV4));
        v6 = is6;
        if (p.length() == 0) return;
        nft::detail::append(st->exprs, nft::match_address(source, p, negate));
        Prefix net = p.network();
        const unsigned max = is6 ? 128 : 32;
        words(*st, std::string(is6 ? "ip6 " : "ip ") + (source ? "saddr " : "daddr ") + (negate ? "!= " : "") +
                       (net.length() == max ? net.address().to_string() : net.to_string()));
    };
    address(true, m.saddr, m.saddr_negate);
    address(false, m.daddr, m.daddr_negate);
    if (m.daddr_local) {
        nft::detail::append(st->exprs, nft::match_fib_daddr_local());
        words(*st, "fib daddr type local");
    }
    if ((m.sport || m.dport) && !m.protocol) invalid_argument(op, "port", "Match.sport/dport need Match.protocol (tcp or udp)");
    auto port = [&](bool dest, const std::optional<PortRange>& r) {
        if (!r) return;
        const std::string field = dest ? "Match.dport" : "Match.sport";
        if (r->first == 0 || r->last < r->first)
            invalid_argument(op, std::to_string(r->first) + "-" + std::to_string(r->last),
                             field + ": " + std::to_string(r->first) + "-" + std::to_string(r->last) + " is not a range of 1..65535");
        const auto proto = static_cast<std::uint8_t>(*m.protocol);
        nft::detail::append(st->exprs, nft::match_port_range(proto, dest, r->first, r->last));
        words(*st, nft::detail::proto_text(proto) + (dest ? " dport " : " sport ") + std::to_string(r->first) +
                       (r->last != r->first ? "-" + std::to_string(r->last) : std::string()));
    };
    if (m.protocol && !m.sport && !m.dport) {
        nft::detail::append(st->exprs, nft::match_l4proto(static_cast<std::uint8_t>(*m.protocol)));
        words(*st, "meta l4proto " + nft::detail::proto_text(static_cast<std::uint8_t>(*m.protocol)));
    }
    port(false, m.sport);
    port(true, m.dport);
    if (m.ct_state) {
        auto bits = static_cast<std::uint32_t>(*m.ct_state);
        if (bits == 0) invalid_argument(op, "0", "Match.ct_state is empty");
        nft::detail::append(st->exprs, nft::match_ct_state(bits));
        words(*st, "ct state " + nft::detail::ct_state_text(bits));
    }
    auto mark = [&](bool ct, const std::optional<MarkMatch>& mm) {
        if (!mm) return;
        nft::detail::append(st->exprs, nft::match_mark(ct, mm->value, mm->mask, mm->negate));
        std::string k = ct ? "ct mark " : "meta mark ";
        if (mm->mask == 0xffffffffU) words(*st, k + (mm->negate ? "!= " : "") + nft::detail::hex32(mm->value));
        else
            words(*st, k + "& " + nft::detail::hex32(mm->mask) + (mm->negate ? " != " : " == ") +
                           nft::detail::hex32(mm->value & mm->mask));
    };
    mark(true, m.ct_mark);
    mark(false, m.meta_mark);
    const bool empty_match = st->exprs.empty();
    if (nat_action && empty_match && !o.match_all)
        invalid_argument(op, "(empty match)",
                         "RuleOptions.match is empty: this NAT rule would rewrite every packet; set match_all = true "
                         "if that is meant");
    if (o.counter) {
        st->exprs.push_back(nft::counter());
        st->has_counter = true;
        words(*st, "counter");
    }
    auto set = [&](bool ct, const std::optional<MarkSet>& ms) {
        if (!ms) return;
        nft::detail::append(st->exprs, nft::set_mark(ct, ms->value, ms->mask));
        std::string k = ct ? "ct mark set " : "meta mark set ";
        std::string self = ct ? "ct mark" : "meta mark";
        if (ms->mask == 0xffffffffU) words(*st, k + nft::detail::hex32(ms->value));
        else if (ms->value == ms->mask) words(*st, k + self + " | " + nft::detail::hex32(ms->value));
        else words(*st, k + self + " & " + nft::detail::hex32(~ms->mask) + " ^ " + nft::detail::hex32(ms->value));
    };
    set(false, o.set_meta_mark);
    set(true, o.set_ct_mark);
    // The action.
    std::optional<std::uint16_t> pmin{}, pmax{};
    std::string ports_text{};
    if (o.to_ports) {
        if (o.action != Action::Snat && o.action != Action::Dnat && o.action != Action::Masquerade &&
            o.action != Action::Redirect)
            invalid_argument(op, "to_ports", "RuleOptions.to_ports is only for snat, dnat, masquerade and redirect");
        if (o.to_ports->first == 0 || o.to_ports->last < o.to_ports->first)
            invalid_argument(op, std::to_string(o.to_ports->first) + "-" + std::to_string(o.to_ports->last),
                             "RuleOptions.to_ports is not a range of 1..65535");
        if (!m.protocol)
            invalid_argument(op, "to_ports", "RuleOptions.to_ports needs Match.protocol (tcp or udp): nat ports are per protocol");
        pmin = o.to_ports->first;
        pmax = o.to_ports->last;
        ports_text = ":" + std::to_string(*pmin) + (*pmax != *pmin ? "-" + std::to_string(*pmax) : std::string());
    }
    if ((o.action == Action::Snat || o.action == Action::Dnat) != !o.to.empty())
        invalid_argument(op, "to", !o.to.empty() ? "RuleOptions.to is only for snat and dnat" : "snat/dnat need RuleOptions.to");
    if ((o.action == Action::Jump || o.action == Action::Goto) != !o.target.empty())
        invalid_argument(op, o.target, o.target.empty() ? "jump/goto need RuleOptions.target" : "RuleOptions.target is only for jump and goto");
    switch (o.action) {
        case Action::None: break;
        case Action::Accept:
        case Action::Drop:
        case Action::Return:
            st->exprs.push_back(nft::verdict(o.action == Action::Accept ? nft::Verdict::Accept
                                             : o.action == Action::Drop ? nft::Verdict::Drop
                                                                        : nft::Verdict::Return));
            words(*st, o.action == Action::Accept ? "accept" : o.action == Action::Drop ? "drop" : "return");
            break;
        case Action::Jump:
        case Action::Goto:
            nft::validate_name(o.target, "chain", op);
            st->exprs.push_back(nft::jump(o.target, o.action == Action::Goto));
            words(*st, (o.action == Action::Jump ? "jump " : "goto ") + o.target);
            break;
        case Action::Masquerade:
            nft::detail::append(st->exprs, nft::masquerade_to(pmin, pmax));
            words(*st, "masquerade" + (ports_text.empty() ? std::string() : " to " + ports_text));
            break;
        case Action::Redirect:
            nft::detail::append(st->exprs, nft::redirect_to(pmin, pmax));
            words(*st, "redirect" + (ports_text.empty() ? std::string() : " to " + ports_text));
            break;
        case Action::Snat:
        case Action::Dnat: {
            const IpAddress to = o.to.resolve("RuleOptions.to", op, o.to.to_string());
            const Prefix p(to, to.is_v4() ? 32 : 128);
            check_family(o.family, p, op, "RuleOptions.to");
            const bool is6 = !p.address().is_v4();
            if (v6 && *v6 != is6) invalid_argument(op, p.to_string(), "RuleOptions.to: the rule matches the other IP version");
            if (p.address().is_unspecified()) invalid_argument(op, p.to_string(), "RuleOptions.to: " + p.to_string() + " is not an address");
            if (o.family == Family::Inet && !v6) {
                // inet nat needs the packet's family pinned (nft: `meta nfproto ipv4`), before the counter
                nft::Exprs pinned = nft::match_nfproto(is6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
                nft::detail::append(pinned, std::move(st->exprs));
                st->exprs = std::move(pinned);
                st->description = std::string("meta nfproto ") + (is6 ? "ipv6" : "ipv4") +
                                  (st->description.empty() ? "" : " " + st->description);
            }
            const auto type = o.action == Action::Snat ? nft::NatType::Snat : nft::NatType::Dnat;
            nft::detail::append(st->exprs, nft::nat_to_range(type, p.address(), pmin, pmax));
            std::string a = p.address().to_string();
            words(*st, std::string(o.action == Action::Snat ? "snat " : "dnat ") +
                           (o.family == Family::Inet ? (is6 ? "ip6 " : "ip ") : "") + "to " +
                           (is6 && !ports_text.empty() ? "[" + a + "]" : a) + ports_text);
            break;
        }
    }
    if (st->exprs.empty()) invalid_argument(op, "(empty rule)", "the rule has no match, no counter and no action");
    return st;
}

// The rules of nsnet's table of family f (none when there is no such table, or it is not nsnet's).
NSNET_LAZY inline std::vector<nft::Rule> table_rules(nl::Socket& s, nft::TableFamily f, std::uint64_t& table_handle) {
    table_handle = 0;
    auto t = nsnet::detail::find_nsnet_table(s, f);
    if (!t || !nsnet::detail::is_nsnet_table(*t) || !t->handle) return {};
    table_handle = *t->handle;
    return nsnet::detail::list_nsnet_rules(s, f);
}

NSNET_LAZY inline RuleInfo info_of(const nft::Rule& r, std::uint64_t table_handle) {
    RuleInfo i{.raw = r};
    i.ref = {static_cast<Family>(r.family), r.chain, r.handle.value_or(0), table_handle};
    if (r.comment)
        if (auto c = nsnet::detail::parse_rule_comment(*r.comment)) {
            i.owner = c->owner;
            i.tag = c->tag;
        }
    i.text = nft::to_text(r);
    return i;
}

// The state of an adopted rule, from what a look-up found (`i` is used up).
NSNET_LAZY inline std::shared_ptr<nsnet::detail::NftRuleState> adopted_state(const NetnsRef& ns, RuleInfo&& i) {
    auto st = std::make_shared<nsnet::detail::NftRuleState>();
    st->netns = ns;
    st->family = static_cast<nft::TableFamily>(i.ref.family);
    st->chain = {i.ref.chain, std::nullopt};
    st->description = nft::to_text(i.raw, false);
    st->has_counter = nft::find_counter(i.raw.exprs).has_value();
    st->exprs = std::move(i.raw.exprs);
    st->table_handle = i.ref.table_handle;
    st->handle = i.ref.handle;
    st->tag = std::move(i.tag);
    st->owner = std::move(i.owner);
    st->active = true;
    return st;
}

// Expressions equal up to counter values.
NSNET_LAZY inline bool same_exprs(const nft::Exprs& a, const nft::Exprs& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::holds_alternative<nft::Counter>(a[i]) && std::holds_alternative<nft::Counter>(b[i])) continue;
        if (!(a[i] == b[i])) return false;
    }
    return true;
}

constexpr Family all_families[] = {Family::Inet, Family::Ip, Family::Ip6};

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL Rule Rule::create(const NetnsRef& ns, const RuleOptions& options) {
    nsnet::detail::TableBatch b(ns);
    auto st = b.queue(detail::rule_state(b.netns(), options));
    NftRule r(st);
    b.commit();
    return Rule(std::move(r));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<Rule> Rule::create(const NetnsRef& ns, const std::vector<RuleOptions>& options) {
    std::vector<Rule> out;
    if (options.empty()) return out;
    nsnet::detail::TableBatch b(ns);
    std::vector<std::shared_ptr<nsnet::detail::NftRuleState>> states;
    states.reserve(options.size());
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (options[i].family != options[0].family)
            invalid_argument("create firewall rules", family_name(options[i].family),
                             "options[" + std::to_string(i) + "].family is " + family_name(options[i].family) +
                                 ", options[0]'s is " + family_name(options[0].family) +
                                 ": one batch changes one table");
        states.push_back(detail::rule_state(b.netns(), options[i]));
    }
    // Every rule is checked before any is queued or sent: a bad option changes nothing.
    out.reserve(states.size());
    for (auto& st : states) out.push_back(Rule(NftRule(b.queue(st))));
    b.commit();  // throws: the rules stay inactive, their owners do nothing
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL RuleRef Rule::ensure(const NetnsRef& ns, const RuleOptions& options) {
    RuleOptions shared = options;
    shared.owner.clear();
    auto want = detail::rule_state(ns, shared);
    nl::Socket s = nsnet::detail::nft_socket(want->netns);
    // Look, then add only if nothing was committed in between: two processes ensuring the same rule
    // at once (a runtime's parallel CNI ADDs) would otherwise both find none and both add it. A
    // batch refused because the ruleset moved on (ERESTART) is tried again from the look.
    constexpr int max_attempts = 64;
    for (int attempt = 1;; ++attempt) {
        const std::uint32_t generation = nft::read_generation(s);
        std::uint64_t th = 0;
        for (const auto& r : detail::table_rules(s, want->family, th)) {
            if (r.chain != want->chain.name || !r.handle || !r.comment) continue;
            auto c = nsnet::detail::parse_rule_comment(*r.comment);
            if (c && c->owner.empty() && detail::same_exprs(r.exprs, want->exprs))
                return RuleRef{static_cast<Family>(r.family), r.chain, *r.handle, th};
        }
        nsnet::detail::TableBatch b(ns);
        b.require_generation(generation);
        NftRule added(b.queue(detail::rule_state(b.netns(), shared)));
        try {
            b.commit();
        } catch (const Error& e) {
            if (e.errnum() != ERESTART) throw;
            if (attempt == max_attempts)
                throw nsnet::detail::with_detail(e, "the namespace's ruleset changed during each of " +
                                                        std::to_string(max_attempts) + " attempts");
            continue;
        }
        return Rule(std::move(added)).release();
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<RuleInfo> Rule::list(const NetnsRef& ns, const ListFilter& filter) {
    nl::Socket s = nsnet::detail::nft_socket(ns);
    std::vector<RuleInfo> out;
    for (Family f : detail::all_families) {
        if (filter.family && *filter.family != f) continue;
        std::uint64_t th = 0;
        for (const auto& r : detail::table_rules(s, static_cast<nft::TableFamily>(f), th)) {
            RuleInfo i = detail::info_of(r, th);
            if (filter.owner && i.owner != *filter.owner) continue;
            out.push_back(std::move(i));
        }
    }
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<RuleInfo> Rule::find(const NetnsRef& ns, const RuleRef& ref) {
    nl::Socket s = nsnet::detail::nft_socket(ns);
    const auto tf = static_cast<nft::TableFamily>(ref.family);
    auto t = nsnet::detail::find_nsnet_table(s, tf);
    if (!t || !t->handle || !nsnet::detail::is_nsnet_table(*t)) return std::nullopt;
    if (ref.table_handle && *t->handle != ref.table_handle) return std::nullopt;
    auto r = nsnet::detail::find_rule(s, ref.chain, ref.handle, tf);
    if (!r) return std::nullopt;
    return detail::info_of(*r, *t->handle);
}

NSNET_LAZY_DEFINITION NSNET_DECL RuleInfo Rule::get(const NetnsRef& ns, const RuleRef& ref) {
    auto i = find(ns, ref);
    if (!i)
        throw Error(ENOENT, "get firewall rule",
                    family_name(ref.family) + " nsnet " + ref.chain + " handle " + std::to_string(ref.handle), {},
                    "no such rule");
    return *i;
}

NSNET_LAZY_DEFINITION NSNET_DECL Rule Rule::adopt(const NetnsRef& ns, const RuleRef& ref) {
    return Rule(NftRule(detail::adopted_state(ns, get(ns, ref))));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Rule::remove(const NetnsRef& ns, const RuleRef& ref) {
    auto i = find(ns, ref);  // one look-up: what it found is what is removed
    if (!i) return;          // already gone
    Rule(NftRule(detail::adopted_state(ns, std::move(*i)))).remove();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Rule::remove_owned(const NetnsRef& ns, const std::string& owner) {
    if (owner.empty()) invalid_argument("remove owned firewall rules", owner, "owner is empty (shared rules have no owner)");
    std::size_t removed = 0;
    for (Family f : detail::all_families) {
        const auto tf = static_cast<nft::TableFamily>(f);
        std::vector<std::uint64_t> pending;  // handles a failed attempt tried to delete
        for (int attempt = 0; attempt < 3; ++attempt) {
            nl::Socket s = nsnet::detail::nft_socket(ns);
            std::uint64_t th = 0;
            std::vector<nft::Rule> mine;
            for (const auto& r : detail::table_rules(s, tf, th))
                if (r.handle && r.comment)
                    if (auto c = nsnet::detail::parse_rule_comment(*r.comment); c && c->owner == owner) mine.push_back(r);
            // Those of a failed attempt that are gone now were deleted by it (its answer was lost).
            for (std::uint64_t h : pending) {
                bool left = false;
                for (const auto& r : mine) left = left || *r.handle == h;
                if (!left) ++removed;
            }
            pending.clear();
            if (mine.empty()) {
                if (th) nsnet::detail::sweep_table(s, th, tf);
                break;
            }
            nft::Batch b;
            for (const auto& r : mine)
                b.add(nft::rule_del(tf, nft_table_name, r.chain, *r.handle), "delete rule",
                      nft::table_id(tf, nft_table_name) + " " + r.chain + " handle " + std::to_string(*r.handle));
            std::optional<Error> failure;
            bool applied = false;
            try {
                nft::BatchResult res = b.run(s);
                applied = res.applied;
                if (!applied) failure = res.error();
            } catch (const Error& e) {
                failure = e;
            }
            if (applied) {
                removed += mine.size();
                // Empty chains and the table: retried once on a fresh socket, then left to the
                // next removal (the rules, which matter, are gone).
                try {
                    nsnet::detail::sweep_table(s, th, tf);
                } catch (const Error&) {
                    try {
                        nl::Socket fresh = nsnet::detail::nft_socket(ns);
                        nsnet::detail::sweep_table(fresh, th, tf);
                    } catch (const Error&) {
                    }
                }
                break;
            }
            // Refused (a rule vanished meanwhile: ENOENT fails the whole batch) or answer lost:
            // look again and delete what is still there.
            if (attempt == 2) throw *failure;
            for (const auto& r : mine) pending.push_back(*r.handle);
        }
    }
    return removed;
}

NSNET_LAZY_DEFINITION NSNET_DECL RuleRef Rule::ref() const {
    if (!rule_.state_ptr()) return {};
    const auto& st = *rule_.state_ptr();
    return RuleRef{static_cast<Family>(st.family), st.chain.name, st.handle, st.table_handle};
}

NSNET_LAZY_DEFINITION NSNET_DECL const std::string& Rule::owner() const { return rule_.state().owner; }

NSNET_LAZY_DEFINITION NSNET_DECL RuleRef Rule::release() {
    RuleRef r = ref();
    rule_.persist();
    rule_ = NftRule();
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Rule::remove() {
    if (!rule_.state_ptr() || !rule_.state_ptr()->active) return;
    auto st = rule_.state_ptr();
    rule_.remove();
    // A regular chain (or a jump target) left empty, and then the table.
    try {
        nl::Socket s = nsnet::detail::nft_socket(st->netns);
        nsnet::detail::sweep_table(s, st->table_handle, st->family);
    } catch (const Error&) {
        // The rule is gone; the next removal in this namespace collects what is left.
    }
}

}  // namespace nsnet::firewall
