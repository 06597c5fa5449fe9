// nsnet/bulk.hpp — many changes at once: pipelined request batches, teardown by link group,
// streaming route dumps.
//
// Layer: typed objects, over nl::Batch and nl::dump.
//
//   nsnet::RequestBatch b(ns);                          // every request goes to one namespace
//   for (auto& r : routes) b.add_route(r);              // nothing is sent yet
//   b.run_or_throw();                                   // N kernel operations, ~N/512 sendmsg calls
//
//   nsnet::apply_routes(ns, routes);                    // the same for a span of RouteSpec
//   std::size_t n = nsnet::for_each_route(ns, [](const nsnet::Route&) {});   // streamed, flat memory
//
//   auto group = nsnet::LinkGroup::create(host);        // an interface group unused in `host`
//   auto cs = nsnet::NetnsGroup::create({"c1", "c2"});  // named namespaces, made and removed together
//   b.create_veth({.name = "vh1", .group = group.id()}, {.name = "eth0", .netns = cs[0]});
//   ...                                                 // ~LinkGroup: `ip link del group N`
//
// Why: the kernel does the work of a request in a few microseconds, a round trip per request costs
// as much again; and deleting a network device waits for an RCU grace period (~10-20 ms), once per
// RTM_DELLINK, as does unmounting a namespace. A batch pays the round trip once per window; a group
// (or a namespace) pays the grace period once for all its links; a NetnsGroup overlaps its
// namespaces' waits.
//
// What it does not do: transactions. A batch is not atomic (rtnetlink has no rollback): requests
// before and after a refused one are applied, and run() reports each refusal against its request.
#pragma once

#include <net/if.h>
#include <linux/if.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/veth.hpp"

namespace nsnet {

// A route request with addresses parsed and devices resolved to ifindexes: what a batch sends
// without any per-route lookup (RouteOptions, the text form, is resolved first).
using RouteSpec = rtnl::RouteSpec;
using RouteWrite = rtnl::RouteWrite;

// Which requests of a batch the kernel answers.
enum class BatchAcks {
    // Only refusals, plus the last request of each window. The kernel handles a window's requests in
    // order inside one sendmsg, so once the window's last answer is in, silence means success: every
    // refusal is still reported against its own request. About 40% less work per request than Each
    // (no acknowledgement to build, queue, read and free).
    ErrorsOnly,
    // An acknowledgement for every request.
    Each,
};

// One refused request of a batch.
struct BatchFailure {
    std::size_t index = 0;  // position in the batch (the order of the add_* calls)
    Error error;            // names the request ("add route '10.0.0.7/32 via 192.0.2.2'") and the kernel's reason
};

// Settings of a veth created in a batch that `ip link add` takes on the same line.
struct VethBatchOptions {
    bool up = false;                  // ip link add ... up (the first end)
    std::optional<Link> master{};     // ip link add ... master BRIDGE (the first end; same namespace)
};

namespace detail {

NSNET_DECL nl::Batch::AckMode ack_mode(BatchAcks a) noexcept;

// "10.0.0.7/32 via 192.0.2.2 dev #3", the way errors name a route given as a RouteSpec.
NSNET_DECL std::string describe_route(const RouteSpec& r);

// Throws the first of `failures` with a note on how many there were in all.
[[noreturn]] NSNET_DECL void throw_batch_failure(std::vector<BatchFailure>& failures, std::size_t total);

}  // namespace detail

// Requests for one namespace, sent together (pipelined) by run(). Add operations in the order they
// must happen: the kernel applies them in that order, so a link created early in a batch can be
// configured by name later in the same batch.
class RequestBatch {
public:
    explicit RequestBatch(NetnsRef netns);

    const NetnsRef& netns() const noexcept { return ns_; }
    std::size_t size() const noexcept { return batch_.size(); }
    bool empty() const noexcept { return batch_.empty(); }
    void clear() noexcept;
    // Room for `requests` requests of about `bytes_each` bytes (a route is ~52).
    void reserve(std::size_t requests, std::size_t bytes_each = 64) { batch_.reserve(requests, requests * bytes_each); }

    // Any rtnetlink request built with nsnet/rtnl/*.hpp; operation and object name it in errors.
    RequestBatch& add(const nl::MessageBuilder& msg, std::string operation, std::string object);

    // ip route add|replace|append ..., from a resolved RouteSpec (no lookup, no parsing).
    RequestBatch& add_route(const RouteSpec& route, RouteWrite mode = RouteWrite::Add);
    // ip route del ...: the kernel deletes the first route matching every field that is set.
    RequestBatch& delete_route(const RouteSpec& route);
    // The same from text options, checked and resolved now (before anything is sent). A device
    // given by name is looked up on every call: for many routes pass a Link or an ifindex.
    RequestBatch& add_route(const RouteOptions& options) { return add_resolved(options, "add route", RouteWrite::Add); }
    RequestBatch& replace_route(const RouteOptions& options) { return add_resolved(options, "replace route", RouteWrite::Replace); }
    RequestBatch& delete_route(const RouteOptions& options);

    // ip addr add PREFIX [brd +] [peer P] [scope S] [label L] dev LINK
    RequestBatch& add_address(const Link& link, const Prefix& prefix, const AddressOptions& o = {});
    RequestBatch& add_address(const Link& link, std::string_view cidr, const AddressOptions& o = {}) {
        return add_address(link, Prefix::parse(cidr), o);
    }
    // ip addr del PREFIX dev LINK
    RequestBatch& delete_address(const Link& link, const Prefix& prefix);

    // ip link add FIRST [group G] [master M] [up] type veth peer name SECOND [netns B] [group G].
    // FIRST is created in the batch's namespace (first.netns, if set, must be it).
    RequestBatch& create_veth(const VethEnd& first, const VethEnd& second, const VethBatchOptions& o = {});

    // ip link set NAME up|down. By name, so the link may be created earlier in the same batch.
    RequestBatch& set_up(std::string_view name, bool up = true);
    RequestBatch& set_up(const Link& link, bool up = true);
    // ip link set NAME master BRIDGE (by name, as set_up).
    RequestBatch& set_master(std::string_view name, const Link& master);
    // ip link del NAME (one RCU grace period each: prefer a LinkGroup or the namespace's deletion
    // for many links).
    RequestBatch& delete_link(std::string_view name);
    RequestBatch& delete_link(const Link& link);

    // Sends everything (in windows of up to 512 requests, one sendmsg each) and returns the refusals,
    // in order; empty when every request was applied. Throws only if the socket fails.
    std::vector<BatchFailure> run(BatchAcks acks = BatchAcks::ErrorsOnly);
    // run(), then throws the first refusal (its message counts the others).
    void run_or_throw(BatchAcks acks = BatchAcks::ErrorsOnly);

private:
    RequestBatch& add_resolved(const RouteOptions& options, const char* operation, RouteWrite mode);
    void check_here(const Link& link, const char* operation) const;

    NetnsRef ns_;
    nl::Batch batch_;
    std::vector<NetnsRef> keep_;  // namespaces whose fds the queued requests carry
};

// ip -batch of `route add|replace|append` lines, pipelined: every route is sent even if some are
// refused, then the first refusal is thrown (its message counts the others). Routes are not
// resolved or parsed: a RouteSpec holds addresses and ifindexes.
NSNET_DECL void apply_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, RouteWrite mode = RouteWrite::Add,
                             BatchAcks acks = BatchAcks::ErrorsOnly);
// ip -batch of `route del` lines, pipelined (see apply_routes).
NSNET_DECL void delete_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, BatchAcks acks = BatchAcks::ErrorsOnly);

// What for_each_route streams.
struct RouteDumpOptions {
    std::optional<Family> family{};       // unset: IPv4, then IPv6
    std::uint32_t table = 0;              // 0: every table; else only this one (254: main)
    bool include_cloned = false;          // also RTM_F_CLONED entries (route-cache exceptions)
    // The kernel marked the dump inconsistent (a route changed while it was read) and it starts
    // over: forget what fn was given. Without it, an interrupted dump throws Error(EINTR).
    std::function<void()> on_restart{};
};

// ip route show table all, streamed: fn(const Route&) is called for every route as it is decoded
// from the receive buffer, and nothing is collected, so memory stays flat however large the table
// (list_routes() collects into a vector and fills in device names; here Route::dev is empty).
// Returns how many routes fn saw. fn runs while the namespace's shared socket is held: it must not
// make nsnet calls on the same namespace.
//
// Cost (100,000 routes of table main): each route is decoded in place into one reused Route, and
// with a table given the kernel is asked to send only that table (see detail::dump_routes).
template <class Fn>
std::size_t for_each_route(const NetnsRef& ns, Fn&& fn, const RouteDumpOptions& o = {}) {
    std::size_t n = 0;
    Route scratch;
    auto restart = [&] {
        n = 0;
        o.on_restart();
    };
    for (Family f : {Family::V4, Family::V6}) {
        if (o.family && *o.family != f) continue;
        ns.with_rtnl([&](nl::Socket& s) {
            detail::dump_routes(
                s, f, o.table, o.include_cloned, "list routes", scratch,
                [&](const Route& r) {
                    if (o.table && r.table != o.table) return;
                    if (!o.include_cloned && (r.flags & RTM_F_CLONED)) return;
                    ++n;
                    fn(r);
                },
                o.on_restart ? detail::FunctionRef<void()>(restart) : detail::FunctionRef<void()>());
        });
    }
    return n;
}

// Links of one namespace tagged with one interface group (IFLA_GROUP), removed together by a
// single `ip link del group N`: one RCU grace period for all of them instead of one per link
// (1,000 veth pairs: ~0.4 s instead of ~16 s).
//
//   auto group = nsnet::LinkGroup::create(ns);
//   auto v = nsnet::VethPair::create({.name = "a", .netns = ns, .group = group.id()}, {.name = "b", .netns = other});
//   group.adopt(v);        // v no longer deletes itself: the group does
//   // or, for many: RequestBatch::create_veth({.name = ..., .group = group.id()}, ...)
//
// The destructor deletes every link of the namespace in that group, including any that something
// else tagged with it: create() picks an id no link of the namespace uses. Single objects keep
// deleting themselves unless adopted. A deleted veth takes its peer (in any namespace) with it.
class LinkGroup {
public:
    LinkGroup() = default;

    // A group id that no link of `netns` uses now (checked with one link dump), owned.
    static LinkGroup create(const NetnsRef& netns);
    // Takes charge of an existing group id (`ip link set X group N` elsewhere): its links are
    // deleted on destruction.
    static LinkGroup adopt(const NetnsRef& netns, std::uint32_t id);

    LinkGroup(LinkGroup&& o) noexcept : ns_(std::move(o.ns_)), id_(o.id_), owned_(std::exchange(o.owned_, false)) {}
    LinkGroup& operator=(LinkGroup&& o) noexcept;
    LinkGroup(const LinkGroup&) = delete;
    LinkGroup& operator=(const LinkGroup&) = delete;
    ~LinkGroup();

    std::uint32_t id() const noexcept { return id_; }
    const NetnsRef& netns() const noexcept { return ns_; }
    bool owned() const noexcept { return owned_; }
    // Keep the links after this object is gone.
    void persist() noexcept { owned_ = false; }

    // ip link set NAME group N: tags a link of the group's namespace (it is deleted with the group).
    void add(Link& link);
    // Takes over a link nsnet created and tagged with id() (or add()ed): it no longer deletes itself
    // one by one; the group deletes it.
    void adopt(OwnedLink& link);
    // The same for a pair: one of its ends must be in the group's namespace, tagged with id().
    void adopt(VethPair& pair);
    // ip link show group N
    std::vector<LinkInfo> links() const;

    // ip link del group N, now: one request. A group with no link left counts as deleted.
    void remove();

private:
    LinkGroup(NetnsRef ns, std::uint32_t id) : ns_(std::move(ns)), id_(id), owned_(true) {}
    void check_tagged(const Link& link, const char* operation) const;
    void destroy() noexcept;

    NetnsRef ns_{};
    std::uint32_t id_ = 0;
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
};

// Named namespaces created together and removed together (`ip netns add|del` for each name).
//
//   auto cs = nsnet::NetnsGroup::create({"c1", "c2", "c3"});
//   nsnet::RequestBatch b(cs[0]);          // cs[i] is a NetnsRef; its rtnetlink socket is open already
//   ...                                    // ~NetnsGroup: every name deleted, waits overlapped
//
// Creating: one thread enters each new namespace in turn (unshare), bind-mounts it at
// /run/netns/NAME and opens its rtnetlink socket while inside, instead of a thread per namespace
// and another per socket later. Removing: each unmount waits for an RCU grace period; done from
// several threads at once, the waits overlap. Links inside a namespace die with it, without a
// request (and a grace period) each; a veth whose peer is elsewhere takes the peer along.
class NetnsGroup {
public:
    NetnsGroup() = default;

    // ip netns add NAME, for every name. All or nothing: on a failure the ones made are removed.
    static NetnsGroup create(const std::vector<std::string>& names);

    // Takes charge of named namespaces that exist already (e.g. made by another process): opens
    // them, and removes them together on destruction.
    static NetnsGroup adopt(const std::vector<std::string>& names);

    NetnsGroup(NetnsGroup&& o) noexcept
        : names_(std::move(o.names_)), refs_(std::move(o.refs_)), owned_(std::exchange(o.owned_, false)) {}
    NetnsGroup& operator=(NetnsGroup&& o) noexcept;
    NetnsGroup(const NetnsGroup&) = delete;
    NetnsGroup& operator=(const NetnsGroup&) = delete;
    ~NetnsGroup();

    std::size_t size() const noexcept { return refs_.size(); }
    const NetnsRef& operator[](std::size_t i) const { return refs_.at(i); }
    const std::vector<NetnsRef>& namespaces() const noexcept { return refs_; }
    const std::vector<std::string>& names() const noexcept { return names_; }
    // False in a child process (fork): the child's copy never deletes the parent's namespaces.
    bool owned() const noexcept { return owned_; }
    // Keep the namespaces after this object is gone (`ip netns del` removes them later).
    void persist() noexcept { owned_ = false; }

    // ip netns del NAME for every name, now (names already gone are fine). The kernel frees each
    // namespace once nothing refers to it any more (this object's references are dropped here).
    // A name that now holds another namespace than the group's (someone replaced it) is left alone
    // and reported (Error EEXIST, after the others are removed), as by Netns::remove().
    void remove();

private:
    // A NetnsRef made from an fd and a socket opened inside (NetnsRef's constructor is protected).
    struct Prepared : NetnsRef {
        Prepared(detail::UniqueFd fd, std::string name, nl::Socket rtnl);
    };

    // Unmounts and unlinks every name, from up to 8 threads; throws the first failure at the end.
    // With `mine` (one namespace fd per name), only names that still hold that namespace.
    void remove_names(const std::vector<NetnsRef>* mine = nullptr);
    void destroy() noexcept;

    std::vector<std::string> names_{};  // created (or being created): what remove() deletes
    std::vector<NetnsRef> refs_{};
    detail::ProcessOwned owned_{};  // true only in the process that made or adopted the names
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL nl::Batch::AckMode ack_mode(BatchAcks a) noexcept {
    return a == BatchAcks::Each ? nl::Batch::AckMode::Each : nl::Batch::AckMode::ErrorsOnly;
}

NSNET_DECL std::string describe_route(const RouteSpec& r) {
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
    Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(), e.detail().empty() ? note : e.detail() + "; " + note);
    if (e.bad_attribute_offset() >= 0) out.set_bad_attribute_offset(e.bad_attribute_offset());
    throw out;
}

}  // namespace detail

NSNET_DECL RequestBatch::RequestBatch(NetnsRef netns) : ns_(std::move(netns)) {
    if (!ns_.valid()) invalid_argument("create request batch", {}, "no namespace given (an empty NetnsRef)");
}

NSNET_DECL void RequestBatch::clear() noexcept {
    batch_.clear();
    keep_.clear();
}

NSNET_DECL RequestBatch& RequestBatch::add(const nl::MessageBuilder& msg, std::string operation, std::string object) {
    batch_.add(msg, std::move(operation), std::move(object));
    return *this;
}

NSNET_DECL RequestBatch& RequestBatch::add_route(const RouteSpec& route, RouteWrite mode) {
    return add(rtnl::route_new(route, mode), mode == RouteWrite::Add ? "add route" : mode == RouteWrite::Replace ? "replace route" : "append route",
               detail::describe_route(route));
}

NSNET_DECL RequestBatch& RequestBatch::delete_route(const RouteSpec& route) {
    return add(rtnl::route_del(route), "delete route", detail::describe_route(route));
}

NSNET_DECL RequestBatch& RequestBatch::delete_route(const RouteOptions& options) {
    auto r = detail::resolve_route(ns_, options, "delete route");
    return add(rtnl::route_del(r.spec), "delete route", r.shown);
}

NSNET_DECL RequestBatch& RequestBatch::add_address(const Link& link, const Prefix& prefix, const AddressOptions& o) {
    check_here(link, "add address");
    rtnl::AddressSpec s{.index = link.index(), .prefix = prefix, .peer = o.peer, .broadcast = {}, .scope = o.scope, .label = o.label};
    if (o.broadcast && prefix.address().is_v4()) s.broadcast = prefix.broadcast();
    return add(rtnl::address_new(s, o.replace), (o.replace ? "replace address " : "add address ") + prefix.to_string(), link.name());
}

NSNET_DECL RequestBatch& RequestBatch::delete_address(const Link& link, const Prefix& prefix) {
    check_here(link, "delete address");
    rtnl::AddressSpec s{.index = link.index(), .prefix = prefix, .peer = {}, .broadcast = {}, .scope = {}, .label = {}};
    return add(rtnl::address_del(s), "delete address " + prefix.to_string(), link.name());
}

NSNET_DECL RequestBatch& RequestBatch::create_veth(const VethEnd& first, const VethEnd& second, const VethBatchOptions& o) {
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

NSNET_DECL RequestBatch& RequestBatch::set_up(std::string_view name, bool up) {
    validate_interface_name(name, "set link up");
    rtnl::LinkChange c{};
    c.name = std::string(name);  // with no index the kernel looks the link up by name
    c.up = up;
    return add(rtnl::link_set(c), up ? "set link up" : "set link down", std::string(name));
}

NSNET_DECL RequestBatch& RequestBatch::set_up(const Link& link, bool up) {
    check_here(link, "set link up");
    rtnl::LinkChange c{};
    c.index = link.index();
    c.up = up;
    return add(rtnl::link_set(c), up ? "set link up" : "set link down", link.name());
}

NSNET_DECL RequestBatch& RequestBatch::set_master(std::string_view name, const Link& master) {
    validate_interface_name(name, "set link master");
    check_here(master, "set link master");
    rtnl::LinkChange c{};
    c.name = std::string(name);
    c.master = master.index();
    return add(rtnl::link_set(c), "set link master", std::string(name));
}

NSNET_DECL RequestBatch& RequestBatch::delete_link(std::string_view name) {
    validate_interface_name(name, "delete link");
    auto m = rtnl::link_del(0);
    m.put_string(IFLA_IFNAME, name);
    return add(m, "delete link", std::string(name));
}

NSNET_DECL RequestBatch& RequestBatch::delete_link(const Link& link) {
    check_here(link, "delete link");
    return add(rtnl::link_del(link.index()), "delete link", link.name());
}

NSNET_DECL std::vector<BatchFailure> RequestBatch::run(BatchAcks acks) {
    auto refused = ns_.with_rtnl([&](nl::Socket& s) { return batch_.run_failures(s, detail::ack_mode(acks)); });
    std::vector<BatchFailure> out;
    out.reserve(refused.size());
    for (const auto& o : refused)
        out.push_back(BatchFailure{o.index, o.ack.to_error(batch_.operation(o.index), batch_.object(o.index))});
    return out;
}

NSNET_DECL void RequestBatch::run_or_throw(BatchAcks acks) {
    auto failures = run(acks);
    if (!failures.empty()) detail::throw_batch_failure(failures, size());
}

NSNET_DECL RequestBatch& RequestBatch::add_resolved(const RouteOptions& options, const char* operation, RouteWrite mode) {
    auto r = detail::resolve_route(ns_, options, operation);
    return add(rtnl::route_new(r.spec, mode), operation, r.shown);
}

NSNET_DECL void RequestBatch::check_here(const Link& link, const char* operation) const {
    if (!link.valid()) throw Error(ENODEV, operation, link.name(), {}, "link handle is empty or was removed");
    if (!(link.netns() == ns_))
        invalid_argument(operation, link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in the batch's " +
                             ns_.display_name());
}

NSNET_DECL void apply_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, RouteWrite mode,
                             BatchAcks acks) {
    const char* op = mode == RouteWrite::Add ? "add route" : mode == RouteWrite::Replace ? "replace route" : "append route";
    nl::Batch b;
    b.reserve(routes.size(), routes.size() * 64);
    for (const RouteSpec& r : routes) b.add(rtnl::route_new(r, mode), op, {});  // named only if refused
    auto refused = ns.with_rtnl([&](nl::Socket& s) { return b.run_failures(s, detail::ack_mode(acks)); });
    if (refused.empty()) return;
    std::vector<BatchFailure> failures;
    for (const auto& o : refused) failures.push_back(BatchFailure{o.index, o.ack.to_error(op, detail::describe_route(routes[o.index]))});
    detail::throw_batch_failure(failures, routes.size());
}

NSNET_DECL void delete_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, BatchAcks acks) {
    nl::Batch b;
    b.reserve(routes.size(), routes.size() * 64);
    for (const RouteSpec& r : routes) b.add(rtnl::route_del(r), "delete route", {});
    auto refused = ns.with_rtnl([&](nl::Socket& s) { return b.run_failures(s, detail::ack_mode(acks)); });
    if (refused.empty()) return;
    std::vector<BatchFailure> failures;
    for (const auto& o : refused)
        failures.push_back(BatchFailure{o.index, o.ack.to_error("delete route", detail::describe_route(routes[o.index]))});
    detail::throw_batch_failure(failures, routes.size());
}

NSNET_DECL LinkGroup LinkGroup::create(const NetnsRef& netns) {
    if (!netns.valid()) invalid_argument("create link group", {}, "no namespace given (an empty NetnsRef)");
    std::vector<std::uint32_t> used;
    for (const LinkInfo& l : Link::list(netns)) used.push_back(l.group);
    // A spread of ids away from the small numbers people type by hand (`ip link set X group 1`).
    static std::atomic<std::uint32_t> counter{0};
    std::uint32_t seed = static_cast<std::uint32_t>(::getpid()) * 2654435761u ^ (++counter * 40503u);
    for (std::uint32_t i = 0;; ++i) {
        std::uint32_t id = 0x10000u + ((seed + i * 7919u) % 0x7ffe0000u);
        if (std::find(used.begin(), used.end(), id) == used.end()) return LinkGroup(netns, id);
    }
}

NSNET_DECL LinkGroup LinkGroup::adopt(const NetnsRef& netns, std::uint32_t id) {
    if (!netns.valid()) invalid_argument("adopt link group", std::to_string(id), "no namespace given (an empty NetnsRef)");
    if (id == 0) invalid_argument("adopt link group", "0", "group 0 is every link's default group ('default')");
    return LinkGroup(netns, id);
}

NSNET_DECL LinkGroup& LinkGroup::operator=(LinkGroup&& o) noexcept {
    if (this != &o) {
        destroy();
        ns_ = std::move(o.ns_);
        id_ = o.id_;
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL LinkGroup::~LinkGroup() { destroy(); }

NSNET_DECL void LinkGroup::add(Link& link) {
    if (!(link.netns() == ns_))
        invalid_argument("add link to group " + std::to_string(id_), link.name(),
                         "link '" + link.name() + "' is in namespace " + link.netns().display_name() + ", not in " + ns_.display_name());
    link.set_group(id_);
}

NSNET_DECL void LinkGroup::adopt(OwnedLink& link) {
    check_tagged(link, "adopt link");
    link.persist();
}

NSNET_DECL void LinkGroup::adopt(VethPair& pair) {
    const Link& end = pair.first().netns() == ns_ ? pair.first() : pair.second();
    check_tagged(end, "adopt veth");
    pair.persist();
}

NSNET_DECL std::vector<LinkInfo> LinkGroup::links() const {
    auto all = Link::list(ns_);
    std::erase_if(all, [&](const LinkInfo& l) { return l.group != id_; });
    return all;
}

NSNET_DECL void LinkGroup::remove() {
    if (!owned_) return;
    owned_ = false;
    const std::string shown = "group " + std::to_string(id_);
    try {
        auto m = rtnl::link_del_group(id_);
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, m, "delete links of", shown); });
    } catch (const Error& e) {
        if (e.errnum() == ENODEV || e.errnum() == ENOENT) return;  // none left (or the namespace is gone)
        if (e.errnum() != EOPNOTSUPP) throw;
        // A member the kernel cannot delete (a physical device) makes it refuse the whole group:
        // delete the others one by one, and say so.
        std::string kept;
        for (const LinkInfo& l : links()) {
            if (l.kind.empty()) {
                kept += (kept.empty() ? "" : ", ") + l.name;
                continue;
            }
            try {
                Link(ns_, l.index, l.name).remove();
            } catch (const Error& e2) {
                if (e2.errnum() != ENODEV) throw;
            }
        }
        if (!kept.empty()) throw Error(EOPNOTSUPP, "delete links of", shown, e.kernel_message(), "cannot delete " + kept);
    }
}

NSNET_DECL void LinkGroup::check_tagged(const Link& link, const char* operation) const {
    if (!(link.netns() == ns_))
        invalid_argument(operation, link.name(), "'" + link.name() + "' is not in the group's namespace " + ns_.display_name());
    if (link.info().group != id_)
        invalid_argument(operation, link.name(),
                         "'" + link.name() + "' is not in group " + std::to_string(id_) + " (create it with .group = id(), or add() it)");
}

NSNET_DECL void LinkGroup::destroy() noexcept {
    try {
        remove();
    } catch (...) {
        // Destructors never throw; callers who care call remove() themselves.
    }
}

NSNET_DECL NetnsGroup NetnsGroup::create(const std::vector<std::string>& names) {
    for (const auto& n : names) detail::validate_netns_name(n, "create network namespace");
    detail::prepare_netns_run_dir();
    NetnsGroup g;
    g.owned_ = true;
    std::vector<std::pair<detail::UniqueFd, std::optional<nl::Socket>>> made;
    try {
        detail::run_in_netns(-1, [&] {
            for (const auto& name : names) {
                const std::string path = std::string(netns_run_dir) + "/" + name;
                detail::create_netns_mount_point(path, name);
                g.names_.push_back(name);  // from here on, remove() cleans it up
                detail::unshare_and_mount_netns(path, name);
                made.emplace_back(detail::open_netns_file("/proc/thread-self/ns/net", name), nl::Socket::open(NETLINK_ROUTE));
            }
        });
    } catch (...) {
        g.remove_names();
        throw;
    }
    for (std::size_t i = 0; i < made.size(); ++i)
        g.refs_.push_back(Prepared(std::move(made[i].first), names[i], std::move(*made[i].second)));
    return g;
}

NSNET_DECL NetnsGroup NetnsGroup::adopt(const std::vector<std::string>& names) {
    NetnsGroup g;
    for (const auto& n : names) g.refs_.push_back(NetnsRef::open(n));
    g.names_ = names;
    g.owned_ = true;
    return g;
}

NSNET_DECL NetnsGroup& NetnsGroup::operator=(NetnsGroup&& o) noexcept {
    if (this != &o) {
        destroy();
        names_ = std::move(o.names_);
        refs_ = std::move(o.refs_);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL NetnsGroup::~NetnsGroup() { destroy(); }

NSNET_DECL void NetnsGroup::remove() {
    if (!owned_) return;
    owned_ = false;
    std::vector<NetnsRef> refs = std::move(refs_);
    refs_.clear();
    // refs[i] is names_[i]'s namespace (create and adopt make them in order).
    remove_names(refs.size() == names_.size() ? &refs : nullptr);
}

NSNET_DECL NetnsGroup::Prepared::Prepared(detail::UniqueFd fd, std::string name, nl::Socket rtnl) : NetnsRef(std::move(fd), std::move(name)) {
    auto& cache = ctx_->rtnl_cache();
    std::lock_guard lock(cache.mutex);
    cache.set(std::move(rtnl));
}

NSNET_DECL void NetnsGroup::remove_names(const std::vector<NetnsRef>* mine) {
    std::vector<std::string> names = std::move(names_);
    names_.clear();
    if (names.empty()) return;
    std::atomic<std::size_t> next{0};
    std::mutex m;
    std::exception_ptr first_error;
    auto work = [&] {
        for (std::size_t i; (i = next++) < names.size();) {
            const std::string path = std::string(netns_run_dir) + "/" + names[i];
            try {
                if (mine && !detail::netns_name_holds(names[i], (*mine)[i].fd())) continue;  // gone already
                if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
                    throw_errno("delete network namespace", names[i]);
                if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("delete network namespace", names[i]);
            } catch (...) {
                std::lock_guard lock(m);
                if (!first_error) first_error = std::current_exception();
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(8, names.size());
    std::vector<std::thread> pool;
    try {
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    } catch (...) {
        // No more threads: the calling thread does the rest.
    }
    work();
    for (auto& t : pool) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

NSNET_DECL void NetnsGroup::destroy() noexcept {
    try {
        remove();
    } catch (...) {
        // Destructors never throw; callers who care call remove() themselves.
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
