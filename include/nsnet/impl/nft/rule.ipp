// nsnet/impl/nft/rule.ipp — the function bodies of <nsnet/nft/rule.hpp>.
//
// Included at the end of nsnet/nft/rule.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::nft {

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_new(const Rule& r, const RuleNewOptions& o) {
    validate_name(r.table, "table", "add rule");
    validate_name(r.chain, "chain", "add rule");
    std::uint16_t flags = NLM_F_CREATE;
    if (o.append) flags |= NLM_F_APPEND;
    if (o.echo) flags |= NLM_F_ECHO;
    nl::MessageBuilder m = make_message(NFT_MSG_NEWRULE, flags, r.family);
    m.put_string(NFTA_RULE_TABLE, r.table);
    m.put_string(NFTA_RULE_CHAIN, r.chain);
    if (o.position) m.put(NFTA_RULE_POSITION, __builtin_bswap64(*o.position));
    encode_exprs(m, r.exprs);
    if (r.comment) {
        auto u = detail::udata_comment(detail::udata_rule_comment, *r.comment);
        m.put(NFTA_RULE_USERDATA, u.data(), u.size());
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_del(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle) {
    validate_name(table, "table", "delete rule");
    validate_name(chain, "chain", "delete rule");
    nl::MessageBuilder m = make_message(NFT_MSG_DELRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    m.put_string(NFTA_RULE_CHAIN, chain);
    m.put(NFTA_RULE_HANDLE, __builtin_bswap64(handle));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_get(TableFamily family, const std::string& table, const std::string& chain,
                                       std::uint64_t handle) {
    validate_name(table, "table", "get rule");
    validate_name(chain, "chain", "get rule");
    nl::MessageBuilder m = make_message(NFT_MSG_GETRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    m.put_string(NFTA_RULE_CHAIN, chain);
    m.put(NFTA_RULE_HANDLE, __builtin_bswap64(handle));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder rule_dump(TableFamily family, const std::string& table, const std::string& chain) {
    validate_name(table, "table", "list rules");
    nl::MessageBuilder m = make_message(NFT_MSG_GETRULE, 0, family);
    m.put_string(NFTA_RULE_TABLE, table);
    if (!chain.empty()) {
        validate_name(chain, "chain", "list rules");
        m.put_string(NFTA_RULE_CHAIN, chain);
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL Rule RuleDecoder::operator()(const nl::MessageView& msg) const {
    Rule r;
    r.family = message_family(msg);
    nl::AttrTable<NFTA_RULE_MAX> a(msg.attrs<nfgenmsg>());
    if (a[NFTA_RULE_TABLE]) r.table = std::string(a[NFTA_RULE_TABLE]->str());
    if (a[NFTA_RULE_CHAIN]) r.chain = std::string(a[NFTA_RULE_CHAIN]->str());
    if (a[NFTA_RULE_HANDLE]) r.handle = __builtin_bswap64(a[NFTA_RULE_HANDLE]->u64());
    if (a[NFTA_RULE_EXPRESSIONS]) r.exprs = decode_exprs(*a[NFTA_RULE_EXPRESSIONS]);
    if (a[NFTA_RULE_USERDATA])
        r.comment = detail::udata_find_comment(a[NFTA_RULE_USERDATA]->payload(), detail::udata_rule_comment);
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_debug_string(const Rule& r) {
    std::string s = family_name(r.family) + " " + r.table + " " + r.chain + "\n";
    for (const Expr& e : r.exprs) s += "  " + to_debug_string(e) + "\n";
    return s;
}

}  // namespace nsnet::nft
