// nsnet/link_kind.hpp — what creating any kind of link shares: send the RTM_NEWLINK, find the new
// link, explain a refusal.
//
// Layer: typed objects (used by bridge.hpp, macvlan.hpp, ipvlan.hpp, vlan.hpp). A created link is
// looked up by name in the namespace it was placed in; if that fails the link is deleted again
// rather than leaked. A kernel without the kind answers EOPNOTSUPP ("Unknown device type");
// is_unknown_link_kind() recognises that answer so tests and labs can skip with the reason.
#pragma once

#include <cerrno>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/function_ref.hpp"
#include "nsnet/error.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nl/transact.hpp"

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

}  // namespace detail

#endif  // NSNET_DEFINITIONS

}  // namespace nsnet
