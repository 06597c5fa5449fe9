// nsnet/impl/request_batch.ipp — the function bodies of <nsnet/request_batch.hpp>.
//
// Included at the end of nsnet/request_batch.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL nl::Batch::AckMode ack_mode(BatchAcks a) noexcept {
    return a == BatchAcks::Each ? nl::Batch::AckMode::Each : nl::Batch::AckMode::ErrorsOnly;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string describe_route(const RouteSpec& r) {
    std::string s = r.dst ? r.dst->to_string() : std::string("default");
    if (r.gateway) s += " via " + r.gateway->to_string();
    if (r.oif) s += " dev #" + std::to_string(r.oif);
    if (r.table && r.table != 254) s += " table " + std::to_string(r.table);
    return s;
}

NSNET_DECL void throw_batch_failure(std::vector<BatchFailure>& failures, std::size_t total) {
    const Error& e = failures.front().error;
    if (failures.size() == 1) throw e;
    std::string note = std::to_string(failures.size()) + " of " + std::to_string(total) + " requests were refused; this is the first";
    throw with_detail(e, note);
}

}  // namespace detail

NSNET_DECL RequestBatch::RequestBatch(NetnsRef netns) : ns_(std::move(netns)) {
    detail::require_netns(ns_, "create request batch", {});
}

NSNET_LAZY_DEFINITION NSNET_DECL void RequestBatch::clear() noexcept {
    batch_.clear();
    keep_.clear();
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::add(const nl::MessageBuilder& msg, std::string operation, std::string object) {
    batch_.add(msg, std::move(operation), std::move(object));
    return *this;
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::create_route(const RouteSpec& route, RouteWrite mode) {
    return add(rtnl::route_new(route, mode), mode == RouteWrite::Add ? "add route" : mode == RouteWrite::Replace ? "replace route" : "append route",
               detail::describe_route(route));
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::remove_route(const RouteSpec& route) {
    return add(rtnl::route_del(route), "remove route", detail::describe_route(route));
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::remove_route(const RouteOptions& options) {
    auto r = detail::resolve_route(ns_, options, "remove route");
    return add(rtnl::route_del(r.spec), "remove route", r.shown);
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::add_address(const Link& link, const PrefixArg& arg, const AddressOptions& o) {
    check_here(link, "add address");
    const Prefix prefix = arg.resolve("address", "add address", link.name());
    rtnl::AddressSpec s{.index = link.index(), .prefix = prefix, .peer = {}, .broadcast = {}, .scope = o.scope, .label = o.label};
    if (!o.peer.empty()) s.peer = o.peer.resolve("AddressOptions.peer", "add address " + prefix.to_string(), link.name());
    if (o.broadcast && prefix.address().is_v4()) s.broadcast = prefix.broadcast();
    return add(rtnl::address_new(s, o.replace), (o.replace ? "replace address " : "add address ") + prefix.to_string(), link.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::remove_address(const Link& link, const PrefixArg& arg) {
    check_here(link, "delete address");
    const Prefix prefix = arg.resolve("address", "delete address", link.name());
    rtnl::AddressSpec s{.index = link.index(), .prefix = prefix, .peer = {}, .broadcast = {}, .scope = {}, .label = {}};
    return add(rtnl::address_del(s), "delete address " + prefix.to_string(), link.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::create_veth(const VethEnd& first, const VethEnd& second, const VethBatchOptions& o) {
    const std::string shown = first.name + "/" + second.name;
    validate_interface_name(first.name, "create veth");
    validate_interface_name(second.name, "create veth");
    if (first.netns.valid() && !(first.netns == ns_))
        invalid_argument("create veth", shown, "the first end must be created in the batch's namespace " + ns_.display_name());
    const bool elsewhere = second.netns.valid() && !(second.netns == ns_);
    if (!elsewhere && first.name == second.name)
        invalid_argument("create veth", shown, "both ends are named '" + first.name + "' in the same namespace");
    rtnl::LinkCreate c{.name = first.name, .mac = first.mac, .mtu = first.mtu, .group = first.group, .up = o.up};
    rtnl::VethPeer p{.name = second.name, .mac = second.mac, .mtu = second.mtu, .group = second.group};
    if (elsewhere) {
        p.netns_fd = second.netns.fd();
        keep_.push_back(second.netns);  // the fd must stay open until run()
    }
    auto msg = rtnl::veth_new(c, p);
    if (o.master) {
        check_here(*o.master, "create veth");
        msg.put_u32(IFLA_MASTER, static_cast<std::uint32_t>(o.master->index()));
    }
    return add(msg, "create veth", shown);
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::set_up(std::string_view name, bool up) {
    validate_interface_name(name, "set link up");
    rtnl::LinkChange c{};
    c.name = std::string(name);  // with no index the kernel looks the link up by name
    c.up = up;
    return add(rtnl::link_set(c), up ? "set link up" : "set link down", std::string(name));
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::set_up(const Link& link, bool up) {
    check_here(link, "set link up");
    rtnl::LinkChange c{};
    c.index = link.index();
    c.up = up;
    return add(rtnl::link_set(c), up ? "set link up" : "set link down", link.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::set_master(std::string_view name, const Link& master) {
    validate_interface_name(name, "set link master");
    check_here(master, "set link master");
    rtnl::LinkChange c{};
    c.name = std::string(name);
    c.master = master.index();
    return add(rtnl::link_set(c), "set link master", std::string(name));
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::remove_link(std::string_view name) {
    validate_interface_name(name, "delete link");
    auto m = rtnl::link_del(0);
    m.put_string(IFLA_IFNAME, name);
    return add(m, "delete link", std::string(name));
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::remove_link(const Link& link) {
    check_here(link, "delete link");
    return add(rtnl::link_del(link.index()), "delete link", link.name());
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<BatchFailure> RequestBatch::run(BatchAcks acks) {
    auto refused = ns_.with_rtnl([&](nl::Socket& s) { return batch_.run_failures(s, detail::ack_mode(acks)); });
    std::vector<BatchFailure> out;
    out.reserve(refused.size());
    for (const auto& o : refused)
        out.push_back(BatchFailure{o.index, o.ack.to_error(batch_.operation(o.index), batch_.object(o.index))});
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL void RequestBatch::run_or_throw(BatchAcks acks) {
    auto failures = run(acks);
    if (!failures.empty()) detail::throw_batch_failure(failures, size());
}

NSNET_LAZY_DEFINITION NSNET_DECL RequestBatch& RequestBatch::add_resolved(const RouteOptions& options, const char* operation, RouteWrite mode) {
    auto r = detail::resolve_route(ns_, options, operation);
    return add(rtnl::route_new(r.spec, mode), operation, r.shown);
}

NSNET_LAZY_DEFINITION NSNET_DECL void RequestBatch::check_here(const Link& link, const char* operation) const {
    if (!link.valid()) throw Error(ENODEV, operation, link.name(), {}, "link handle is empty or was removed");
    if (!(link.netns() == ns_))
        invalid_argument(operation, link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in the batch's " +
                             ns_.display_name());
}

namespace detail {

// What stream_routes does to each route.
struct RouteChange {
    bool remove = false;                 // RTM_DELROUTE; otherwise RTM_NEWROUTE in mode `write`
    RouteWrite write = RouteWrite::Add;
};

// The one body of apply_routes/remove_routes: given (a span) or made (route(i)) routes are encoded
// into one window at a time, refusals named as their window's answers arrive.
NSNET_LAZY inline void stream_routes(const NetnsRef& ns, std::size_t count, std::span<const RouteSpec> given, RouteSource make,
                          RouteChange change, BatchAcks acks) {
    const char* op = change.remove                         ? "remove route"
                     : change.write == RouteWrite::Add     ? "add route"
                     : change.write == RouteWrite::Replace ? "replace route"
                                                           : "append route";
    std::vector<BatchFailure> failures;
    std::vector<RouteSpec> window;  // made routes of the window not yet answered, to name refusals
    std::size_t window_first = 0;   // the stream index of window[0]
    ns.with_rtnl([&](nl::Socket& s) {
        auto on_answer = [&](std::size_t i, const nl::AckInfo& ack) {
            if (!ack.error) return;
            const RouteSpec& r = make ? window.at(i - window_first) : given[i];
            failures.push_back(BatchFailure{i, ack.to_error(op, describe_route(r))});
        };
        nl::BatchStream stream(s, ack_mode(acks), on_answer);
        auto send = [&](const RouteSpec& r) {  // named only if refused
            stream.add(change.remove ? rtnl::route_del(r) : rtnl::route_new(r, change.write), op, {});
        };
        for (std::size_t i = 0; i < count; ++i) {
            if (!make) {
                send(given[i]);
                continue;
            }
            RouteSpec made = make(i);
            send(made);
            if (stream.sent() != window_first) {  // add() sent the window before this route
                window.clear();
                window_first = stream.sent();
            }
            window.push_back(std::move(made));
        }
        stream.finish();
    });
    if (!failures.empty()) throw_batch_failure(failures, count);
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL void apply_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, RouteWrite mode, BatchAcks acks) {
    detail::stream_routes(ns, routes.size(), routes, nullptr, {.write = mode}, acks);
}

NSNET_LAZY_DEFINITION NSNET_DECL void remove_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, BatchAcks acks) {
    detail::stream_routes(ns, routes.size(), routes, nullptr, {.remove = true}, acks);
}

NSNET_LAZY_DEFINITION NSNET_DECL void apply_routes(const NetnsRef& ns, std::size_t count, RouteSource route, RouteWrite mode, BatchAcks acks) {
    if (!route) invalid_argument("add route", {}, "apply_routes: the route source is empty");
    detail::stream_routes(ns, count, {}, route, {.write = mode}, acks);
}

NSNET_LAZY_DEFINITION NSNET_DECL void remove_routes(const NetnsRef& ns, std::size_t count, RouteSource route, BatchAcks acks) {
    if (!route) invalid_argument("remove route", {}, "remove_routes: the route source is empty");
    detail::stream_routes(ns, count, {}, route, {.remove = true}, acks);
}

}  // namespace nsnet
