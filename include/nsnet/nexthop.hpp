// nsnet/nexthop.hpp — nexthop objects of a namespace (`ip nexthop`): add, replace, delete, list.
//
// Layer: typed objects. A nexthop object is a gateway + device (or a blackhole, or a weighted group
// of other nexthops) with an id; routes refer to it by id (`ip route add PREFIX nhid ID`), so
// changing the nexthop changes every route that uses it in one operation.
//
//   nsnet::add_nexthop(ns, {.id = 1, .via = "10.10.10.254", .dev = "veth-n1"});
//   nsnet::add_nexthop(ns, {.id = 10, .group = {{1}, {2, 3}}});      // ip nexthop add id 10 group 1/2,3
//
// Nexthop objects exist since Linux 5.3; nexthops_supported(ns) says whether this kernel has them
// (callers and tests SKIP otherwise). Device names are resolved in the target namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/nexthop.hpp"

namespace nsnet {

using Nexthop = rtnl::Nexthop;
using NexthopGroupMember = rtnl::NexthopGroupMember;

// What `ip nexthop add id N ...` takes. Exactly one of: via/dev, blackhole, group.
struct NexthopOptions {
    std::uint32_t id = 0;                        // 0: the kernel assigns one (returned by add_nexthop)
    std::string via{};                           // gateway address
    std::string dev{};                           // device name in the namespace
    bool blackhole = false;
    bool onlink = false;                         // gateway need not be on a connected subnet
    std::vector<NexthopGroupMember> group{};     // {{id, weight}, ...}: `group 1/2,3` = {{1}, {2, 3}}
    bool resilient = false;                      // `type resilient` group (Linux 5.13+)
    bool fdb = false;                            // for bridge/vxlan FDB entries
    std::optional<Family> family{};              // dev-only/blackhole nexthops: IPv4 unless set
};

namespace detail {

NSNET_DECL Nexthop to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation);

NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const Nexthop& n, bool replace);

}  // namespace detail

// True when the kernel has nexthop objects (Linux 5.3+): a dump is answered rather than refused.
NSNET_DECL bool nexthops_supported(const NetnsRef& ns);

// ip nexthop add id N via GW dev DEV | dev DEV | blackhole | group ... ; returns the id (the
// kernel's choice when id was 0). An existing id is Error(EEXIST).
NSNET_DECL std::uint32_t add_nexthop(const NetnsRef& ns, const NexthopOptions& options);
// ip nexthop replace ...: every route using the id follows the new definition.
NSNET_DECL std::uint32_t replace_nexthop(const NetnsRef& ns, const NexthopOptions& options);
// ip nexthop del id N (routes using it are deleted by the kernel). None is Error(ENOENT).
NSNET_DECL void delete_nexthop(const NetnsRef& ns, std::uint32_t id);
// ip nexthop show
NSNET_DECL std::vector<Nexthop> list_nexthops(const NetnsRef& ns);
// ip nexthop get id N; nullopt when there is none.
NSNET_DECL std::optional<Nexthop> get_nexthop(const NetnsRef& ns, std::uint32_t id);

// A nexthop nsnet added; deleted on destruction unless persist()ed. Move-only.
class OwnedNexthop {
public:
    OwnedNexthop() = default;
    static OwnedNexthop add(const NetnsRef& ns, const NexthopOptions& options);
    OwnedNexthop(OwnedNexthop&& o) noexcept
        : ns_(std::move(o.ns_)), id_(std::exchange(o.id_, 0)), owned_(std::exchange(o.owned_, false)) {}
    OwnedNexthop& operator=(OwnedNexthop&& o) noexcept;
    OwnedNexthop(const OwnedNexthop&) = delete;
    OwnedNexthop& operator=(const OwnedNexthop&) = delete;
    ~OwnedNexthop();

    std::uint32_t id() const noexcept { return id_; }
    const NetnsRef& netns() const noexcept { return ns_; }
    bool owned() const noexcept { return owned_; }
    void persist() noexcept { owned_ = false; }
    // ip nexthop del id N now; one already gone counts as deleted.
    void remove();

private:
    void destroy() noexcept;
    NetnsRef ns_{};
    std::uint32_t id_ = 0;
    detail::ProcessOwned owned_{};  // true only in the process that made it (not in a fork child)
};

#if NSNET_DEFINITIONS

namespace detail {

NSNET_DECL Nexthop to_nexthop(const NetnsRef& ns, const NexthopOptions& o, const char* operation) {
    Nexthop n{};
    n.id = o.id;
    n.blackhole = o.blackhole;
    n.onlink = o.onlink;
    n.fdb = o.fdb;
    n.group = o.group;
    if (o.resilient) n.group_type = rtnl::NexthopGroupType::Resilient;
    if (o.family) n.family = *o.family;
    if (!o.via.empty()) {
        auto gw = IpAddress::try_parse(o.via);
        if (!gw) invalid_argument(operation, "id " + std::to_string(o.id), "via '" + o.via + "' is not an IP address");
        if (o.family && *o.family != gw->family())
            invalid_argument(operation, "id " + std::to_string(o.id), "via " + o.via + " does not match the family given");
        n.gateway = *gw;
        n.family = gw->family();
    }
    if (!o.dev.empty()) {
        validate_interface_name(o.dev, operation);
        n.oif = Link::get(ns, o.dev).index();
    }
    return n;
}

NSNET_DECL std::uint32_t nexthop_request(const NetnsRef& ns, const Nexthop& n, bool replace) {
    const char* op = replace ? "replace nexthop" : "add nexthop";
    auto msg = rtnl::nexthop_new(n, replace);
    if (n.id == 0) msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_ECHO));
    std::uint32_t id = n.id;
    ns.with_rtnl([&](nl::Socket& s) {
        nl::request(s, msg, op, rtnl::describe(n), [&](const nl::MessageView& m) {
            if (auto got = rtnl::decode_nexthop(m)) id = got->id;
        });
    });
    return id;
}

}  // namespace detail

NSNET_DECL bool nexthops_supported(const NetnsRef& ns) {
    try {
        ns.with_rtnl([](nl::Socket& s) {
            auto m = rtnl::nexthop_dump();
            nl::dump(s, m, "list nexthops", [](const nl::MessageView&) {});
        });
        return true;
    } catch (const Error& e) {
        if (e.errnum() == EOPNOTSUPP || e.errnum() == EINVAL || e.errnum() == EPROTONOSUPPORT) return false;
        throw;
    }
}

NSNET_DECL std::uint32_t add_nexthop(const NetnsRef& ns, const NexthopOptions& options) {
    return detail::nexthop_request(ns, detail::to_nexthop(ns, options, "add nexthop"), false);
}

NSNET_DECL std::uint32_t replace_nexthop(const NetnsRef& ns, const NexthopOptions& options) {
    return detail::nexthop_request(ns, detail::to_nexthop(ns, options, "replace nexthop"), true);
}

NSNET_DECL void delete_nexthop(const NetnsRef& ns, std::uint32_t id) {
    auto msg = rtnl::nexthop_del(id);
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "delete nexthop", "id " + std::to_string(id)); });
}

NSNET_DECL std::vector<Nexthop> list_nexthops(const NetnsRef& ns) {
    return ns.with_rtnl([](nl::Socket& s) {
        auto m = rtnl::nexthop_dump();
        return nl::dump_collect(s, m, "list nexthops", rtnl::decode_nexthop);
    });
}

NSNET_DECL std::optional<Nexthop> get_nexthop(const NetnsRef& ns, std::uint32_t id) {
    std::optional<Nexthop> found{};
    auto msg = rtnl::nexthop_get(id);
    try {
        ns.with_rtnl([&](nl::Socket& s) {
            nl::request(s, msg, "get nexthop", "id " + std::to_string(id), [&](const nl::MessageView& m) {
                if (auto n = rtnl::decode_nexthop(m)) found = std::move(n);
            });
        });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT) throw;
    }
    return found;
}

NSNET_DECL OwnedNexthop OwnedNexthop::add(const NetnsRef& ns, const NexthopOptions& options) {
    OwnedNexthop n;
    n.id_ = add_nexthop(ns, options);
    n.ns_ = ns;
    n.owned_ = true;
    return n;
}

NSNET_DECL OwnedNexthop& OwnedNexthop::operator=(OwnedNexthop&& o) noexcept {
    if (this != &o) {
        destroy();
        ns_ = std::move(o.ns_);
        id_ = std::exchange(o.id_, 0);
        owned_ = std::exchange(o.owned_, false);
    }
    return *this;
}

NSNET_DECL OwnedNexthop::~OwnedNexthop() {
    destroy();
}

NSNET_DECL void OwnedNexthop::remove() {
    if (!owned_) return;
    owned_ = false;
    try {
        delete_nexthop(ns_, id_);
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_DECL void OwnedNexthop::destroy() noexcept {
    try {
        remove();
    } catch (...) {
    }
}

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
