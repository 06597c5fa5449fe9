// nsnet/impl/sysctl.ipp — the function bodies of <nsnet/sysctl.hpp>.
//
// Included at the end of nsnet/sysctl.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {
namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL bool sysctl_component_ok(std::string_view c) {
    if (c.empty()) return false;
    for (char ch : c)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return false;
    return true;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string sysctl_path(std::string_view key, const char* operation) {
    std::string k(key);
    if (k.rfind("net.", 0) != 0)
        invalid_argument(operation, k, "sysctl key '" + k + "' is not a net.* key (only those are per network namespace)");
    std::string path = "/proc/sys";
    std::size_t start = 0;
    while (start <= k.size()) {
        std::size_t dot = k.find('.', start);
        std::string_view comp = std::string_view(k).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!sysctl_component_ok(comp))
            invalid_argument(operation, k,
                             "sysctl key '" + k + "' has an empty or invalid component '" + std::string(comp) +
                                 "' (allowed: letters, digits, '_', '-'; use interface_sysctl for interface names)");
        path += '/';
        path += comp;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return path;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string interface_sysctl_path(SysctlFamily family, std::string_view ifname, std::string_view key,
                                             const char* operation) {
    // "all" and "default" are the kernel's own entries beside the interfaces.
    if (ifname != "all" && ifname != "default") validate_interface_name(ifname, operation);
    if (!sysctl_component_ok(key))
        invalid_argument(operation, std::string(key), "sysctl key '" + std::string(key) + "' is not a plain key name");
    return std::string("/proc/sys/net/") + (family == SysctlFamily::V4 ? "ipv4" : "ipv6") + "/conf/" + std::string(ifname) +
           "/" + std::string(key);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string read_proc_file(const NetnsRef& ns, const std::string& path, const std::string& shown) {
    return ns.run_inside([&] {
        int fd = sys_call(Call::open, [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
        if (fd < 0) {
            int err = errno;
            throw Error(err, "read sysctl", shown, {}, "in namespace " + ns.display_name() + ": " + path);
        }
        UniqueFd owned(fd);
        std::string out;
        char buf[512];
        for (;;) {
            ssize_t n = sys_call(Call::other, [&] { return ::read(fd, buf, sizeof buf); });
            if (n < 0) throw_errno("read sysctl", shown);
            if (n == 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t')) out.pop_back();
        return out;
    });
}

NSNET_LAZY_DEFINITION NSNET_DECL void write_proc_file(const NetnsRef& ns, const std::string& path, const std::string& shown, const std::string& value) {
    if (value.find('\n') != std::string::npos || value.find('\0') != std::string::npos)
        invalid_argument("write sysctl", shown, "value '" + value + "' contains a newline or NUL");
    ns.run_inside([&] {
        int fd = sys_call(Call::open, [&] { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); });
        if (fd < 0) {
            int err = errno;
            throw Error(err, "write sysctl", shown, {}, "in namespace " + ns.display_name() + ": " + path);
        }
        UniqueFd owned(fd);
        std::string line = value + "\n";
        ssize_t n = sys_call(Call::other, [&] { return ::write(fd, line.data(), line.size()); });
        if (n < 0) {
            int err = errno;
            throw Error(err, "write sysctl", shown, {}, "value '" + value + "' in namespace " + ns.display_name());
        }
        if (static_cast<std::size_t>(n) != line.size())
            throw Error(EIO, "write sysctl", shown, {}, "short write of value '" + value + "'");
        owned.close();
    });
}

}  // namespace detail
}  // namespace nsnet

namespace nsnet {

NSNET_LAZY_DEFINITION NSNET_DECL std::string sysctl(const NetnsRef& netns, std::string_view key) {
    std::string path = detail::sysctl_path(key, "read sysctl");
    return detail::read_proc_file(netns, path, std::string(key));
}

NSNET_LAZY_DEFINITION NSNET_DECL void set_sysctl(const NetnsRef& netns, std::string_view key, const std::string& value) {
    std::string path = detail::sysctl_path(key, "write sysctl");
    detail::write_proc_file(netns, path, std::string(key), value);
}

namespace detail {
// The interface's name for its /proc/sys/net/*/conf/ directory: a name as given ("all", "default"),
// a Link, an owner or an ifindex looked up in `netns`; errors name the field "interface".
NSNET_LAZY inline std::string sysctl_interface_name(const NetnsRef& netns, const DeviceArg& interface, std::string_view key,
                                         SysctlFamily family, const char* operation) {
    const std::string shown = std::string(family == SysctlFamily::V4 ? "net.ipv4.conf." : "net.ipv6.conf.") +
                              (interface.empty() ? std::string("''") : interface.to_string()) + "." + std::string(key);
    if (interface.empty()) invalid_argument(operation, shown, "interface is not set");
    // The key first: a bad key is refused before a Link or an ifindex is looked up.
    if (!sysctl_component_ok(key))
        invalid_argument(operation, std::string(key), "sysctl key '" + std::string(key) + "' is not a plain key name");
    return interface.name_in(netns, "interface", operation, shown);
}
}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL std::string interface_sysctl(const NetnsRef& netns, const DeviceArg& interface, std::string_view key,
                                        SysctlFamily family) {
    const std::string ifname = detail::sysctl_interface_name(netns, interface, key, family, "read sysctl");
    std::string path = detail::interface_sysctl_path(family, ifname, key, "read sysctl");
    std::string shown = std::string(family == SysctlFamily::V4 ? "net.ipv4.conf." : "net.ipv6.conf.") + ifname + "." +
                        std::string(key);
    return detail::read_proc_file(netns, path, shown);
}

NSNET_LAZY_DEFINITION NSNET_DECL void set_interface_sysctl(const NetnsRef& netns, const DeviceArg& interface, std::string_view key,
                                     const std::string& value, SysctlFamily family) {
    const std::string ifname = detail::sysctl_interface_name(netns, interface, key, family, "write sysctl");
    std::string path = detail::interface_sysctl_path(family, ifname, key, "write sysctl");
    std::string shown = std::string(family == SysctlFamily::V4 ? "net.ipv4.conf." : "net.ipv6.conf.") + ifname + "." +
                        std::string(key);
    detail::write_proc_file(netns, path, shown, value);
}

NSNET_LAZY_DEFINITION NSNET_DECL bool ip_forward(const NetnsRef& netns) { return sysctl(netns, "net.ipv4.ip_forward") == "1"; }

NSNET_LAZY_DEFINITION NSNET_DECL void set_ip_forward(const NetnsRef& netns, bool on) { set_sysctl(netns, "net.ipv4.ip_forward", on ? "1" : "0"); }

NSNET_LAZY_DEFINITION NSNET_DECL bool ipv6_forward(const NetnsRef& netns) { return sysctl(netns, "net.ipv6.conf.all.forwarding") == "1"; }

NSNET_LAZY_DEFINITION NSNET_DECL void set_ipv6_forward(const NetnsRef& netns, bool on) {
    set_sysctl(netns, "net.ipv6.conf.all.forwarding", on ? "1" : "0");
}

NSNET_LAZY_DEFINITION NSNET_DECL void set_ipv6_interface(const NetnsRef& netns, const DeviceArg& interface, const Ipv6InterfaceSettings& s) {
    const std::string shown = "net.ipv6.conf." + (interface.empty() ? std::string("''") : interface.to_string());
    if (s.accept_dad && (*s.accept_dad < 0 || *s.accept_dad > 2))
        invalid_argument("write sysctl", shown + ".accept_dad",
                         "Ipv6InterfaceSettings.accept_dad: " + std::to_string(*s.accept_dad) + " is not 0, 1 or 2");
    if (s.accept_ra && (*s.accept_ra < 0 || *s.accept_ra > 2))
        invalid_argument("write sysctl", shown + ".accept_ra",
                         "Ipv6InterfaceSettings.accept_ra: " + std::to_string(*s.accept_ra) + " is not 0, 1 or 2");
    // The interface's name, once (a Link/owner/ifindex is looked up here), checked before anything is written.
    const std::string ifname = detail::sysctl_interface_name(netns, interface, "forwarding", SysctlFamily::V6, "write sysctl");
    (void)detail::interface_sysctl_path(SysctlFamily::V6, ifname, "forwarding", "write sysctl");
    auto set = [&](const char* key, const std::string& v) { set_interface_sysctl(netns, ifname, key, v, SysctlFamily::V6); };
    if (s.disable_ipv6) set("disable_ipv6", *s.disable_ipv6 ? "1" : "0");
    if (s.accept_dad) set("accept_dad", std::to_string(*s.accept_dad));
    if (s.accept_ra) set("accept_ra", std::to_string(*s.accept_ra));
    if (s.forwarding) set("forwarding", *s.forwarding ? "1" : "0");
}

NSNET_LAZY_DEFINITION NSNET_DECL void set_ipv4_interface(const NetnsRef& netns, const DeviceArg& interface, const Ipv4InterfaceSettings& s) {
    const std::string shown = "net.ipv4.conf." + (interface.empty() ? std::string("''") : interface.to_string());
    auto check = [&](const std::optional<int>& v, const char* key, int max) {
        if (v && (*v < 0 || *v > max))
            invalid_argument("write sysctl", shown + "." + key,
                             std::string("Ipv4InterfaceSettings.") + key + ": " + std::to_string(*v) + " is not in 0.." +
                                 std::to_string(max));
    };
    check(s.arp_ignore, "arp_ignore", 8);
    check(s.arp_announce, "arp_announce", 2);
    check(s.arp_accept, "arp_accept", 2);
    if (interface.empty()) invalid_argument("write sysctl", shown, "interface is not set");
    const std::string given = interface.to_string();
    if (given == "all" || given == "default")
        invalid_argument("write sysctl", shown,
                         "interface '" + given + "' is not a device: set_ipv4_interface sets one device's settings "
                         "(set_interface_sysctl writes net.ipv4.conf." + given + ".*)");
    detail::require_netns(netns, "write sysctl", shown);
    // The device's ifindex, once (a name is looked up here), before anything is sent.
    const auto [index, ifname] = interface.resolve(netns, "write sysctl", shown);
    std::vector<rtnl::Ipv4Devconf> values;
    if (s.arp_notify) values.push_back({IPV4_DEVCONF_ARP_NOTIFY, *s.arp_notify ? 1u : 0u});
    if (s.arp_ignore) values.push_back({IPV4_DEVCONF_ARP_IGNORE, static_cast<std::uint32_t>(*s.arp_ignore)});
    if (s.arp_announce) values.push_back({IPV4_DEVCONF_ARP_ANNOUNCE, static_cast<std::uint32_t>(*s.arp_announce)});
    if (s.arp_accept) values.push_back({IPV4_DEVCONF_ARP_ACCEPT, static_cast<std::uint32_t>(*s.arp_accept)});
    if (values.empty()) return;
    auto msg = rtnl::link_set_ipv4_devconf(index, values);
    // Named before the lambda: a structured binding captured by a lambda needs clang 16 or later.
    const std::string what = "net.ipv4.conf." + ifname;
    netns.with_rtnl([&](nl::Socket& sock) { nl::request(sock, msg, "write sysctl", what); });
}

}  // namespace nsnet
