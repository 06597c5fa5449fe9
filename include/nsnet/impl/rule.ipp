// nsnet/impl/rule.ipp — the function bodies of <nsnet/rule.hpp>.
//
// Included at the end of nsnet/rule.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

namespace detail {

// Unset or "all": any address (nullopt).
NSNET_LAZY inline std::optional<Prefix> rule_prefix(const PrefixArg& arg, const char* field, const char* operation) {
    if (arg.empty() || arg.text() == "all") return std::nullopt;
    return arg.resolve(field, operation, arg.to_string());
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL RuleInfo to_rule(const NetnsRef& ns, const RuleOptions& o, const char* operation) {
    RuleInfo r{};
    r.from = detail::rule_prefix(o.from, "RuleOptions.from", operation);
    r.to = detail::rule_prefix(o.to, "RuleOptions.to", operation);
    if (r.from && r.to && r.from->family() != r.to->family())
        invalid_argument(operation, o.from.to_string() + " -> " + o.to.to_string(),
                         "RuleOptions.from " + o.from.to_string() + " and RuleOptions.to " + o.to.to_string() +
                             " are of different families");
    Family addr_family = r.from ? r.from->family() : r.to ? r.to->family() : o.family.value_or(Family::V4);
    if (o.family && *o.family != addr_family) {
        const std::string given = r.from ? o.from.to_string() : o.to.to_string();
        invalid_argument(operation, given,
                         std::string("RuleOptions.family ") + (*o.family == Family::V4 ? "IPv4" : "IPv6") +
                             " does not match the rule's address '" + given + "'");
    }
    r.family = addr_family;
    r.iif = o.iif.name_in(ns, "RuleOptions.iif", operation, o.iif.to_string());
    r.oif = o.oif.name_in(ns, "RuleOptions.oif", operation, o.oif.to_string());
    r.fwmark = o.fwmark;
    r.fwmask = o.fwmask;
    r.priority = o.priority;
    r.tos = o.tos;
    r.ipproto = o.ipproto;
    r.sport = o.sport;
    r.dport = o.dport;
    r.action = o.action;
    r.table = o.table;
    r.goto_target = o.goto_target;
    r.suppress_prefixlen = o.suppress_prefixlen;
    r.invert = o.invert;
    return r;
}

NSNET_LAZY_DEFINITION NSNET_DECL void RuleRef::remove() const {
    auto msg = rtnl::rule_del(rule_);
    try {
        ns_.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "remove rule", rtnl::describe(rule_)); });
    } catch (const Error& e) {
        if (e.errnum() != ENOENT && e.errnum() != ENODEV) throw;
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL Rule Rule::create_typed(const NetnsRef& ns, const RuleInfo& rule) {
    auto msg = rtnl::rule_new(rule);
    ns.with_rtnl([&](nl::Socket& s) { nl::request(s, msg, "create rule", rtnl::describe(rule)); });
    return Rule(RuleRef(ns, rule));
}

NSNET_LAZY_DEFINITION NSNET_DECL Rule Rule::create(const NetnsRef& ns, const RuleOptions& options) {
    return create_typed(ns, to_rule(ns, options, "create rule"));
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<RuleInfo> Rule::list(const NetnsRef& ns, const RuleFilter& filter) {
    auto rules = ns.with_rtnl([&](nl::Socket& s) {
        auto m = rtnl::rule_dump(filter.family ? static_cast<unsigned char>(*filter.family) : AF_UNSPEC);
        return nl::dump_collect(s, m, "list rules", rtnl::decode_rule);
    });
    std::erase_if(rules, [&](const RuleInfo& r) {
        return (filter.family && r.family != *filter.family) || (filter.priority && r.priority != filter.priority) ||
               (filter.table && r.table != *filter.table);
    });
    return rules;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<RuleInfo> Rule::find(const NetnsRef& ns, std::uint32_t priority, Family family) {
    auto rules = list(ns, {.family = family, .priority = priority, .table = {}});
    if (rules.empty()) return std::nullopt;
    return std::move(rules.front());
}

NSNET_LAZY_DEFINITION NSNET_DECL RuleInfo Rule::get(const NetnsRef& ns, std::uint32_t priority, Family family) {
    auto r = find(ns, priority, family);
    if (!r)
        throw Error(ENOENT, "get rule", "priority " + std::to_string(priority), {},
                    std::string("no ") + (family == Family::V4 ? "IPv4" : "IPv6") + " rule with priority " +
                        std::to_string(priority) + " in namespace " + ns.display_name());
    return std::move(*r);
}

NSNET_LAZY_DEFINITION NSNET_DECL void Rule::remove(const NetnsRef& ns, const RuleOptions& match) {
    RuleRef(ns, to_rule(ns, match, "remove rule")).remove();
}

}  // namespace nsnet
