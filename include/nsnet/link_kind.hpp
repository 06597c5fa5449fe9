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
NSNET_LAZY NSNET_DECL bool is_unknown_link_kind(const Error& e) noexcept;

namespace detail {

// ENODEV from a create that names a parent link: the handle points at a link that is gone.
NSNET_LAZY NSNET_DECL std::string parent_gone(const Error& e, const Link& parent);

// Sends a create request through `from`'s rtnetlink socket and returns the new link, found by name
// in `placed_in`. `explain(e)` may return a sentence that is added to a refusal's message.
NSNET_LAZY NSNET_DECL Link create_link(const NetnsRef& from, nl::MessageBuilder& msg, const std::string& operation,
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
NSNET_LAZY NSNET_DECL StackedCreate stacked_create(const NetnsRef& ns, const Link& parent, rtnl::LinkCreate c,
                                        const std::string& options_type, const std::string& operation);

// What a link is, in words: "a veth", "a macvtap", "a device without a kind (physical or loopback)".
NSNET_LAZY NSNET_DECL std::string kind_phrase(const LinkInfo& info);

// A kind as the look-ups check it: its name in messages ("bridge") and the test on a LinkInfo.
struct LinkKind {
    const char* name;
    bool (*is)(const LinkInfo&);
};

// The link's current state, checked to be of `kind`; else InvalidArgument of `operation` naming
// the link and its real kind ("link 'eth0' is a veth, not a bridge").
NSNET_LAZY NSNET_DECL LinkInfo require_kind(const Link& link, const LinkKind& kind, const std::string& operation);
// Link::get + require_kind (Error(ENODEV) naming the link when there is none).
NSNET_LAZY NSNET_DECL Link get_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind);
// Link::find + require_kind: nullopt only when there is no link of that name.
NSNET_LAZY NSNET_DECL std::optional<Link> find_kind(const NetnsRef& ns, std::string_view name, const LinkKind& kind);

// The namespace `from` knows as `nsid` (IFLA_LINK_NETNSID of one of its links): the caller's
// namespace or a named one (/run/netns), the places a parent can be found again; nullopt otherwise.
NSNET_LAZY NSNET_DECL std::optional<NetnsRef> netns_of_nsid(const NetnsRef& from, std::int32_t nsid);

// The parent (lower device) of a stacked link, from what the kernel reports: IFLA_LINK, in the
// link's own namespace or, with IFLA_LINK_NETNSID, in the namespace that id names. An empty Link
// when there is none, or when its namespace is neither the caller's nor a named one.
NSNET_LAZY NSNET_DECL Link parent_of(const Link& link, const LinkInfo& info);

}  // namespace detail

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/link_kind.ipp"
#endif
