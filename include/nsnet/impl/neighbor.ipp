// nsnet/impl/neighbor.ipp — the function bodies of <nsnet/neighbor.hpp>.
//
// Included at the end of nsnet/neighbor.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_DECL rtnl::Neighbor to_neighbor(const Link& dev, const NeighborOptions& o, const char* operation) {
    if (!dev.valid()) throw Error(ENODEV, operation, dev.name(), {}, "link handle is empty or was removed");
    if (o.address.empty()) invalid_argument(operation, dev.name(), "no neighbour address given");
    auto addr = IpAddress::try_parse(o.address);
    if (!addr)
        invalid_argument(operation, o.address, "'" + o.address + "' is not an IPv4 or IPv6 address");
    rtnl::Neighbor n{};
    n.index = dev.index();
    n.address = *addr;
    n.state = o.state;
    n.router = o.router;
    n.proxy = o.proxy;
    if (!o.lladdr.empty()) {
        if (o.proxy)
            invalid_argument(operation, o.address, "a proxy entry takes no lladdr ('" + o.lladdr + "' given)");
        n.lladdr = MacAddress::parse(o.lladdr);
    }
    if (o.router && addr->is_v4())
        invalid_argument(operation, o.address, "'router' applies to IPv6 neighbours only, " + o.address + " is IPv4");
    return n;
}

NSNET_DECL void neighbor_request(const Link& dev, nl::MessageBuilder msg, const std::string& operation,
                                 const std::string& object) {
    dev.netns().with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, object + " dev " + dev.name()); });
}

NSNET_DECL void check_lladdr_needed(const Link& dev, const rtnl::Neighbor& n, const char* operation) {
    constexpr std::uint16_t valid = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE;
    if (n.proxy || n.lladdr || !(static_cast<std::uint16_t>(n.state) & valid)) return;
    if (dev.info().mac)
        invalid_argument(operation, n.address.to_string() + " dev " + dev.name(),
                         "state " + rtnl::to_string(n.state) + " needs a link-layer address (lladdr) on " + dev.name());
}

}  // namespace detail

NSNET_DECL void add_neighbor(const Link& dev, const NeighborOptions& options) {
    auto n = detail::to_neighbor(dev, options, "add neighbor");
    detail::check_lladdr_needed(dev, n, "add neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_new(n), "add neighbor", options.address);
}

NSNET_DECL void replace_neighbor(const Link& dev, const NeighborOptions& options) {
    auto n = detail::to_neighbor(dev, options, "replace neighbor");
    detail::check_lladdr_needed(dev, n, "replace neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_new(n, true), "replace neighbor", options.address);
}

NSNET_DECL void delete_neighbor(const Link& dev, std::string_view address, bool proxy) {
    NeighborOptions o{.address = std::string(address), .lladdr = {}, .state = NeighborState::Permanent, .router = false, .proxy = proxy};
    auto n = detail::to_neighbor(dev, o, "delete neighbor");
    detail::neighbor_request(dev, rtnl::neighbor_del(n), "delete neighbor", o.address);
}

NSNET_DECL std::vector<Neighbor> list_neighbors(const NetnsRef& ns, const NeighborFilter& filter) {
    auto all = ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::neighbor_dump(filter.family ? static_cast<unsigned char>(*filter.family) : AF_UNSPEC,
                                     filter.index, filter.proxy);
        return nl::dump_collect(s, m, "list neighbors", rtnl::decode_neighbor);
    });
    // The kernel filters too (NDA_IFINDEX, family); this also holds on kernels that ignore the filter.
    std::erase_if(all, [&](const Neighbor& n) {
        return (filter.index && n.index != filter.index) || (filter.family && n.family() != *filter.family) ||
               n.proxy != filter.proxy;
    });
    return all;
}

NSNET_DECL std::size_t flush_neighbors(const Link& dev, const FlushOptions& options) {
    if (!dev.valid()) throw Error(ENODEV, "flush neighbors", dev.name(), {}, "link handle is empty or was removed");
    std::size_t deleted = 0;
    for (int round = 0; round < 10; ++round) {
        auto entries = list_neighbors(dev.netns(), NeighborFilter{.family = options.family, .index = dev.index(), .proxy = false});
        nl::Batch batch;
        for (const auto& n : entries) {
            auto st = static_cast<std::uint16_t>(n.state);
            if (!options.include_permanent && (st & (NUD_PERMANENT | NUD_NOARP))) continue;
            batch.add(rtnl::neighbor_del(n), "flush neighbor", n.address.to_string() + " dev " + dev.name());
        }
        if (batch.empty()) break;
        auto outcomes = dev.netns().with_rtnl([&](nl::Socket& s) { return batch.run(s); });
        std::size_t this_round = 0;
        for (const auto& o : outcomes) {
            if (o.ack.error == 0) ++this_round;
            else if (o.ack.error != ENOENT)
                throw o.ack.to_error(batch.operation(o.index), batch.object(o.index));
        }
        deleted += this_round;
        if (this_round == 0) break;
    }
    return deleted;
}

}  // namespace nsnet
