// nsnet/impl/nft/table.ipp — the function bodies of <nsnet/nft/table.hpp>.
//
// Included at the end of nsnet/nft/table.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::nft {

NSNET_LAZY_DEFINITION NSNET_DECL std::string table_id(TableFamily f, const std::string& name) { return family_name(f) + " " + name; }

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::uint8_t> udata_comment(std::uint8_t type, const std::string& text) {
    if (text.size() + 1 > 255) invalid_argument("set comment", text, "comment is longer than 254 bytes");
    std::vector<std::uint8_t> out(2 + text.size() + 1, 0);  // sized once: GCC 12 -O2 misreads insert()
    out[0] = type;
    out[1] = static_cast<std::uint8_t>(text.size() + 1);
    if (!text.empty()) std::memcpy(out.data() + 2, text.data(), text.size());
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<std::string> udata_find_comment(nl::Bytes udata, std::uint8_t type) {
    std::size_t off = 0;
    while (off + 2 <= udata.size()) {
        auto t = static_cast<std::uint8_t>(udata[off]);
        auto len = static_cast<std::uint8_t>(udata[off + 1]);
        if (off + 2 + len > udata.size()) break;
        if (t == type) {
            std::string s(reinterpret_cast<const char*>(udata.data() + off + 2), len);
            while (!s.empty() && s.back() == '\0') s.pop_back();
            return s;
        }
        off += 2 + len;
    }
    return std::nullopt;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder table_new(const Table& t, std::uint16_t flags) {
    validate_name(t.name, "table", "add table");
    nl::MessageBuilder m = make_message(NFT_MSG_NEWTABLE, flags, t.family);
    m.put_string(NFTA_TABLE_NAME, t.name);
    m.put_be32(NFTA_TABLE_FLAGS, t.flags);
    if (t.comment) {
        auto u = detail::udata_comment(detail::udata_table_comment, *t.comment);
        m.put(NFTA_TABLE_USERDATA, u.data(), u.size());
    }
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder table_del(TableFamily family, const std::string& name, std::uint16_t flags) {
    validate_name(name, "table", "delete table");
    nl::MessageBuilder m = make_message(NFT_MSG_DELTABLE, flags, family);
    m.put_string(NFTA_TABLE_NAME, name);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder table_del_handle(TableFamily family, std::uint64_t handle, std::uint16_t flags) {
    nl::MessageBuilder m = make_message(NFT_MSG_DELTABLE, flags, family);
    m.put(NFTA_TABLE_HANDLE, __builtin_bswap64(handle));
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder table_get(TableFamily family, const std::string& name) {
    validate_name(name, "table", "get table");
    nl::MessageBuilder m = make_message(NFT_MSG_GETTABLE, 0, family);
    m.put_string(NFTA_TABLE_NAME, name);
    return m;
}

NSNET_LAZY_DEFINITION NSNET_DECL Table TableDecoder::operator()(const nl::MessageView& msg) const {
    Table t;
    t.family = message_family(msg);
    nl::AttrTable<NFTA_TABLE_MAX> a(msg.attrs<nfgenmsg>());
    if (a[NFTA_TABLE_NAME]) t.name = std::string(a[NFTA_TABLE_NAME]->str());
    if (a[NFTA_TABLE_FLAGS]) t.flags = a[NFTA_TABLE_FLAGS]->be32();
    if (a[NFTA_TABLE_USE]) t.use = a[NFTA_TABLE_USE]->be32();
    if (a[NFTA_TABLE_HANDLE]) t.handle = __builtin_bswap64(a[NFTA_TABLE_HANDLE]->u64());
    if (a[NFTA_TABLE_USERDATA])
        t.comment = detail::udata_find_comment(a[NFTA_TABLE_USERDATA]->payload(), detail::udata_table_comment);
    return t;
}

}  // namespace nsnet::nft
