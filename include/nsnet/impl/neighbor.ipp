// nsnet/impl/neighbor.ipp — the function bodies of <nsnet/neighbor.hpp>.
//
// Included at the end of nsnet/neighbor.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

// The key part of a request (device, address, proxy), `type` naming the options struct in errors.
NSNET_LAZY inline ResolvedNeighbor resolve_neighbor_key(const NetnsRef& ns, const DeviceArg& dev, const AddressArg& address,
                                             bool proxy, const char* type, const std::string& operation) {
    const std::string field = type;
    std::string shown = (proxy ? "proxy " : "") + (address.empty() ? std::string("(no address)") : address.to_string());
    ResolvedNeighbor out;
    out.entry.address = address.resolve(field + ".address", operation, shown);
    out.entry.proxy = proxy;
    if (dev.empty()) invalid_argument(operation, shown, field + ".dev is not set: give the device the entry belongs to");
    auto [index, name] = dev.resolve(ns, operation, shown);
    out.entry.index = index;
    out.shown = (proxy ? "proxy " : "") + out.entry.address.to_string() + " dev " + name;
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL ResolvedNeighbor resolve_neighbor(const NetnsRef& ns, const NeighborOptions& o, const std::string& operation) {
    // Everything that needs no kernel first, so that a bad value is reported even for a missing device.
    const std::string shown = (o.proxy ? "proxy " : "") + (o.address.empty() ? std::string("(no address)") : o.address.to_string());
    IpAddress addr = o.address.resolve("NeighborOptions.address", operation, shown);
    std::optional<MacAddress> lladdr;
    if (!o.lladdr.empty()) {
        if (o.proxy)
            invalid_argument(operation, shown,
                             "NeighborOptions.lladdr '" + o.lladdr.to_string() + "' given for a proxy entry, which takes none");
        lladdr = o.lladdr.resolve("NeighborOptions.lladdr", operation, shown);
    }
    if (o.router && addr.is_v4())
        invalid_argument(operation, shown,
                         "NeighborOptions.router applies to IPv6 neighbours only, NeighborOptions.address " + addr.to_string() +
                             " is IPv4");
    ResolvedNeighbor out = resolve_neighbor_key(ns, o.dev, o.address, o.proxy, "NeighborOptions", operation);
    out.entry.lladdr = lladdr;
    out.entry.state = o.state;
    out.entry.router = o.router;
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL void check_lladdr_needed(const NetnsRef& ns, const ResolvedNeighbor& n, const std::string& operation) {
    constexpr std::uint16_t valid = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE;
    const rtnl::Neighbor& e = n.entry;
    if (e.proxy || e.lladdr || !(static_cast<std::uint16_t>(e.state) & valid)) return;
    if (Link::get(ns, e.index).info().mac)
        invalid_argument(operation, n.shown,
                         "NeighborOptions.state " + rtnl::to_string(e.state) +
                             " needs a link-layer address (NeighborOptions.lladdr) on this device");
}

NSNET_LAZY_DEFINITION NSNET_DECL void neighbor_request(const NetnsRef& ns, nl::MessageBuilder msg, const std::string& operation,
                                 const std::string& shown) {
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, shown); });
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL void NeighborRef::remove() const {
    try {
        detail::neighbor_request(ns_, rtnl::neighbor_del(entry_), "remove neighbor", description_);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV && e.errnum() != ESRCH) throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Neighbor Neighbor::write(const NetnsRef& ns, const NeighborOptions& options, bool replace, const char* operation) {
    auto n = detail::resolve_neighbor(ns, options, operation);
    detail::check_lladdr_needed(ns, n, operation);
    NeighborRef ref(ns, n.entry, n.shown);
    try {
        detail::neighbor_request(ns, rtnl::neighbor_new(ref.entry(), replace), operation, ref.description());
    } catch (const Error& e) {
        if (!e.outcome_unknown() || replace) throw;
        throw detail::undo_lost_create(e, "the entry", [&] { ref.remove(); });
    }
    return Neighbor(std::move(ref));
}

NSNET_LAZY_DEFINITION NSNET_DECL Neighbor Neighbor::create(const NetnsRef& ns, const NeighborOptions& options) {
    return write(ns, options, false, "create neighbor");
}

NSNET_LAZY_DEFINITION NSNET_DECL Neighbor Neighbor::replace(const NetnsRef& ns, const NeighborOptions& options) {
    return write(ns, options, true, "replace neighbor");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<NeighborInfo> Neighbor::list(const NetnsRef& ns, const NeighborFilter& filter) {
    const std::string op = "list neighbors";
    const int index = filter.dev.empty() ? 0 : filter.dev.resolve(ns, op, ns.display_name()).first;
    auto all = ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::neighbor_dump(filter.family ? static_cast<unsigned char>(*filter.family) : AF_UNSPEC, index,
                                     filter.proxy);
        return nl::dump_collect(s, m, op, rtnl::decode_neighbor);
    });
    // The kernel filters too (NDA_IFINDEX, family); this also holds on kernels that ignore the filter.
    std::erase_if(all, [&](const NeighborInfo& n) {
        return (index && n.index != index) || (filter.family && n.family() != *filter.family) || n.proxy != filter.proxy;
    });
    return all;
}

NSNET_LAZY_DEFINITION NSNET_DECL NeighborInfo Neighbor::get(const NetnsRef& ns, const NeighborKey& key) {
    const std::string op = "get neighbor";
    auto k = detail::resolve_neighbor_key(ns, key.dev, key.address, key.proxy, "NeighborKey", op);
    for (auto& n : list(ns, {.family = k.entry.family(), .dev = k.entry.index, .proxy = key.proxy}))
        if (n.address == k.entry.address) return n;
    throw Error(ENOENT, op, k.shown, {}, "no such neighbour entry");
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<NeighborInfo> Neighbor::find(const NetnsRef& ns, const NeighborKey& key) {
    try {
        return get(ns, key);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
        return std::nullopt;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Neighbor::remove(const NetnsRef& ns, const NeighborOptions& options) {
    const std::string op = "remove neighbor";
    detail::ResolvedNeighbor k;
    try {
        k = detail::resolve_neighbor_key(ns, options.dev, options.address, options.proxy, "NeighborOptions", op);
    } catch (const Error& e) {
        // A device that no longer exists took its entries with it.
        if (e.errnum() == ENODEV) return;
        throw;
    }
    k.entry.state = options.state;
    NeighborRef(ns, k.entry, k.shown).remove();
}

NSNET_LAZY_DEFINITION NSNET_DECL std::size_t Neighbor::flush(const NetnsRef& ns, const NeighborFlushOptions& options) {
    const std::string op = "flush neighbors";
    const std::pair<int, std::string> dev =
        options.dev.empty() ? std::pair<int, std::string>{0, {}} : options.dev.resolve(ns, op, ns.display_name());
    const int index = dev.first;
    std::size_t deleted = 0;
    for (int round = 0; round < 10; ++round) {
        auto entries = list(ns, NeighborFilter{.family = options.family, .dev = index ? DeviceArg(index) : DeviceArg(), .proxy = false});
        nl::Batch batch;
        for (const auto& n : entries) {
            auto st = static_cast<std::uint16_t>(n.state);
            if (!options.include_permanent && (st & (NUD_PERMANENT | NUD_NOARP))) continue;
            batch.add(rtnl::neighbor_del(n), "flush neighbor",
                      n.address.to_string() + " dev " + (index ? dev.second : "#" + std::to_string(n.index)));
        }
        if (batch.empty()) break;
        auto outcomes = ns.with_rtnl([&](nl::Socket& s) { return batch.run(s); });
        std::size_t this_round = 0;
        for (const auto& o : outcomes) {
            if (o.ack.error == 0) ++this_round;
            else if (o.ack.error != ENOENT && o.ack.error != ENODEV)
                throw o.ack.to_error(batch.operation(o.index), batch.object(o.index));
        }
        deleted += this_round;
        if (this_round == 0) break;
    }
    return deleted;
}

}  // namespace nsnet
