// nsnet-bridge — a CNI plugin (spec 1.0.0) doing what the reference `bridge` plugin followed by
// `portmap` does, in one process, on nsnet: a bridge with the gateway addresses, a veth pair per
// container, addresses and routes from the IPAM plugin (delegated through CNI_PATH, as the spec
// says), IPv4 and IPv6 masquerade, and host port mappings (runtimeConfig.portMappings).
//
//   CNI_COMMAND=ADD|DEL|CHECK|VERSION CNI_CONTAINERID=ID CNI_NETNS=/proc/PID/ns/net
//   CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni nsnet-bridge < network.json
//
// Thin on purpose: the networking is nsnet's (links, addresses, routes, sysctls, firewall rules,
// conntrack); this file reads the CNI protocol, checks the input, and maps it onto the library.
// What differs from the reference plugins, and why: examples/cni/README.md.
#include <nsnet/nsnet.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace {

using json = nlohmann::json;
using nsnet::IpAddress;
using nsnet::Prefix;

constexpr const char* cni_version = "1.0.0";

// CNI error codes (spec: "Error"): 1-99 are the spec's, 100+ the plugin's.
enum Code {
    IncompatibleVersion = 1,
    UnsupportedField = 2,
    UnknownContainer = 3,
    InvalidEnvironment = 4,
    IoFailure = 5,
    DecodeFailure = 6,
    InvalidConfig = 7,
    Kernel = 100,       // the kernel refused a change (the message is nsnet's Error text)
    Ipam = 101,         // the IPAM plugin failed (its own error is passed on when it gave one)
    CheckFailed = 102,  // CHECK found the container's networking differs from the result
};

struct CniError {
    int code;
    std::string msg;
    std::string details{};
};

[[noreturn]] void fail(int code, std::string msg, std::string details = {}) {
    throw CniError{code, std::move(msg), std::move(details)};
}

// ---- input ---------------------------------------------------------------------------------------

struct PortMapping {
    std::uint16_t host_port = 0;
    std::uint16_t container_port = 0;
    nsnet::firewall::Protocol protocol = nsnet::firewall::Protocol::Tcp;
    std::optional<IpAddress> host_ip{};

    std::string text() const {
        return (host_ip ? host_ip->to_string() + ":" : "") + std::to_string(host_port) + "->" +
               std::to_string(container_port) + "/" + (protocol == nsnet::firewall::Protocol::Tcp ? "tcp" : "udp");
    }
};

struct Config {
    json raw;  // as read, passed on to the IPAM plugin unchanged
    std::string name;
    std::string bridge = "cni0";
    bool is_gateway = false;
    bool ip_masq = false;
    bool hairpin = false;
    std::optional<std::uint32_t> mtu{};
    std::string ipam_type;
    std::vector<PortMapping> ports;
    std::optional<json> prev_result{};
};

struct Env {
    std::string command, container_id, netns, ifname, path;
};

std::string getenv_str(const char* n) {
    const char* v = std::getenv(n);
    return v ? v : "";
}

// The keys a network configuration may carry: the spec's, the reference bridge plugin's that
// nsnet-bridge implements, and the portmap capability's. Anything else is refused by name (the
// reference plugins ignore unknown keys, so a typo such as "isGatway" silently changes the setup).
const std::set<std::string> known_keys = {
    // CNI spec: network configuration and the keys a runtime adds
    "cniVersion", "cniVersions", "name", "type", "args", "ipMasq", "ipam", "dns", "capabilities",
    "runtimeConfig", "prevResult",
    // reference bridge plugin
    "bridge", "isGateway", "hairpinMode", "mtu"};

bool get_bool(const json& c, const char* key, bool def) {
    if (!c.contains(key)) return def;
    if (!c[key].is_boolean()) fail(InvalidConfig, std::string("'") + key + "' must be true or false, not " + c[key].dump());
    return c[key].get<bool>();
}

std::uint16_t get_port(const json& m, const char* key, std::size_t i) {
    const std::string where = "runtimeConfig.portMappings[" + std::to_string(i) + "]." + key;
    if (!m.contains(key)) fail(InvalidConfig, where + " is missing");
    if (!m[key].is_number_integer() || m[key].get<long long>() < 1 || m[key].get<long long>() > 65535)
        fail(InvalidConfig, where + ": " + m[key].dump() + " is not a port (1..65535)");
    return static_cast<std::uint16_t>(m[key].get<long long>());
}

Config parse_config(const std::string& text) {
    Config c;
    try {
        c.raw = json::parse(text);
    } catch (const json::parse_error& e) {
        // The message quotes the input (its start, the whole of a short one) and says where it breaks.
        const std::string shown = text.size() > 80 ? text.substr(0, 77) + "..." : text;
        fail(DecodeFailure, "network configuration '" + shown + "' is not valid JSON: " + e.what());
    }
    const json& j = c.raw;
    if (!j.is_object()) fail(DecodeFailure, "network configuration is not a JSON object: " + j.dump().substr(0, 80));
    for (auto& [k, _] : j.items())
        if (!known_keys.count(k))
            fail(InvalidConfig, "unknown key '" + k + "' in the network configuration (nsnet-bridge refuses keys it does not implement)");
    if (!j.contains("cniVersion") || !j["cniVersion"].is_string()) fail(InvalidConfig, "'cniVersion' is missing");
    if (j["cniVersion"] != cni_version)
        fail(IncompatibleVersion, "cniVersion " + j["cniVersion"].dump() + " is not supported (nsnet-bridge speaks 1.0.0)");
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
        fail(InvalidConfig, "'name' (the network's name) is missing");
    c.name = j["name"];
    if (j.contains("bridge")) {
        if (!j["bridge"].is_string()) fail(InvalidConfig, "'bridge' must be a string, not " + j["bridge"].dump());
        c.bridge = j["bridge"];
    }
    try {
        nsnet::validate_interface_name(c.bridge, "bridge");
    } catch (const nsnet::Error& e) {
        fail(InvalidConfig, std::string("'bridge': ") + e.what());
    }
    c.is_gateway = get_bool(j, "isGateway", false);
    c.ip_masq = get_bool(j, "ipMasq", false);
    c.hairpin = get_bool(j, "hairpinMode", false);
    if (j.contains("mtu")) {
        if (!j["mtu"].is_number_integer() || j["mtu"].get<long long>() < 68 || j["mtu"].get<long long>() > 65535)
            fail(InvalidConfig, "'mtu': " + j["mtu"].dump() + " is not an MTU (68..65535)");
        c.mtu = static_cast<std::uint32_t>(j["mtu"].get<long long>());
    }
    if (!j.contains("ipam") || !j["ipam"].is_object() || !j["ipam"].contains("type") || !j["ipam"]["type"].is_string())
        fail(InvalidConfig, "'ipam.type' is missing: nsnet-bridge needs an IPAM plugin (e.g. host-local)");
    c.ipam_type = j["ipam"]["type"];
    if (c.ipam_type.find('/') != std::string::npos) fail(InvalidConfig, "'ipam.type' '" + c.ipam_type + "' must be a plugin name, not a path");
    if (j.contains("prevResult")) c.prev_result = j["prevResult"];

    if (j.contains("runtimeConfig") && j["runtimeConfig"].contains("portMappings")) {
        const json& pm = j["runtimeConfig"]["portMappings"];
        if (!pm.is_array()) fail(InvalidConfig, "runtimeConfig.portMappings must be a list");
        for (std::size_t i = 0; i < pm.size(); ++i) {
            const json& m = pm[i];
            if (!m.is_object()) fail(InvalidConfig, "runtimeConfig.portMappings[" + std::to_string(i) + "] is not an object");
            PortMapping p;
            p.host_port = get_port(m, "hostPort", i);
            p.container_port = get_port(m, "containerPort", i);
            std::string proto = m.value("protocol", "tcp");
            if (proto == "tcp" || proto == "TCP") p.protocol = nsnet::firewall::Protocol::Tcp;
            else if (proto == "udp" || proto == "UDP") p.protocol = nsnet::firewall::Protocol::Udp;
            else fail(InvalidConfig, "runtimeConfig.portMappings[" + std::to_string(i) + "].protocol: '" + proto + "' is not tcp or udp");
            if (m.contains("hostIP") && m["hostIP"].is_string() && !m["hostIP"].get<std::string>().empty()) {
                p.host_ip = IpAddress::try_parse(m["hostIP"].get<std::string>());
                if (!p.host_ip)
                    fail(InvalidConfig, "runtimeConfig.portMappings[" + std::to_string(i) + "].hostIP: '" +
                                            m["hostIP"].get<std::string>() + "' is not an address");
            }
            for (const auto& q : c.ports)
                if (q.host_port == p.host_port && q.protocol == p.protocol &&
                    (!q.host_ip || !p.host_ip || *q.host_ip == *p.host_ip))
                    fail(InvalidConfig, "runtimeConfig.portMappings: " + p.text() + " overlaps " + q.text() +
                                            " (the same host port twice)");
            c.ports.push_back(p);
        }
    }
    return c;
}

Env read_env() {
    Env e{getenv_str("CNI_COMMAND"), getenv_str("CNI_CONTAINERID"), getenv_str("CNI_NETNS"), getenv_str("CNI_IFNAME"),
          getenv_str("CNI_PATH")};
    if (e.command == "VERSION") return e;
    if (e.command != "ADD" && e.command != "DEL" && e.command != "CHECK")
        fail(InvalidEnvironment, "CNI_COMMAND '" + e.command + "' is not ADD, DEL, CHECK or VERSION");
    if (e.container_id.empty()) fail(InvalidEnvironment, "CNI_CONTAINERID is missing");
    for (char ch : e.container_id)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
            fail(InvalidEnvironment, "CNI_CONTAINERID '" + e.container_id + "' may hold only letters, digits, '-', '_' and '.'");
    if (e.ifname.empty()) fail(InvalidEnvironment, "CNI_IFNAME is missing");
    try {
        nsnet::validate_interface_name(e.ifname, "CNI_IFNAME");
    } catch (const nsnet::Error& x) {
        fail(InvalidEnvironment, std::string("CNI_IFNAME: ") + x.what());
    }
    if (e.command != "DEL" && e.netns.empty()) fail(InvalidEnvironment, "CNI_NETNS is missing");
    if (e.path.empty()) fail(InvalidEnvironment, "CNI_PATH is missing (nsnet-bridge runs the IPAM plugin from it)");
    return e;
}

// ---- the IPAM plugin ------------------------------------------------------------------------------

// One run of CNI_PATH's `type` with the same configuration on stdin and the same environment but
// CNI_COMMAND. The constructor starts the plugin (a separate program; host-local is a Go binary
// whose start-up takes longer than anything nsnet-bridge does before it needs the addresses) and
// returns at once. The plugin gets its configuration only from send(): until then it has nothing
// to act on and only starts up, so the caller can check its own input meanwhile and abort() (kill
// it, nothing allocated) if that fails. result() returns the plugin's result as soon as it has
// printed a complete one, without waiting for it to exit; finish() then waits for its exit status.
// run() does all three.
class IpamCall {
public:
    // The IPAM plugin's path: the first CNI_PATH directory that has `ipam.type`. Not found is an
    // InvalidConfig naming both.
    static std::string find_plugin(const Env& env, const Config& c) {
        std::stringstream dirs(env.path);
        for (std::string d; std::getline(dirs, d, ':');)
            if (!d.empty() && ::access((d + "/" + c.ipam_type).c_str(), X_OK) == 0) return d + "/" + c.ipam_type;
        fail(InvalidConfig, "IPAM plugin '" + c.ipam_type + "' not found in CNI_PATH " + env.path);
    }

    IpamCall(const Env& env, const Config& c, std::string command)
        : type_(c.ipam_type), command_(std::move(command)), bin_(find_plugin(env, c)) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0) fail(IoFailure, "pipe for the IPAM plugin failed");
        if (::pipe2(out, O_CLOEXEC) != 0) {
            ::close(in[0]);
            ::close(in[1]);
            fail(IoFailure, "pipe for the IPAM plugin failed");
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        // nsnet-bridge ignores SIGPIPE (main); the plugin gets the default back.
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t def;
        sigemptyset(&def);
        sigaddset(&def, SIGPIPE);
        posix_spawnattr_setsigdefault(&attr, &def);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e)
            if (std::string_view(*e).substr(0, 12) != "CNI_COMMAND=") envs.emplace_back(*e);
        envs.push_back("CNI_COMMAND=" + command_);
        std::vector<char*> envp, argv{bin_.data(), nullptr};
        for (auto& e : envs) envp.push_back(e.data());
        envp.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, bin_.c_str(), &fa, &attr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        ::close(in[0]);
        ::close(out[1]);
        out_ = out[0];
        in_ = in[1];
        if (rc != 0) {
            ::close(out_);
            ::close(in_);
            pid_ = -1;
            fail(IoFailure, "cannot run IPAM plugin " + bin_ + ": " + std::strerror(rc));
        }
    }
    IpamCall(const IpamCall&) = delete;
    IpamCall& operator=(const IpamCall&) = delete;
    ~IpamCall() { reap(); }

    // Gives the plugin its configuration (stdin, then closed): from here on it may allocate.
    void send(const std::string& stdin_text) {
        // The configuration is small: it fits the pipe, so this never blocks. A plugin that died
        // already makes this fail (EPIPE), and finish() reports how it ended.
        for (std::size_t off = 0; in_ >= 0 && off < stdin_text.size();) {
            ssize_t n = ::write(in_, stdin_text.data() + off, stdin_text.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        close_stdin();
    }
    // Ends a plugin that was never sent its configuration (it has done nothing).
    void abort() noexcept {
        close_stdin();
        if (pid_ > 0) ::kill(pid_, SIGKILL);
        reap();
    }
    // Waits for the plugin without reading its result (after an exception).
    void reap() noexcept {
        close_stdin();
        if (out_ >= 0) ::close(out_), out_ = -1;
        if (pid_ > 0) {
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
            pid_ = -1;
        }
    }

    // The plugin's result, as soon as it has printed a complete JSON object that is not an error
    // (host-local prints it in one write, well before its process has exited). Anything else (an
    // error object, no output, a crash) is read to the end and reported by finish().
    json result() {
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(out_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            output_.append(buf, static_cast<std::size_t>(n));
            if (output_.find('}') != std::string::npos && json::accept(output_)) {
                json r = json::parse(output_);
                if (r.is_object() && !r.contains("code")) return r;
            }
        }
        return finish();
    }
    // Reads the rest of the plugin's output, waits for it to exit, and fails with the plugin's own
    // CNI error (or the IPAM code) unless it exited 0; returns its result.
    json finish() {
        char buf[4096];
        for (ssize_t n; out_ >= 0 && ((n = ::read(out_, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR));)
            if (n > 0) output_.append(buf, static_cast<std::size_t>(n));
        if (out_ >= 0) ::close(out_), out_ = -1;
        int status = 0;
        if (pid_ > 0)
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        pid_ = -1;
        json result;
        if (!output_.empty()) {
            try {
                result = json::parse(output_);
            } catch (const json::parse_error&) {
                fail(Ipam, "IPAM plugin " + bin_ + " " + command_ + " printed no JSON: " + output_.substr(0, 200));
            }
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (result.is_object() && result.contains("msg"))
                throw CniError{result.value("code", static_cast<int>(Ipam)), "IPAM " + type_ + ": " + result["msg"].get<std::string>(),
                               result.value("details", std::string{})};
            fail(Ipam, "IPAM plugin " + bin_ + " " + command_ + " failed");
        }
        return result;
    }
    json run(const std::string& stdin_text) {
        send(stdin_text);
        return finish();
    }

private:
    void close_stdin() noexcept {
        if (in_ >= 0) ::close(in_), in_ = -1;
    }

    std::string type_, command_, bin_, output_;
    pid_t pid_ = -1;
    int out_ = -1, in_ = -1;
};

json run_ipam(const Env& env, const Config& c, const std::string& command, const std::string& stdin_text) {
    return IpamCall(env, c, command).run(stdin_text);
}

// ---- names found again by a later process ---------------------------------------------------------

// The host end of the container's veth: "veth" + 8 hex digits of a hash of (container id, ifname),
// so DEL and CHECK find it from the container id alone. The alias records the pair in full.
std::string host_veth_name(const Env& env) {
    std::uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char ch : env.container_id + "/" + env.ifname) h = (h ^ ch) * 16777619u;
    char buf[16];
    std::snprintf(buf, sizeof buf, "veth%08x", h);
    return buf;
}

// The owner tag of everything made for one container interface (the host veth's alias, the
// firewall rules): "ID/IFNAME", found again by DEL in a later process.
std::string owner_tag(const Env& env) { return env.container_id + "/" + env.ifname; }

// Deletes the conntrack entries of the container's UDP host ports (both families): a client that
// keeps sending to a host port keeps its entry, and with it the old DNAT target, until the entry
// times out; deleting it makes the next datagram go through the current rules. Done after a
// mapping appears (ADD) and after it goes away (DEL). TCP connections end by themselves.
void forget_udp_flows(const nsnet::NetnsRef& host, const std::vector<PortMapping>& ports) {
    for (const auto& p : ports)
        if (p.protocol == nsnet::firewall::Protocol::Udp)
            nsnet::Conntrack::remove(host, {.protocol = IPPROTO_UDP,
                                            .orig_dst = p.host_ip ? nsnet::AddressArg(*p.host_ip) : nsnet::AddressArg(),
                                            .orig_dst_port = p.host_port});
}

struct IpamIp {
    Prefix address;                  // 10.88.0.2/24
    std::optional<IpAddress> gateway{};
};

std::vector<IpamIp> ipam_ips(const json& r) {
    std::vector<IpamIp> out;
    if (!r.contains("ips")) return out;
    for (const auto& ip : r["ips"]) {
        IpamIp x{Prefix::parse(ip.at("address").get<std::string>())};
        if (ip.contains("gateway")) x.gateway = IpAddress::parse(ip["gateway"].get<std::string>());
        out.push_back(x);
    }
    return out;
}

// ---- the firewall (bridge's ipMasq, portmap) ------------------------------------------------------

namespace fw = nsnet::firewall;

// The mark a DNATed packet gets when it must also be masqueraded (hairpin: a container reaching a
// host port that leads back into the bridge; localhost), as portmap's default markMasqBit 13.
constexpr std::uint32_t masq_mark = 0x2000;

// The network's shared rule (Rule::ensure: created or reused, never removed by a DEL), needed by
// port mappings: postrouting `meta mark & 0x2000 == 0x2000 masquerade`. Made while the IPAM plugin
// runs, so before any container's rule.
void ensure_shared_rules(const nsnet::NetnsRef& host) {
    fw::Rule::ensure(host, {.family = fw::Family::Inet, .hook = fw::Hook::Postrouting,
                            .match = {.meta_mark = fw::MarkMatch{.value = masq_mark, .mask = masq_mark}},
                            .action = fw::Action::Masquerade});
}

// The container's rules, in nsnet's `inet nsnet` table, all with the owner tag (DEL removes them
// with Rule::remove_owned from its own process). Per container address (IPv4 and IPv6):
//  - ipMasq: postrouting `ip saddr CIP ip daddr != SUBNET masquerade` (the reference bridge
//    plugin jumps to a chain of its own that also leaves 224.0.0.0/4 alone: the host forwards no
//    multicast without a multicast router, so one rule does the same);
//  - each port mapping, in prerouting (from outside) and output (from the host itself), only to
//    addresses of this host (`fib daddr type local`, so a container's connection to a remote
//    host's port is left alone): `dnat to CIP:PORT`, preceded by the same DNAT that also sets the
//    mark for connections from the bridge's subnet (hairpin) and, IPv4, from 127.0.0.0/8
//    (localhost). The mark is set in the DNAT rule itself: a separate mark rule would be a filter
//    rule, and filter chains run after dstnat, when the destination is no longer local.
// All of them go to the kernel in one nf_tables batch (Rule::create of a list: one request, all
// or nothing). The rule objects are returned owned: dropped on an error, they take their rules
// with them. With port mappings, ensure_shared_rules() has run before.
std::vector<fw::Rule> add_rules(const nsnet::NetnsRef& host, const Env& env, const Config& c, const std::vector<IpamIp>& ips) {
    const std::string owner = owner_tag(env);
    std::vector<fw::RuleOptions> rules;
    for (const auto& ip : ips) {
        const bool v4 = ip.address.address().is_v4();
        const Prefix subnet = ip.address.network();
        const IpAddress cip = ip.address.address();
        if (c.ip_masq)
            rules.push_back({.family = fw::Family::Inet, .hook = fw::Hook::Postrouting,
                             .match = {.saddr = cip, .daddr = subnet, .daddr_negate = true},
                             .action = fw::Action::Masquerade, .owner = owner});
        for (const auto& p : c.ports) {
            if (p.host_ip && p.host_ip->is_v4() != v4) continue;  // a hostIP of the other family
            const auto proto = p.protocol;
            nsnet::PrefixArg daddr;  // unset: any
            if (p.host_ip) daddr = *p.host_ip;
            for (fw::Hook hook : {fw::Hook::Prerouting, fw::Hook::Output}) {
                std::vector<Prefix> marked{subnet};
                if (v4) marked.push_back(Prefix::parse("127.0.0.0/8"));
                for (const auto& src : marked)
                    rules.push_back({.family = fw::Family::Inet, .hook = hook,
                                     .match = {.saddr = src, .daddr = daddr, .daddr_local = true,
                                               .protocol = proto, .dport = p.host_port},
                                     .set_meta_mark = fw::MarkSet{.value = masq_mark, .mask = masq_mark},
                                     .action = fw::Action::Dnat, .to = cip, .to_ports = p.container_port,
                                     .owner = owner});
                rules.push_back({.family = fw::Family::Inet, .hook = hook,
                                 .match = {.daddr = daddr, .daddr_local = true, .protocol = proto, .dport = p.host_port},
                                 .action = fw::Action::Dnat, .to = cip, .to_ports = p.container_port,
                                 .owner = owner});
            }
        }
    }
    return fw::Rule::create(host, rules);
}

// The container's namespace (CNI_NETNS, a path); a path that is not a network namespace is the
// caller's error (code 4), naming the path.
nsnet::NetnsRef open_container_netns(const Env& env) {
    try {
        return nsnet::NetnsRef::open_path(env.netns);
    } catch (const nsnet::Error& e) {
        fail(InvalidEnvironment, "CNI_NETNS '" + env.netns + "': " + e.what());
    }
}

// ---- ADD ------------------------------------------------------------------------------------------


// The network's bridge, created or reused (shared: never deleted by a container's DEL).
nsnet::Link ensure_bridge(const nsnet::NetnsRef& host, const Config& c) {
    // A MAC of its own (random, locally administered), as the reference gives it: otherwise the
    // kernel gives the bridge the lowest port MAC, which changes as containers come and go.
    std::array<std::uint8_t, 6> mac{};
    if (::getrandom(mac.data(), mac.size(), 0) != static_cast<ssize_t>(mac.size())) fail(IoFailure, "getrandom failed");
    mac[0] = static_cast<std::uint8_t>((mac[0] & 0xfe) | 0x02);
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    nsnet::Link br;
    try {
        br = nsnet::Bridge::ensure(host, {.name = c.bridge, .mac = nsnet::MacAddress::parse(text), .mtu = c.mtu});
    } catch (const nsnet::Error& e) {
        if (e.errnum() == EEXIST) fail(InvalidConfig, std::string("'bridge': ") + e.what());
        throw;
    }
    if (!br.info().is_up()) br.up();
    return br;
}

// The gateway address on the bridge; an IPv6 one without DAD (nodad), so the containers' default
// route works at once (the reference leaves it tentative for DAD's ~1-2 s).
// `have` is the bridge's addresses, read before.
void add_missing_address(nsnet::Link& l, const std::vector<nsnet::AddressInfo>& have, const Prefix& p) {
    for (const auto& a : have)
        if (a.prefix.address() == p.address()) return;
    try {
        l.add_address(p, {.broadcast = p.address().is_v4(), .nodad = !p.address().is_v4()});
    } catch (const nsnet::Error& e) {
        if (e.errnum() != EEXIST) throw;
    }
}

json do_add(const Env& env, Config& c, const std::string& stdin_text) {
    // The IPAM plugin starts first (its start-up is the longest step of an ADD) but gets its
    // configuration only once the namespace and the names below are checked: until then it can do
    // nothing, and a bad CNI_NETNS or an existing interface ends it (abort) with nothing allocated.
    IpamCall ipam_call(env, c, "ADD");
    nsnet::NetnsRef host = nsnet::NetnsRef::current();
    const std::string veth = host_veth_name(env);
    nsnet::NetnsRef cont;
    try {
        cont = open_container_netns(env);
        if (nsnet::Link::find(cont, env.ifname))
            fail(InvalidEnvironment, "CNI_IFNAME '" + env.ifname + "' exists already in " + env.netns);
        if (nsnet::Link::find(host, veth))
            fail(InvalidEnvironment, "container " + env.container_id + " (" + env.ifname + ") is set up already: host link " + veth + " exists");
    } catch (...) {
        ipam_call.abort();
        throw;
    }
    ipam_call.send(stdin_text);

    // Everything that does not depend on the addresses is done while the IPAM plugin runs.
    try {
        auto br = ensure_bridge(host, c);
        // txqueuelen 0 on both ends, as the reference creates them (a veth has no queue anyway).
        // The host end carries the owner tag from its creation on (DEL finds it by the tag).
        auto pair = nsnet::VethPair::create(host, {.name = veth, .mtu = c.mtu, .txqlen = 0,
                                            .peer = {.name = env.ifname, .netns = cont, .mtu = c.mtu, .txqlen = 0},
                                            .owner = owner_tag(env)});
        auto& hv = pair.first();
        auto& cv = pair.second();
        hv.set_master(br);
        if (c.hairpin) nsnet::set_bridge_port(hv, {.hairpin = true});
        hv.up();
        // Neighbours learn the new MAC at once (a gratuitous ARP when the link comes up), as the
        // reference sets it: through rtnetlink on the container's socket (no thread inside it).
        nsnet::set_ipv4_interface(cont, cv, {.arp_notify = true});
        // IPv6 addresses usable at once: accept_dad 0, set before any address is added (the
        // reference writes it whatever the addresses, ignoring an error: a namespace without IPv6
        // has no net.ipv6 directory, and then gets no IPv6 address either).
        try {
            nsnet::set_interface_sysctl(cont, env.ifname, "accept_dad", "0", nsnet::SysctlFamily::V6);
        } catch (const nsnet::Error& e) {
            if (e.errnum() != ENOENT) throw;
        }
        // The network's shared rule (port mappings' hairpin and localhost masquerade).
        if (!c.ports.empty()) ensure_shared_rules(host);
        // The bridge's addresses, to add only a missing gateway address (one read, not one per gateway).
        std::vector<nsnet::AddressInfo> br_addrs;
        if (c.is_gateway) br_addrs = br.addresses();
        // The MACs for the result (nothing below changes them).
        auto mac_of = [](const nsnet::Link& l) {
            auto mac = l.info().mac;
            return mac ? mac->to_string() : std::string();
        };
        const std::string br_mac = mac_of(br), hv_mac = mac_of(hv), cv_mac = mac_of(cv);

        json ipam = ipam_call.result();
        auto ips = ipam_ips(ipam);
        if (ips.empty()) fail(Ipam, "IPAM " + c.ipam_type + " returned no address");
        bool v4 = false, v6 = false;
        for (const auto& ip : ips) (ip.address.address().is_v4() ? v4 : v6) = true;
        if (c.is_gateway)
            for (const auto& ip : ips)
                if (ip.gateway) add_missing_address(br, br_addrs, Prefix(*ip.gateway, ip.address.length()));
        // The container's side in one batch (one round trip): addresses, link up, routes.
        nsnet::RequestBatch batch(cont);
        for (const auto& ip : ips) batch.add_address(cv, ip.address, {.broadcast = ip.address.address().is_v4()});
        batch.set_up(cv);
        if (ipam.contains("routes"))
            for (const auto& r : ipam["routes"]) {
                auto dst = Prefix::parse(r.at("dst").get<std::string>());
                std::optional<IpAddress> gw;
                const std::string gw_text = r.value("gw", "");
                if (!gw_text.empty()) gw = IpAddress::parse(gw_text);
                else
                    for (const auto& ip : ips)
                        if (ip.gateway && ip.address.address().is_v4() == dst.address().is_v4()) gw = ip.gateway;
                batch.create_route({.dst = dst.network(), .via = gw ? nsnet::AddressArg(*gw) : nsnet::AddressArg(), .dev = cv});
            }
        batch.run_or_throw();
        if (c.is_gateway) {
            if (v4) nsnet::set_sysctl(host, "net.ipv4.ip_forward", "1");
            if (v6) nsnet::set_sysctl(host, "net.ipv6.conf.all.forwarding", "1");
        }
        // host -> 127.0.0.1:PORT is DNATed to a container behind the bridge: the kernel routes a
        // 127/8 source out of it only with route_localnet (the reference portmap sets it too).
        if (v4 && !c.ports.empty()) nsnet::set_interface_sysctl(host, c.bridge, "route_localnet", "1", nsnet::SysctlFamily::V4);
        auto rules = add_rules(host, env, c, ips);
        forget_udp_flows(host, c.ports);

        // The result (spec 1.0.0): interfaces, then ips pointing at the container's interface.
        json out = {{"cniVersion", cni_version}};
        out["interfaces"] = json::array({
            {{"name", c.bridge}, {"mac", br_mac}},
            {{"name", veth}, {"mac", hv_mac}},
            {{"name", env.ifname}, {"mac", cv_mac}, {"sandbox", env.netns}},
        });
        out["ips"] = json::array();
        for (const auto& ip : ipam["ips"]) {
            json x = ip;
            x["interface"] = 2;
            out["ips"].push_back(x);
        }
        if (ipam.contains("routes")) out["routes"] = ipam["routes"];
        out["dns"] = ipam.contains("dns") ? ipam["dns"] : json::object();
        // The IPAM plugin printed its result before it exited: only now is its exit status known
        // (a failure undoes everything, below).
        ipam_call.finish();
        pair.persist();
        for (auto& r : rules) r.persist();
        return out;
    } catch (...) {
        // Nothing half-done stays: the veth pair (its owner object) is gone already; the address
        // IPAM handed out is given back (once the ADD call has ended, so the DEL comes after it).
        ipam_call.reap();
        try {
            run_ipam(env, c, "DEL", stdin_text);
        } catch (...) {
        }
        throw;
    }
}

// ---- DEL ------------------------------------------------------------------------------------------

void do_del(const Env& env, Config& c, const std::string& stdin_text) {
    nsnet::NetnsRef host = nsnet::NetnsRef::current();
    IpamCall::find_plugin(env, c);  // a configuration naming no plugin there changes nothing
    // The host end by its owner tag; deleting it deletes the container end too. Gone already
    // (the namespace was deleted, or DEL ran before) is success. The kernel takes ~20 ms to delete
    // a veth (it waits for RCU grace periods after unregistering both ends), mostly sleeping and
    // holding nothing the firewall or conntrack need: so the link goes on a thread of its own,
    // started first, while IPAM runs and the rules and flows go here (nf_tables and ctnetlink
    // sockets; rtnetlink is not used).
    std::exception_ptr link_error;
    std::thread links([&] {
        try {
            nsnet::Link::remove_owned(host, owner_tag(env));
        } catch (...) {
            link_error = std::current_exception();
        }
    });
    std::optional<IpamCall> ipam_call;
    try {
        ipam_call.emplace(env, c, "DEL");  // runs while the links go
        ipam_call->send(stdin_text);
        fw::Rule::remove_owned(host, owner_tag(env));
        forget_udp_flows(host, c.ports);
    } catch (...) {
        links.join();
        throw;
    }
    links.join();
    if (link_error) std::rethrow_exception(link_error);
    ipam_call->finish();
}

// ---- CHECK ----------------------------------------------------------------------------------------

void do_check(const Env& env, Config& c) {
    if (!c.prev_result) fail(InvalidConfig, "CHECK needs 'prevResult' (the result of ADD)");
    nsnet::NetnsRef host = nsnet::NetnsRef::current();
    nsnet::NetnsRef cont = open_container_netns(env);
    auto br = nsnet::Link::find(host, c.bridge);
    if (!br) fail(CheckFailed, "bridge '" + c.bridge + "' is missing");
    auto hv = nsnet::Link::find(host, host_veth_name(env));
    if (!hv) fail(CheckFailed, "host link " + host_veth_name(env) + " of container " + env.container_id + " is missing");
    if (hv->info().master != br->index()) fail(CheckFailed, "host link " + hv->name() + " is not a port of bridge " + c.bridge);
    auto cv = nsnet::Link::find(cont, env.ifname);
    if (!cv) fail(CheckFailed, "interface " + env.ifname + " is missing in " + env.netns);
    // The container's rules: as many as ADD makes (see add_rules), all still there.
    std::size_t want = 0;
    for (const auto& ip : ipam_ips(*c.prev_result)) {
        const bool v4 = ip.address.address().is_v4();
        if (c.ip_masq) want += 1;
        for (const auto& p : c.ports)
            if (!p.host_ip || p.host_ip->is_v4() == v4) want += 2 * (v4 ? 3 : 2);
    }
    const std::size_t have_rules = fw::Rule::list(host, {.owner = owner_tag(env)}).size();
    if (have_rules != want)
        fail(CheckFailed, "container " + env.container_id + " has " + std::to_string(have_rules) + " firewall rules (owner " +
                              owner_tag(env) + "), ADD made " + std::to_string(want));
    auto have = cv->addresses();
    for (const auto& ip : ipam_ips(*c.prev_result)) {
        bool found = false;
        for (const auto& a : have) found = found || a.prefix == ip.address;
        if (!found) fail(CheckFailed, "address " + ip.address.to_string() + " is missing on " + env.ifname + " in " + env.netns);
    }
}

void print(const json& j) { std::cout << j.dump(4) << std::endl; }

}  // namespace

int main() {
    // A write to an IPAM plugin that died already fails with EPIPE instead of ending nsnet-bridge.
    std::signal(SIGPIPE, SIG_IGN);
    Env env;
    try {
        env = read_env();
        if (env.command == "VERSION") {
            print({{"cniVersion", cni_version}, {"supportedVersions", json::array({cni_version})}});
            return 0;
        }
        std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
        Config c = parse_config(text);
        if (env.command == "ADD") print(do_add(env, c, text));
        else if (env.command == "DEL") do_del(env, c, text);
        else do_check(env, c);
        return 0;
    } catch (const CniError& e) {
        json out = {{"cniVersion", cni_version}, {"code", e.code}, {"msg", e.msg}};
        if (!e.details.empty()) out["details"] = e.details;
        print(out);
    } catch (const nsnet::Error& e) {
        print({{"cniVersion", cni_version}, {"code", Kernel}, {"msg", e.what()}});
    } catch (const std::exception& e) {
        print({{"cniVersion", cni_version}, {"code", Kernel}, {"msg", e.what()}});
    }
    return 1;
}
