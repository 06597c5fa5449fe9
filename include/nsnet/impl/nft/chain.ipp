// nsnet/impl/nft/chain.ipp — the function bodies of <nsnet/nft/chain.hpp>.
//
// Included at the end of nsnet/nft/chain.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::nft {

NSNET_LAZY_DEFINITION NSNET_DECL std::string hook_name(Hook h) {
    switch (h) {
        case Hook::Prerouting: return "prerouting";
        case Hook::Input: return "input";
        case Hook::Forward: return "forward";
        case Hook::Output: return "output";
        case Hook::Postrouting: return "postrouting";
    }
    return "hook " + std::to_string(static_cast<std::uint32_t>(h));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string chain_type_name(ChainType t) {
    switch (t) {
        case ChainType::Filter: return "filter";
        case ChainType::Nat: return "nat";
        case ChainType::Route: return "route";
    }
    return "filter";
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<ChainType> parse_chain_type(std::string_view s) {
    if (s == "filter") return ChainType::Filter;
    if (s == "nat") return ChainType::Nat;
    if (s == "route") return ChainType::Route;
    return std::nullopt;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string policy_name(Policy p) { return p == Policy::Accept ? "accept" : "drop"; }

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder chain_new(const Chain& c, std::uint16_t flags) {
    validate_name(c.table, "table", "add chain");
    validate_name(c.name, "chain", "add chain");
    nl::MessageBuilder m = make_message(NFT_MSG_NEWCHAIN, flags, c.family);
    m.put_string(NFTA_CHAIN_TABLE, c.table);
    m.put_string(NFTA_CHAIN_NAME, c.name);
    if (c.base) m.put_string(NFTA_CHAIN_TYPE, chain_type_name(c.base->type));
    if (c.policy) m.put_be32(NFTA_CHAIN_POLICY, static_cast<std::uint32_t>(*c.policy));
    if (c.base) {
        auto hook = m.nest(NFTA_CHAIN_HOOK);
        m.put_be32(NFTA_HOOK_HOOKNUM, static_cast<std::uint32_t>(c.base->hook));
        m.put_be32(NFTA_HOOK_PRIORITY, static_cast<std::uint32_t>(c.base->priority));
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder chain_del(TableFamily family, const std::string& table, const std::string& name,
                                        std::uint16_t flags) {
    validate_name(table, "table", "delete chain");
    validate_name(name, "chain", "delete chain");
    nl::MessageBuilder m = make_message(NFT_MSG_DELCHAIN, flags, family);
    m.put_string(NFTA_CHAIN_TABLE, table);
    m.put_string(NFTA_CHAIN_NAME, name);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder chain_get(TableFamily family, const std::string& table, const std::string& name) {
    validate_name(table, "table", "get chain");
    validate_name(name, "chain", "get chain");
    nl::MessageBuilder m = make_message(NFT_MSG_GETCHAIN, 0, family);
    m.put_string(NFTA_CHAIN_TABLE, table);
    m.put_string(NFTA_CHAIN_NAME, name);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL Chain ChainDecoder::operator()(const nl::MessageView& msg) const {
    Chain c;
    c.family = message_family(msg);
    nl::AttrTable<NFTA_CHAIN_MAX> a(msg.attrs<nfgenmsg>());
    if (a[NFTA_CHAIN_TABLE]) c.table = std::string(a[NFTA_CHAIN_TABLE]->str());
    if (a[NFTA_CHAIN_NAME]) c.name = std::string(a[NFTA_CHAIN_NAME]->str());
    if (a[NFTA_CHAIN_HANDLE]) c.handle = __builtin_bswap64(a[NFTA_CHAIN_HANDLE]->u64());
    if (a[NFTA_CHAIN_USE]) c.use = a[NFTA_CHAIN_USE]->be32();
    if (a[NFTA_CHAIN_POLICY]) c.policy = static_cast<Policy>(a[NFTA_CHAIN_POLICY]->be32());
    if (a[NFTA_CHAIN_HOOK]) {
        BaseChain b;
        for (nl::Attr h : a[NFTA_CHAIN_HOOK]->nested()) {
            if (h.type() == NFTA_HOOK_HOOKNUM) b.hook = static_cast<Hook>(h.be32());
            else if (h.type() == NFTA_HOOK_PRIORITY) b.priority = static_cast<std::int32_t>(h.be32());
        }
        if (a[NFTA_CHAIN_TYPE])
            if (auto t = parse_chain_type(a[NFTA_CHAIN_TYPE]->str())) b.type = *t;
        c.base = b;
    }
    return c;
}

}  // namespace nsnet::nft
