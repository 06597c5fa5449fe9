// nsnet/request_batch.hpp — RequestBatch: many rtnetlink requests for one namespace, pipelined.
//
// Layer: typed objects, over nl::Batch.
//
//   nsnet::RequestBatch b(ns);                          // every request goes to one namespace
//   for (auto& r : routes) b.create_route(r);           // nothing is sent yet
//   b.run_or_throw();                                   // N kernel operations, ~N/512 sendmsg calls
//
//   nsnet::apply_routes(ns, routes);                    // the same for a span of RouteSpec
//
// Why: the kernel does the work of a request in a few microseconds, a round trip per request costs
// as much again; a batch pays the round trip once per window of up to 512 requests.
//
// What it does not do: transactions (see transaction.hpp). A batch is not atomic (rtnetlink has no
// rollback): requests before and after a refused one are applied, and run() reports each refusal
// against its request. Removing many links at once: link_group.hpp; many namespaces: netns_group.hpp.
#pragma once

#include <net/if.h>
#include <linux/if.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/veth.hpp"

namespace nsnet {

// A route request with addresses parsed and devices resolved to ifindexes: what a batch sends
// without any per-route lookup (RouteOptions, the text form, is resolved first).
using RouteSpec = rtnl::RouteSpec;
using RouteWrite = rtnl::RouteWrite;  // add (fails if it exists), replace, or append

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
    std::size_t index = 0;  // position in the batch (the order of the calls that queued the requests)
    Error error;            // names the request ("add route '10.0.0.7/32 via 192.0.2.2'") and the kernel's reason
};

// Settings of a veth created in a batch that `ip link add` takes on the same line.
struct VethBatchOptions {
    bool up = false;                  // ip link add ... up (the first end)
    std::optional<Link> master{};     // ip link add ... master BRIDGE (the first end; same namespace)
};

namespace detail {

NSNET_LAZY NSNET_DECL nl::Batch::AckMode ack_mode(BatchAcks a) noexcept;

// "10.0.0.7/32 via 192.0.2.2 dev #3", the way errors name a route given as a RouteSpec.
NSNET_LAZY NSNET_DECL std::string describe_route(const RouteSpec& r);

// Throws the first of `failures` with a note on how many there were in all.
[[noreturn]] NSNET_DECL void throw_batch_failure(std::vector<BatchFailure>& failures, std::size_t total);

}  // namespace detail

// Requests for one namespace, sent together (pipelined) by run(). Add operations in the order they
// must happen: the kernel applies them in that order, so a link created early in a batch can be
// configured by name later in the same batch.
class RequestBatch {
public:
    // An empty batch for `netns` (an empty NetnsRef is InvalidArgument).
    explicit RequestBatch(NetnsRef netns);

    const NetnsRef& netns() const noexcept { return ns_; }  // where every request goes
    std::size_t size() const noexcept { return batch_.size(); }  // requests queued
    bool empty() const noexcept { return batch_.empty(); }       // no request queued
    NSNET_LAZY void clear() noexcept;  // forgets every queued request
    // Room for `requests` requests of about `bytes_each` bytes (a route is ~52).
    NSNET_LAZY void reserve(std::size_t requests, std::size_t bytes_each = 64) { batch_.reserve(requests, requests * bytes_each); }

    // Any rtnetlink request built with nsnet/rtnl/*.hpp; operation and object name it in errors.
    NSNET_LAZY RequestBatch& add(const nl::MessageBuilder& msg, std::string operation, std::string object);

    // ip route add|replace|append ..., from a resolved RouteSpec (no lookup, no parsing).
    NSNET_LAZY RequestBatch& create_route(const RouteSpec& route, RouteWrite mode = RouteWrite::Add);
    // ip route del ...: the kernel deletes the first route matching every field that is set.
    NSNET_LAZY RequestBatch& remove_route(const RouteSpec& route);
    // The same from text options, checked and resolved now (before anything is sent). A device
    // given by name is looked up on every call: for many routes pass a Link or an ifindex.
    NSNET_LAZY RequestBatch& create_route(const RouteOptions& options) { return add_resolved(options, "add route", RouteWrite::Add); }
    // ip route replace, from text options (as create_route).
    NSNET_LAZY RequestBatch& replace_route(const RouteOptions& options) { return add_resolved(options, "replace route", RouteWrite::Replace); }
    // ip route del, from text options (as create_route).
    NSNET_LAZY RequestBatch& remove_route(const RouteOptions& options);

    // ip addr add PREFIX [brd +] [peer P] [scope S] [label L] dev LINK; PREFIX as text
    // ("10.0.0.1/24") or a Prefix (bad text: an InvalidArgument naming it, nothing queued).
    NSNET_LAZY RequestBatch& add_address(const Link& link, const PrefixArg& prefix, const AddressOptions& o = {});
    // ip addr del PREFIX dev LINK (text or a Prefix, as add_address)
    NSNET_LAZY RequestBatch& remove_address(const Link& link, const PrefixArg& prefix);

    // ip link add FIRST [group G] [master M] [up] type veth peer name SECOND [netns B] [group G].
    // FIRST is created in the batch's namespace: first.netns, if set, must be it; empty means the
    // same as the batch's. SECOND goes to second.netns; empty: the batch's namespace too.
    NSNET_LAZY RequestBatch& create_veth(const VethEnd& first, const VethEnd& second, const VethBatchOptions& o = {});

    // ip link set NAME up|down. By name, so the link may be created earlier in the same batch.
    NSNET_LAZY RequestBatch& set_up(std::string_view name, bool up = true);
    NSNET_LAZY RequestBatch& set_up(const Link& link, bool up = true);
    // ip link set NAME master BRIDGE (by name, as set_up).
    NSNET_LAZY RequestBatch& set_master(std::string_view name, const Link& master);
    // ip link del NAME (one RCU grace period each: prefer a LinkGroup or the namespace's deletion
    // for many links).
    NSNET_LAZY RequestBatch& remove_link(std::string_view name);
    NSNET_LAZY RequestBatch& remove_link(const Link& link);

    // Sends everything (in windows of up to 512 requests, one sendmsg each) and returns the refusals,
    // in order; empty when every request was applied. Throws only if the socket fails.
    NSNET_LAZY std::vector<BatchFailure> run(BatchAcks acks = BatchAcks::ErrorsOnly);
    // run(), then throws the first refusal (its message counts the others).
    NSNET_LAZY void run_or_throw(BatchAcks acks = BatchAcks::ErrorsOnly);

private:
    NSNET_LAZY RequestBatch& add_resolved(const RouteOptions& options, const char* operation, RouteWrite mode);
    NSNET_LAZY void check_here(const Link& link, const char* operation) const;

    NetnsRef ns_;
    nl::Batch batch_;
    std::vector<NetnsRef> keep_;  // namespaces whose fds the queued requests carry
};

// ip -batch of `route add|replace|append` lines, pipelined: every route is sent even if some are
// refused, then the first refusal is thrown (its message counts the others). Routes are not
// resolved or parsed: a RouteSpec holds addresses and ifindexes. Requests are encoded into one
// window (up to 512) at a time, sent, and the window's buffer reused (nl::BatchStream).
NSNET_LAZY NSNET_DECL void apply_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, RouteWrite mode = RouteWrite::Add,
                             BatchAcks acks = BatchAcks::ErrorsOnly);
// ip -batch of `route del` lines, pipelined (see apply_routes).
NSNET_LAZY NSNET_DECL void remove_routes(const NetnsRef& ns, std::span<const RouteSpec> routes, BatchAcks acks = BatchAcks::ErrorsOnly);

// route(i) makes route i of a stream of routes built one at a time (called once per index, in order).
using RouteSource = detail::FunctionRef<RouteSpec(std::size_t index)>;

// apply_routes() of the routes route(0) ... route(count - 1), built as they are sent: nothing holds
// them all, so memory stays at one window however large count is (a million routes need no
// vector of a million RouteSpecs). If route(i) throws, the routes of the windows already sent stay
// applied and the exception propagates.
//
//   nsnet::apply_routes(ns, 10000, [&](std::size_t i) {
//       return nsnet::RouteSpec{.dst = nsnet::Prefix(base + i, 32), .gateway = gw, .oif = oif};
//   });
NSNET_LAZY NSNET_DECL void apply_routes(const NetnsRef& ns, std::size_t count, RouteSource route, RouteWrite mode = RouteWrite::Add,
                             BatchAcks acks = BatchAcks::ErrorsOnly);
// remove_routes() of route(0) ... route(count - 1), built as they are sent (see above).
NSNET_LAZY NSNET_DECL void remove_routes(const NetnsRef& ns, std::size_t count, RouteSource route, BatchAcks acks = BatchAcks::ErrorsOnly);

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/request_batch.ipp"
#endif
