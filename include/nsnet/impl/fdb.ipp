// nsnet/impl/fdb.ipp — the function bodies of <nsnet/fdb.hpp>.
//
// Included at the end of nsnet/fdb.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL ResolvedFdb resolve_fdb(const NetnsRef& ns, const FdbOptions& o, const std::string& operation) {
    ResolvedFdb out;
    rtnl::FdbSpec& s = out.spec;
    // The values first (no kernel needed), named by the text as given.
    std::string shown = o.mac.empty() ? std::string("00:00:00:00:00:00") : o.mac.to_string();
    if (!o.dst.empty()) shown += " dst " + o.dst.to_string();
    if (!o.mac.empty()) s.mac = o.mac.resolve("FdbOptions.mac", operation, shown);
    if (!o.dst.empty()) s.dst = o.dst.resolve("FdbOptions.dst", operation, shown);
    if (o.vlan && (*o.vlan < 1 || *o.vlan > 4094))
        invalid_argument(operation, shown, "FdbOptions.vlan " + std::to_string(*o.vlan) + " is outside 1..4094");
    if (o.vni && *o.vni > 0xffffff)
        invalid_argument(operation, shown, "FdbOptions.vni " + std::to_string(*o.vni) + " exceeds 2^24-1");
    if (o.dev.empty()) invalid_argument(operation, shown, "FdbOptions.dev is not set: give the vxlan or bridge port");
    s.vlan = o.vlan;
    if (o.port) s.port = o.port;
    s.vni = o.vni;
    s.state = o.state;
    s.table = o.table;
    // Then the devices.
    auto [index, name] = o.dev.resolve(ns, operation, shown);
    s.index = index;
    shown = s.mac.to_string() + " dev " + name;
    if (s.dst) shown += " dst " + s.dst->to_string();
    if (s.vlan) shown += " vlan " + std::to_string(*s.vlan);
    if (s.port) shown += " port " + std::to_string(*s.port);
    if (s.vni) shown += " vni " + std::to_string(*s.vni);
    if (!o.via.empty()) {
        auto [via, via_name] = o.via.resolve(ns, operation, shown);
        s.via = via;
        shown += " via " + via_name;
    }
    if (s.table == FdbTable::Master) shown += " master";
    else if (s.table == FdbTable::SelfAndMaster) shown += " self master";
    rtnl::validate_fdb(s, operation, shown);
    out.shown = std::move(shown);
    return out;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL void FdbEntryRef::remove() const {
    try {
        auto msg = rtnl::fdb_del(spec_);
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "remove fdb entry", description_); });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL FdbEntry FdbEntry::write(const NetnsRef& ns, const FdbOptions& options, rtnl::FdbMode mode, const char* operation) {
    auto r = detail::resolve_fdb(ns, options, operation);
    FdbEntryRef ref(ns, std::move(r.spec), std::move(r.shown));
    try {
        auto msg = rtnl::fdb_new(ref.spec(), mode);
        ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, ref.description()); });
    } catch (const Error& e) {
        if (!e.outcome_unknown() || mode != rtnl::FdbMode::Add) throw;
        throw detail::undo_lost_create(e, "the entry", [&] { ref.remove(); });
    }
    return FdbEntry(std::move(ref));
}

NSNET_LAZY_DEFINITION NSNET_DECL FdbEntry FdbEntry::create(const NetnsRef& ns, const FdbOptions& options) {
    return write(ns, options, rtnl::FdbMode::Add, "create fdb entry");
}

NSNET_LAZY_DEFINITION NSNET_DECL FdbEntry FdbEntry::append(const NetnsRef& ns, const FdbOptions& options) {
    return write(ns, options, rtnl::FdbMode::Append, "append fdb entry");
}

NSNET_LAZY_DEFINITION NSNET_DECL FdbEntry FdbEntry::replace(const NetnsRef& ns, const FdbOptions& options) {
    return write(ns, options, rtnl::FdbMode::Replace, "replace fdb entry");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<FdbInfo> FdbEntry::list(const NetnsRef& ns, const FdbFilter& filter) {
    const std::string op = "list fdb entries";
    std::optional<MacAddress> mac;
    if (!filter.mac.empty()) mac = filter.mac.resolve("FdbFilter.mac", op, ns.display_name());
    const int index = filter.dev.empty() ? 0 : filter.dev.resolve(ns, op, ns.display_name()).first;
    auto all = ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::fdb_dump(index);
        return nl::dump_collect(s, m, op, rtnl::decode_fdb);
    });
    // The kernel filters by device only for strict-checking sockets: filter here, as bridge does.
    std::erase_if(all, [&](const FdbInfo& f) { return (index && f.index != index) || (mac && f.mac != *mac); });
    return all;
}

NSNET_LAZY_DEFINITION NSNET_DECL FdbInfo FdbEntry::get(const NetnsRef& ns, const FdbKey& key) {
    const std::string op = "get fdb entry";
    std::string shown = key.mac.empty() ? std::string("00:00:00:00:00:00") : key.mac.to_string();
    if (!key.dst.empty()) shown += " dst " + key.dst.to_string();
    MacAddress mac = key.mac.empty() ? MacAddress{} : key.mac.resolve("FdbKey.mac", op, shown);
    std::optional<IpAddress> dst;
    if (!key.dst.empty()) dst = key.dst.resolve("FdbKey.dst", op, shown);
    if (key.dev.empty()) invalid_argument(op, shown, "FdbKey.dev is not set: give the vxlan or bridge port");
    auto [index, name] = key.dev.resolve(ns, op, shown);
    shown = mac.to_string() + " dev " + name + (dst ? " dst " + dst->to_string() : std::string());
    if (key.vlan) shown += " vlan " + std::to_string(*key.vlan);
    for (auto& f : list(ns, {.dev = index, .mac = mac}))
        if (f.vlan == key.vlan && (!dst || f.dst == dst)) return f;
    throw Error(ENOENT, op, shown, {}, "no such fdb entry");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<FdbInfo> FdbEntry::find(const NetnsRef& ns, const FdbKey& key) {
    try {
        return get(ns, key);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
        return std::nullopt;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void FdbEntry::remove(const NetnsRef& ns, const FdbOptions& options) {
    detail::ResolvedFdb r;
    try {
        r = detail::resolve_fdb(ns, options, "remove fdb entry");
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;
        // A device that no longer exists took its entries with it (a missing `via` is an error).
        try {
            (void)options.dev.resolve(ns, "remove fdb entry", {});
        } catch (const Error& gone) {
            if (gone.errnum() == ENODEV) return;
        }
        throw;
    }
    FdbEntryRef(ns, std::move(r.spec), std::move(r.shown)).remove();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string format_fdb(const NetnsRef& ns, const std::vector<FdbInfo>& entries, bool show_dev) {
    std::vector<LinkInfo> links = Link::list(ns);
    auto name = [&](int index) -> std::string {
        for (const auto& l : links)
            if (l.index == index) return l.name;
        return {};
    };
    std::string out{};
    for (const auto& e : entries) out += e.to_string(name, show_dev) + "\n";
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string show_fdb(const NetnsRef& ns, const FdbFilter& filter) {
    return format_fdb(ns, FdbEntry::list(ns, filter), filter.dev.empty());
}

}  // namespace nsnet
