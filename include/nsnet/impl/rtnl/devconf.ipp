// nsnet/impl/rtnl/devconf.ipp — the function bodies of <nsnet/rtnl/devconf.hpp>.
//
// Included at the end of nsnet/rtnl/devconf.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::rtnl {

NSNET_LAZY_DEFINITION NSNET_DECL nl::MessageBuilder link_set_ipv4_devconf(int index, std::span<const Ipv4Devconf> values) {
    nl::MessageBuilder m(RTM_NEWLINK, 0);
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    m.put_header(ifi);
    {
        auto spec = m.nest(IFLA_AF_SPEC, false);
        auto inet = m.nest(AF_INET, false);
        auto conf = m.nest(IFLA_INET_CONF, true);
        for (const auto& v : values) m.put_u32(static_cast<std::uint16_t>(v.key), v.value);
    }
    return m;
}

}  // namespace nsnet::rtnl
