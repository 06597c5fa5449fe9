// nsnet/link_kind.hpp — what every kind of link (Bridge, Macvlan, Vlan, Ipvlan, Vxlan, Tun) shares:
// send the RTM_NEWLINK, find the new link, explain a refusal, look a link of a kind up, find a
// stacked link's parent.
//
// Layer: typed objects. A created link is looked up by name in the namespace it was placed in; if
// that fails the link is deleted again rather than leaked. A kernel without the kind answers
// EOPNOTSUPP ("Unknown device type"); is_unknown_link_kind() recognises that answer so tests and
// labs can skip with the reason.
//
// Every kind X follows one convention (DEVELOPERS.md, "The object convention"):
//   X::create(ns, options)  makes the link in `ns` (an empty NetnsRef is an InvalidArgument;
//                           NetnsRef::current() is the caller's namespace) and returns its owner.
//   X::get(ns, name)        a plain Link handle, checked to be an X; Error(ENODEV) naming the
//                           link when there is none, InvalidArgument naming its real kind when it
//                           is something else. Look-ups never own: nothing is deleted for them.
//   X::find(ns, name)       the same, but nullopt when there is no link of that name.
//   X::adopt(ns, name), X::adopt(link)  take ownership of an existing X (checked the same way):
//                           the returned owner deletes it unless persist()ed. A stacked link's
//                           parent() is read from the kernel (IFLA_LINK, IFLA_LINK_NETNSID).
//   Link::remove(ns, name)  deletes any link by name, as a later process would (no X::remove).
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/error.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"
#include "nsnet/rtnl/link_kind.hpp"
#include "nsnet/rtnl/tun.hpp"

namespace nsnet {

// True when the kernel refused a link because it does not know its kind (the module is missing or
// not built): EOPNOTSUPP, with "Unknown device type" as the extended-ack text on kernels that send one.
NSNET_DECL bool is_unknown_link_kind(const Error& e) noexcept;

namespace detail {

// ENODEV from a create that names a parent link: the handle points at a link that is gone.
NSNET_DECL std::string parent_gone(const Error& e, const Link& parent);

// Adds `detail` to an Error, keeping everything else (errno, operation, object, kernel text).
NSNET_DECL Error with_detail(const Error& e, const std::string& detail);

// Sends a create request through `from`'s rtnetlink socket and returns the new link, found by name
// in `placed_in`. `explain(e)` may return a sentence that is added to a refusal's message.
NSNET_DECL Link create_link(const NetnsRef& from, nl::MessageBuilder& msg, const std::string& operation,
                            const std::string& name, const NetnsRef& placed_in,
                            detail::FunctionRef<std::string(const Error&)> explain = {});

// What the kinds stacked on a parent (macvlan, ipvlan, vlan) check and send alike: the parent is
// a valid link (in its own namespace, which may differ from `ns`), `ns` is a namespace, an mtu is
// at most the parent's. Errors name the field ("MacvlanOptions.parent"). The request goes to the
// parent's namespace; when `ns` is another, IFLA_NET_NS_FD places the new link there at once.
struct StackedCreate {
    rtnl::LinkCreate link{};
    NetnsRef home{};  // the parent's namespace: where the request is sent
};
NSNET_DECL StackedCreate stacked_create(const NetnsRef& ns, const Link& parent, rtnl::LinkCreate c,
                                        const std::string& options_type, const std::string& operation);

// InvalidArgument of `operation` on `object` when `ns` is an empty NetnsRef.
NSNET_DECL void require_netns(const NetnsRef& ns, const std::string& operation, const std::string& object);

// What a link is, in words: "a veth", "a macvtap", "a device without a kind (physical or loopback)".
NSNET_DECL std::string kind_phrase(const LinkInfo& info);

// A kind as the look-ups check it: its name in messages ("bridge") and the test on a LinkInfo.
struct LinkKind {
    const char* name;
    bool (*is)(const LinkInfo&);
};

// The link's current state, checked to be of `kind`; else InvalidArgument of `operation` naming
// the link and its real kind ("link 'eth0' is a veth, not a bridge").
NSNET_DECL LinkInfo require_kind(const Link& link, const LinkKind& kind, const std::string& operation);
// Link::get + require_kind (Error(ENODEV) naming the link when there is none).
NSNET_DECL Link get_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind);
// Link::find + require_kind: nullopt only when there is no link of that name.
NSNET_DECL std::optional<Link> find_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind);

// The namespace `from` knows as `nsid` (IFLA_LINK_NETNSID of one of its links): the caller's
// namespace or a named one (/run/netns), the places a parent can be found again; nullopt otherwise.
NSNET_DECL std::optional<NetnsRef> netns_of_nsid(const NetnsRef& from, std::int32_t nsid);

// The parent (lower device) of a stacked link, from what the kernel reports: IFLA_LINK, in the
// link's own namespace or, with IFLA_LINK_NETNSID, in the namespace that id names. An empty Link
// when there is none, or when its namespace is neither the caller's nor a named one.
NSNET_DECL Link parent_of(const Link& link, const LinkInfo& info);

}  // namespace detail

#if NSNET_DEFINITIONS

NSNET_DECL bool is_unknown_link_kind(const Error& e) noexcept {
    if (e.errnum() != EOPNOTSUPP) return false;
    return e.kernel_message().empty() || e.kernel_message().find("Unknown device type") != std::string::npos;
}

namespace detail {

NSNET_DECL std::string parent_gone(const Error& e, const Link& parent) {
    if (e.errnum() != ENODEV) return {};
    return "parent '" + parent.name() + "' (ifindex " + std::to_string(parent.index()) + ") does not exist in namespace " +
           parent.netns().display_name();
}

NSNET_DECL Error with_detail(const Error& e, const std::string& detail) {
    std::string d = e.detail().empty() ? detail : e.detail() + "; " + detail;
    Error out(e.errnum(), e.operation(), e.object(), e.kernel_message(), d);
    if (e.bad_attribute_offset() >= 0) out.set_bad_attribute_offset(e.bad_attribute_offset());
    out.set_outcome_unknown(e.outcome_unknown());
    return out;
}

NSNET_DECL Link create_link(const NetnsRef& from, nl::MessageBuilder& msg, const std::string& operation,
                            const std::string& name, const NetnsRef& placed_in,
                            detail::FunctionRef<std::string(const Error&)> explain) {
    try {
        from.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, operation, name); });
    } catch (const Error& e) {
        // The kernel may have created the link before its answer was lost: do not leak it.
        if (e.outcome_unknown()) throw clean_up_unknown_create(e, placed_in, name, requested_kind(msg));
        std::string why = explain ? explain(e) : std::string();
        if (why.empty()) throw;
        throw with_detail(e, why);
    }
    try {
        return Link::get(placed_in, name);
    } catch (...) {
        // The link exists but cannot be looked up (renamed at once by a udev rule?): do not leak it.
        try {
            if (auto l = Link::find(placed_in, name)) l->remove();
        } catch (...) {
        }
        throw;
    }
}

NSNET_DECL StackedCreate stacked_create(const NetnsRef& ns, const Link& parent, rtnl::LinkCreate c,
                                        const std::string& options_type, const std::string& operation) {
    if (!parent.valid())
        invalid_argument(operation, c.name,
                         options_type + ".parent: " +
                             (parent.name().empty() ? std::string("not given (the link to stack on, in its own namespace)")
                                                    : "'" + parent.name() + "' is an empty or removed link handle"));
    require_netns(ns, operation, c.name);
    if (c.mtu) {
        LinkInfo p = parent.info();
        if (*c.mtu > p.mtu)
            invalid_argument(operation, c.name,
                             options_type + ".mtu: " + std::to_string(*c.mtu) + " exceeds the mtu of parent '" + p.name +
                                 "' (" + std::to_string(p.mtu) + ")");
    }
    c.parent = parent.index();
    if (!(ns == parent.netns())) c.netns_fd = ns.fd();
    return StackedCreate{.link = std::move(c), .home = parent.netns()};
}

NSNET_DECL void require_netns(const NetnsRef& ns, const std::string& operation, const std::string& object) {
    if (!ns.valid())
        invalid_argument(operation, object,
                         "no namespace given (an empty NetnsRef; NetnsRef::current() is the caller's namespace)");
}

NSNET_DECL std::string kind_phrase(const LinkInfo& info) {
    if (info.kind.empty()) return "a device without a kind (physical or loopback)";
    if (auto t = rtnl::decode_tun(info)) return t->mode == rtnl::TunMode::Tap ? "a tap" : "a tun";
    const char first = info.kind.front();
    const bool vowel = first == 'a' || first == 'e' || first == 'i' || first == 'o' || first == 'u';
    return std::string(vowel ? "an " : "a ") + info.kind;
}

NSNET_DECL LinkInfo require_kind(const Link& link, const LinkKind& kind, const std::string& operation) {
    LinkInfo info = link.info();
    if (!kind.is(info))
        invalid_argument(operation, link.name(),
                         "link '" + link.name() + "' in namespace " + link.netns().display_name() + " is " +
                             kind_phrase(info) + ", not a" + (kind.name[0] == 'i' ? "n " : " ") + kind.name);
    return info;
}

NSNET_DECL Link get_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind) {
    const std::string op = std::string("find ") + kind.name;
    require_netns(ns, op, std::string(name));
    Link l = Link::get(ns, name);
    (void)require_kind(l, kind, op);
    return l;
}

NSNET_DECL std::optional<Link> find_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind) {
    const std::string op = std::string("find ") + kind.name;
    require_netns(ns, op, std::string(name));
    auto l = Link::find(ns, name);
    if (l) (void)require_kind(*l, kind, op);
    return l;
}

NSNET_DECL std::optional<NetnsRef> netns_of_nsid(const NetnsRef& from, std::int32_t nsid) {
    auto id_of = [&](const NetnsRef& candidate) -> std::optional<std::int32_t> {
        std::optional<std::int32_t> id{};
        try {
            auto msg = rtnl::nsid_get(candidate.fd());
            from.with_rtnl([&](nl::Socket& s) {
                nl::request(s, msg, "get namespace id", candidate.display_name(), [&](const nl::MessageView& m) {
                    if (auto i = rtnl::decode_nsid(m)) id = i;
                });
            });
        } catch (const Error&) {
        }
        return id;
    };
    NetnsRef current = NetnsRef::current();
    if (!(current == from) && id_of(current) == nsid) return current;
    for (const std::string& name : Netns::list()) {
        try {
            NetnsRef candidate = NetnsRef::open(name);
            if (!(candidate == from) && id_of(candidate) == nsid) return candidate;
        } catch (const Error&) {
            // deleted meanwhile, or not a namespace: not the one
        }
    }
    return std::nullopt;
}

NSNET_DECL Link parent_of(const Link& link, const LinkInfo& info) {
    if (info.parent <= 0) return {};
    try {
        if (!info.link_netnsid) return Link::get(link.netns(), info.parent);
        if (auto ns = netns_of_nsid(link.netns(), *info.link_netnsid)) return Link::get(*ns, info.parent);
    } catch (const Error& e) {
        if (e.errnum() != ENODEV) throw;  // the parent went meanwhile (its link goes with it)
    }
    return {};
}

}  // namespace detail

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
