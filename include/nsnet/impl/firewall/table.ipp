// nsnet/impl/firewall/table.ipp — the function bodies of <nsnet/firewall/table.hpp>.
//
// Included at the end of nsnet/firewall/table.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL NftChainSpec nat_chain(nft::Hook hook) {
    switch (hook) {
        case nft::Hook::Prerouting: return {"prerouting", nft::BaseChain{nft::ChainType::Nat, hook, -100}};
        case nft::Hook::Postrouting: return {"postrouting", nft::BaseChain{nft::ChainType::Nat, hook, 100}};
        case nft::Hook::Output: return {"output", nft::BaseChain{nft::ChainType::Nat, hook, -100}};
        case nft::Hook::Input: return {"input_nat", nft::BaseChain{nft::ChainType::Nat, hook, 100}};
        default: break;
    }
    invalid_argument("add nat rule", nft::hook_name(hook), "no nat chain for hook " + nft::hook_name(hook));
}

NSNET_LAZY_DEFINITION NSNET_DECL NftChainSpec filter_chain(firewall::Hook hook) {
    switch (hook) {
        case firewall::Hook::Prerouting: return {"prerouting_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Prerouting, 0}};
        case firewall::Hook::Input: return {"input", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Input, 0}};
        case firewall::Hook::Forward: return {"forward", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Forward, 0}};
        case firewall::Hook::Output: return {"output_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Output, 0}};
        case firewall::Hook::Postrouting:
            return {"postrouting_filter", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Postrouting, 0}};
    }
    return {"forward", nft::BaseChain{nft::ChainType::Filter, nft::Hook::Forward, 0}};
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string NftRuleState::object() const {
    return nft::family_name(family) + " " + std::string(nft_table_name) + " " + chain.name + ": " + description;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<nft::Table> find_nsnet_table(nl::Socket& s, nft::TableFamily f) {
    return nft_get(s, nft::table_get(f, nft_table_name), "get table",
                   nft::table_id(f, nft_table_name), [](const nl::MessageView& m) { return nft::decode_table(m); });
}

NSNET_LAZY_DEFINITION NSNET_DECL bool is_nsnet_table(const nft::Table& t) { return t.comment && *t.comment == nft_table_comment; }

NSNET_LAZY_DEFINITION NSNET_DECL void require_nsnet_table(const nft::Table& t, const std::string& operation, const NetnsRef& ns) {
    if (!is_nsnet_table(t))
        throw Error(EEXIST, operation, nft::table_id(t.family, nft_table_name), {},
                    "namespace " + ns.display_name() + " has a table '" + nft::family_name(t.family) + " " + nft_table_name +
                        "' that nsnet did not create (it lacks the comment \"" + nft_table_comment +
                        "\"); nsnet never touches tables it did not create");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<nft::Chain> find_chain(nl::Socket& s, const std::string& chain, nft::TableFamily f) {
    return nft_get(s, nft::chain_get(f, nft_table_name, chain), "get chain",
                   nft::table_id(f, nft_table_name) + " " + chain,
                   [](const nl::MessageView& m) { return nft::decode_chain(m); });
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<nft::Rule> find_rule(nl::Socket& s, const std::string& chain, std::uint64_t handle,
                                            nft::TableFamily f) {
    return nft_get(s, nft::rule_get(f, nft_table_name, chain, handle), "get rule",
                   nft::table_id(f, nft_table_name) + " " + chain + " handle " + std::to_string(handle),
                   [](const nl::MessageView& m) { return nft::decode_rule(m); });
}

NSNET_LAZY_DEFINITION NSNET_DECL bool same_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f) {
    auto t = find_nsnet_table(s, f);
    return t && t->handle && *t->handle == table_handle && is_nsnet_table(*t);
}

NSNET_LAZY_DEFINITION NSNET_DECL int try_batch(nl::Socket& s, const nft::Batch& b) {
    nft::BatchResult r = b.run(s);
    if (r.applied) return 0;
    auto bad = r.failed();
    if (!bad.empty()) return r.messages[bad.front()].ack.error;
    if (r.batch_error) return r.batch_error->error;
    Error e = r.error();
    e.set_outcome_unknown();
    throw e;
}

NSNET_LAZY_DEFINITION NSNET_DECL int try_single(nl::Socket& s, const nl::MessageBuilder& msg, const std::string& op, const std::string& obj) {
    nft::Batch b;
    b.add(msg, op, obj);
    return try_batch(s, b);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool sweepable(const nft::Chain& c) {
    const bool default_policy = !c.policy || *c.policy == nft::Policy::Accept;
    return c.use == 0 && default_policy;
}

NSNET_LAZY_DEFINITION NSNET_DECL void collect_garbage(nl::Socket& s, const std::string& chain, std::uint64_t table_handle,
                                nft::TableFamily f) {
    if (!same_table(s, table_handle, f)) return;
    if (auto c = find_chain(s, chain, f)) {
        if (sweepable(*c))
            try_single(s, nft::chain_del(f, nft_table_name, chain, NLM_F_NONREC), "delete chain",
                       nft::table_id(f, nft_table_name) + " " + chain);
    }
    // Looked at first as well: a kernel that ignored NLM_F_NONREC would delete the table's contents.
    auto t = find_nsnet_table(s, f);
    if (!t || t->use != 0 || !t->handle || *t->handle != table_handle) return;
    try_single(s, nft::table_del_handle(f, table_handle, NLM_F_NONREC), "delete table", nft::table_id(f, nft_table_name));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::string> empty_chains(const std::vector<nft::Chain>& chains) {
    std::vector<std::string> out;
    for (const auto& c : chains)
        if (c.table == nft_table_name && sweepable(c)) out.push_back(c.name);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<nft::Chain> list_nsnet_chains(nl::Socket& s, nft::TableFamily f) {
    nl::MessageBuilder msg = nft::make_message(NFT_MSG_GETCHAIN, 0, f);
    msg.put_string(NFTA_CHAIN_TABLE, nft_table_name);
    try {
        return nl::dump_collect(s, msg, "list chains", [](const nl::MessageView& m) -> std::optional<nft::Chain> {
            if (nft::nft_message(m) != NFT_MSG_NEWCHAIN) return std::nullopt;
            auto c = nft::decode_chain(m);
            if (c.table != nft_table_name) return std::nullopt;
            return c;
        });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT) throw;
    }
    return {};
}

NSNET_LAZY_DEFINITION NSNET_DECL void sweep_table(nl::Socket& s, std::uint64_t table_handle, nft::TableFamily f) {
    if (!same_table(s, table_handle, f)) return;
    const std::vector<nft::Chain> chains = list_nsnet_chains(s, f);
    // Only the chains the dump shows empty. Asking the kernel to delete every chain and letting it
    // refuse the busy ones (NLM_F_NONREC) gives the same result, but each refused batch costs an
    // RCU grace period in the kernel's abort path: 8-23 ms each on a kernel without expedited
    // grace periods, ~70 ms of every CNI DEL on a network whose other containers keep the chains.
    // One pass: an empty chain holds no jump, so deleting it frees no other chain. All in one
    // batch; refused as a whole if a rule arrived in one of them meanwhile (EBUSY), then one at a
    // time.
    const std::vector<std::string> empty = empty_chains(chains);
    auto delete_chains = [&](std::span<const std::string> names) {
        nft::Batch b;
        for (const std::string& name : names)
            b.add(nft::chain_del(f, nft_table_name, name, NLM_F_NONREC), "delete chain",
                  nft::table_id(f, nft_table_name) + " " + name);
        return try_batch(s, b) == 0;
    };
    std::size_t deleted = 0;
    if (!empty.empty() && delete_chains(empty)) deleted = empty.size();
    else if (empty.size() > 1)
        for (const std::string& name : empty)
            if (delete_chains({&name, 1})) ++deleted;
    if (deleted < chains.size()) return;  // chains left: the table is not empty
    // Looked at first as well: a kernel that ignored NLM_F_NONREC would delete the table's contents.
    auto t = find_nsnet_table(s, f);
    if (!t || t->use != 0 || !t->handle || *t->handle != table_handle) return;
    try_single(s, nft::table_del_handle(f, table_handle, NLM_F_NONREC), "delete table", nft::table_id(f, nft_table_name));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string new_rule_tag() {
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t r = 0;
    if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r))
        r = (static_cast<std::uint64_t>(::getpid()) << 40) ^ static_cast<std::uint64_t>(::time(nullptr));
    r ^= (counter.fetch_add(1) + 1) * 0x9e3779b97f4a7c15ULL;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
    return buf;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string rule_comment(const std::string& tag, const std::string& owner) {
    return owner.empty() ? "nsnet:" + tag : "owner:" + owner + " nsnet:" + tag;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<ParsedRuleComment> parse_rule_comment(std::string_view c) {
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

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<nft::Rule> list_nsnet_rules(nl::Socket& s, nft::TableFamily f) {
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

NSNET_LAZY_DEFINITION NSNET_DECL void collect_garbage_retrying(const NetnsRef& ns, nl::Socket& s, const std::string& chain,
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


NSNET_DECL TableBatch::TableBatch(NetnsRef netns) : netns_(std::move(netns)) {}

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::use_family(nft::TableFamily f, const std::string& operation, const std::string& object) {
    if (additions_.empty() && removals_.empty() && !policy_) family_ = f;
    else if (f != family_)
        invalid_argument(operation, object,
                         "a batch changes one table; this one is " + nft::table_id(f, nft_table_name) +
                             ", the batch's is " + nft::table_id(family_, nft_table_name));
}

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::set_policy(std::shared_ptr<NftPolicyState> st) {
    if (committed_) throw Error(EALREADY, "set forward policy", netns_.display_name(), {}, "the batch was committed already");
    use_family(nsnet_family, "set forward policy", "ip nsnet forward");
    policy_ = std::move(st);
}

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::remove(const std::shared_ptr<NftRuleState>& st) {
    if (!st || !st->active) return;
    if (!(st->netns == netns_)) invalid_argument("remove rule", st->object(), "the rule belongs to another namespace");
    use_family(st->family, "remove rule", st->object());
    removals_.push_back(st);
}

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::commit() {
    if (committed_) throw Error(EALREADY, "commit firewall batch", netns_.display_name(), {}, "already committed");
    nl::Socket s = nft_socket(netns_);
    const bool creates = !additions_.empty() || policy_;
    bool looked_again_for_table = false;
    bool declare_every_chain = false;
    for (;;) {
        std::optional<nft::Table> table;
        std::vector<nft::Chain> present;  // chains the batch need not declare again
        // Removals whose rule is already gone are dropped (deleting them would fail the batch).
        std::vector<std::shared_ptr<NftRuleState>> removals;
        try {
            table = find_nsnet_table(s, family_);
            if (table) require_nsnet_table(*table, "commit firewall batch", netns_);
            if (table && !additions_.empty() && !declare_every_chain) present = list_nsnet_chains(s, family_);
            for (auto& r : removals_) {
                if (table && table->handle && *table->handle == r->table_handle &&
                    find_rule(s, r->chain.name, r->handle, family_))
                    removals.push_back(r);
                else
                    r->active = false;
            }
        } catch (Error& e) {
            e.set_outcome_unknown(false);  // only look-ups so far: nothing changed
            throw;
        }

        std::vector<std::size_t> rule_index;
        nft::Batch b = build(table.has_value(), present, removals, rule_index);
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
            if (!looked_again_for_table && creates && !table && res.messages[0].ack.error == EEXIST) {
                looked_again_for_table = true;
                continue;
            }
            // A chain we saw was deleted before the batch arrived (another process removed its
            // last rule and swept it): a new rule found no chain. Declare every chain this time.
            if (!present.empty() && !declare_every_chain) {
                bool no_chain = false;
                for (std::size_t i : res.failed()) no_chain = no_chain || res.messages[i].ack.error == ENOENT;
                if (no_chain) {
                    declare_every_chain = true;
                    continue;
                }
            }
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

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::finish(nl::Socket& s, const nft::BatchResult& res, const std::vector<std::size_t>& rule_index,
                                 const std::vector<std::shared_ptr<NftRuleState>>& removals) {
    std::uint64_t table_handle = 0;
    if (auto t = find_nsnet_table(s, family_); t && t->handle) table_handle = *t->handle;
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
    for (auto& st : removals) collect_garbage_retrying(netns_, s, st->chain.name, st->table_handle, family_);
}

NSNET_LAZY_DEFINITION NSNET_DECL void TableBatch::settle_unknown(const Error& cause,
                                         const std::vector<std::shared_ptr<NftRuleState>>& removals) {
    enum class Seen { Applied, NotApplied, Partly };
    Seen seen = Seen::NotApplied;
    std::uint64_t table_handle = 0;
    std::map<std::string, std::uint64_t> found;  // tag -> handle, of this batch's new rules
    try {
        nl::Socket s = nft_socket(netns_);  // fresh: the old one may still hold stray answers
        auto table = find_nsnet_table(s, family_);
        const bool ours = table && table->handle && is_nsnet_table(*table);
        if (ours) table_handle = *table->handle;
        std::vector<nft::Rule> rules;
        if (ours) rules = list_nsnet_rules(s, family_);
        for (const auto& r : rules)
            if (r.comment && r.handle)
                if (auto c = parse_rule_comment(*r.comment))
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
            auto c = ours ? find_chain(s, filter_chain(firewall::Hook::Forward).name, family_) : std::nullopt;
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
            for (auto& st : removals) collect_garbage_retrying(netns_, s, st->chain.name, st->table_handle, family_);
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
            for (auto& st : additions_) collect_garbage_retrying(netns_, s, st->chain.name, table_handle, family_);
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

NSNET_LAZY_DEFINITION NSNET_DECL nft::Batch TableBatch::preview(bool table_exists, const std::vector<nft::Chain>& present) const {
    std::vector<std::size_t> rule_index;
    return build(table_exists, present, removals_, rule_index);
}

NSNET_LAZY_DEFINITION NSNET_DECL nft::Batch TableBatch::build(bool table_exists, const std::vector<nft::Chain>& present,
                                      const std::vector<std::shared_ptr<NftRuleState>>& removals,
                                      std::vector<std::size_t>& rule_index) const {
    nft::Batch b;
    if (generation_) b.set_generation(*generation_);
    if (!additions_.empty() || policy_) {
        nft::Table t{.family = family_, .name = nft_table_name, .comment = std::string(nft_table_comment)};
        b.add(nft::table_new(t, table_exists ? 0 : NLM_F_EXCL), "add table", nft::table_id(t.family, t.name));
        std::vector<std::string> declared;
        auto declare = [&](const NftChainSpec& spec, std::optional<nft::Policy> policy) {
            if (!policy) {
                for (auto& d : declared)
                    if (d == spec.name) return;
                for (auto& c : present)
                    if (c.name == spec.name && c.base == spec.base) return;
            }
            declared.push_back(spec.name);
            nft::Chain c{.family = family_, .table = nft_table_name, .name = spec.name,
                         .base = spec.base, .policy = policy};
            b.add(nft::chain_new(c), policy ? "set chain policy" : "add chain",
                  nft::table_id(family_, nft_table_name) + " " + spec.name +
                      (policy ? ": policy " + nft::policy_name(*policy) : std::string()));
        };
        if (policy_) declare(filter_chain(firewall::Hook::Forward), policy_->policy);
        for (auto& st : additions_) declare(st->chain, std::nullopt);
        for (auto& st : additions_) {
            nft::Rule r{.family = family_, .table = nft_table_name, .chain = st->chain.name,
                        .exprs = st->exprs, .comment = rule_comment(st->tag, st->owner)};
            rule_index.push_back(b.add(nft::rule_new(r, {.echo = true}), "add rule", st->object()));
        }
    }
    for (auto& st : removals)
        b.add(nft::rule_del(family_, nft_table_name, st->chain.name, st->handle), "delete rule",
              st->object());
    return b;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::shared_ptr<NftRuleState> TableBatch::queue(std::shared_ptr<NftRuleState> st) {
    if (committed_) throw Error(EALREADY, "add rule to firewall batch", st->object(), {}, "the batch was committed already");
    if (additions_.empty() && removals_.empty() && !policy_) family_ = st->family;
    else if (st->family != family_)
        invalid_argument("add rule to firewall batch", st->object(),
                         "a batch changes one table; this rule is for table " + nft::table_id(st->family, nft_table_name) +
                             ", the batch's is " + nft::table_id(family_, nft_table_name));
    if (st->tag.empty()) st->tag = new_rule_tag();
    additions_.push_back(st);
    return st;
}

}  // namespace detail

}  // namespace nsnet
