// nsnet/impl/fdb.ipp — the function bodies of <nsnet/fdb.hpp>.
//
// Included at the end of nsnet/fdb.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_DECL void Fdb::add(const FdbEntry& e) {
    modify(e, rtnl::FdbMode::Add, "add");
}

NSNET_DECL void Fdb::append(const FdbEntry& e) {
    modify(e, rtnl::FdbMode::Append, "append");
}

NSNET_DECL void Fdb::replace(const FdbEntry& e) {
    modify(e, rtnl::FdbMode::Replace, "replace");
}

NSNET_DECL void Fdb::remove(const FdbEntry& e) {
    auto spec = to_spec(e, "delete");
    request("delete fdb entry " + describe(e), rtnl::fdb_del(spec));
}

NSNET_DECL std::vector<FdbInfo> Fdb::list() const {
    auto all = list_all(device_.netns());
    std::erase_if(all, [&](const FdbInfo& f) { return f.index != device_.index(); });
    return all;
}

NSNET_DECL std::vector<FdbInfo> Fdb::find(const MacAddress& mac) const {
    auto l = list();
    std::erase_if(l, [&](const FdbInfo& f) { return f.mac != mac; });
    return l;
}

NSNET_DECL std::string Fdb::show() const {
    return format(device_.netns(), list(), false);
}

NSNET_DECL std::vector<FdbInfo> Fdb::list_all(const NetnsRef& netns) {
    return netns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::fdb_dump();
        return nl::dump_collect(s, m, "list fdb entries", rtnl::decode_fdb);
    });
}

NSNET_DECL std::string Fdb::format(const NetnsRef& netns, const std::vector<FdbInfo>& entries, bool show_dev) {
    std::vector<LinkInfo> links = Link::list(netns);
    auto name = [&](int index) -> std::string {
        for (const auto& l : links)
            if (l.index == index) return l.name;
        return {};
    };
    std::string out{};
    for (const auto& e : entries) out += e.to_string(name, show_dev) + "\n";
    return out;
}

NSNET_DECL std::string Fdb::describe(const FdbEntry& e) {
    std::string s = e.mac.to_string();
    if (e.dst) s += " dst " + e.dst->to_string();
    if (e.vlan) s += " vlan " + std::to_string(*e.vlan);
    return s;
}

NSNET_DECL rtnl::FdbSpec Fdb::to_spec(const FdbEntry& e, const std::string& verb) const {
    const std::string op = verb + " fdb entry " + describe(e);
    if (!device_.valid()) throw Error(ENODEV, op, device_.name(), {}, "device handle is empty or was removed");
    rtnl::FdbSpec s{.index = device_.index(), .mac = e.mac, .dst = e.dst, .vlan = e.vlan, .port = e.port,
                    .vni = e.vni, .via = 0, .state = e.state, .table = e.table};
    rtnl::validate_fdb(s, op, device_.name());
    if (!e.via.empty()) {
        validate_interface_name(e.via, op + ": via");
        auto via = Link::find(device_.netns(), e.via);
        if (!via)
            throw Error(ENODEV, op, device_.name(), {},
                        "via device '" + e.via + "' does not exist in namespace " + device_.netns().display_name());
        s.via = via->index();
    }
    return s;
}

NSNET_DECL void Fdb::modify(const FdbEntry& e, rtnl::FdbMode mode, const std::string& verb) {
    auto spec = to_spec(e, verb);
    request(verb + " fdb entry " + describe(e), rtnl::fdb_new(spec, mode));
}

NSNET_DECL void Fdb::request(const std::string& op, nl::MessageBuilder msg) const {
    device_.netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, op, device_.name()); });
}

}  // namespace nsnet
