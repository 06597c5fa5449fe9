// W6 — forget the UDP flows of one port mapping, as a CNI plugin does when a mapping moves, in a
// conntrack table of 0, 1,000 and 20,000 other entries (a host whose containers opened many flows).
//
// Tools, each a child process started afresh for every measured run inside the namespace:
//   nsnet                        Conntrack::remove(ns, {.protocol = UDP, .orig_dst_port = 5353})
//   conntrack -D                 `conntrack -D -p udp --orig-port-dst 5353` (conntrack-tools: it
//                                dumps the whole table and matches in user space)
// and, for listing alone, `Conntrack::list` against `conntrack -L` with the same filter.
//
// The table is filled once per size by the driver in one namespace (nsb<pid>-w6, connection
// tracking on through an inet `ct state new` rule, UDP timeout raised to 600 s there so nothing
// expires during the run): N datagrams from one socket to N ports of a peer namespace, plus, before
// each measured delete, 3 flows to port 5353 (IPv4 and IPv6) for the tools to find. After every
// delete the driver checks that exactly the 5353 flows are gone. Options: --flows N (the largest
// size; default 20000, --quick 2000).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nsnet/conntrack.hpp>
#include <nsnet/firewall/rule.hpp>
#include <nsnet/netns.hpp>
#include <nsnet/sysctl.hpp>
#include <nsnet/veth.hpp>

#include "bench.hpp"

using namespace nsnet;

namespace {

const ConntrackFilter mapped_port{.protocol = IPPROTO_UDP, .orig_dst_port = 5353};

// --worker remove|list, started inside the namespace (as a CNI plugin runs in the host's): prints
// how many entries it removed or listed.
int worker(const std::vector<std::string>& a) {
    auto ns = NetnsRef::current();
    std::size_t n = a.at(0) == "remove" ? Conntrack::remove(ns, mapped_port) : Conntrack::list(ns, mapped_port).size();
    std::printf("%zu\n", n);
    return 0;
}

void send_to(int fd, int af, const char* address, std::uint16_t port) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (af == AF_INET) {
        auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        ::inet_pton(AF_INET, address, &sa->sin_addr);
        len = sizeof *sa;
    } else {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        ::inet_pton(AF_INET6, address, &sa->sin6_addr);
        len = sizeof *sa;
    }
    if (::sendto(fd, "x", 1, 0, reinterpret_cast<const sockaddr*>(&ss), len) != 1)
        throw std::runtime_error(std::string("sendto ") + address + " failed: " + std::strerror(errno));
}

// The flows the tools must find: two IPv4 (two source ports) and one IPv6.
void add_mapped_flows(const NetnsRef& ns) {
    for (int i = 0; i < 2; ++i) send_to(ns.socket(AF_INET, SOCK_DGRAM).get(), AF_INET, "10.66.0.2", 5353);
    send_to(ns.socket(AF_INET6, SOCK_DGRAM).get(), AF_INET6, "fd66::2", 5353);
}

}  // namespace

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    if (!cli.worker.empty()) return worker(cli.worker);
    bench::start_driver("W6 conntrack");

    const long largest = cli.num("flows", cli.quick ? 2000 : 20000);
    if (largest < 20 || largest > 50000) throw std::runtime_error("--flows must be in 20..50000 (one port each)");
    const std::string name = bench::prefix() + "w6";
    const std::string path = bench::track_netns(name);
    auto ns = Netns::create(name);
    auto peer = Netns::create_anonymous();
    auto veth = VethPair::create(ns, {.name = "ca", .peer = {.name = "cb", .netns = peer}});
    veth.first().add_address("10.66.0.1/24");
    veth.second().add_address("10.66.0.2/24");
    veth.first().add_address("fd66::1/64", {.nodad = true});
    veth.second().add_address("fd66::2/64", {.nodad = true});
    veth.first().up();
    veth.second().up();
    auto tracking = firewall::Rule::create(ns, {.hook = firewall::Hook::Forward,
                                                .match = {.ct_state = firewall::CtState::New},
                                                .action = firewall::Action::Accept});
    set_sysctl(ns, "net.netfilter.nf_conntrack_udp_timeout", "600");
    const bool have_conntrack = bench::run({"conntrack", "--version"}).status == 0;

    bench::Table t("W6", "forget one UDP port mapping's flows (conntrack -D -p udp --orig-port-dst 5353)");
    auto flood = ns.socket(AF_INET, SOCK_DGRAM);
    long filled = 0;
    for (long size : {0L, largest / 20, largest}) {
        for (; filled < size; ++filled) send_to(flood.get(), AF_INET, "10.66.0.2", static_cast<std::uint16_t>(10000 + filled));
        const std::string remove_phase = "remove, " + std::to_string(size) + " other entries";
        const std::string list_phase = "list, " + std::to_string(size) + " other entries";
        t.reference(remove_phase, "nsnet");
        t.reference(list_phase, "nsnet");
        struct Tool {
            std::string name, phase;
            std::vector<std::string> argv;
            bool in_ns, removes;
        };
        std::vector<Tool> tools = {
            {"nsnet", remove_phase, {cli.self, "--worker", "remove"}, true, true},
            {"nsnet", list_phase, {cli.self, "--worker", "list"}, true, false},
        };
        if (have_conntrack) {
            tools.push_back({"conntrack -D", remove_phase, {"conntrack", "-D", "-p", "udp", "--orig-port-dst", "5353"}, true, true});
            tools.push_back({"conntrack -L", list_phase, {"conntrack", "-L", "-p", "udp", "--orig-port-dst", "5353"}, true, false});
        } else {
            t.missing(remove_phase, "conntrack -D", "conntrack not installed (apt-get install conntrack)");
        }
        for (int rep = 0; rep < cli.reps; ++rep) {
            for (std::size_t k = 0; k < tools.size(); ++k) {
                const Tool& tool = tools[(k + static_cast<std::size_t>(rep)) % tools.size()];
                add_mapped_flows(ns);
                // UDP entries only: the links' IPv6 start-up (router solicitations, MLD) adds ICMPv6
                // entries of its own at any time.
                auto udp_entries = [&] { return Conntrack::list(ns, {.protocol = IPPROTO_UDP}).size(); };
                const std::size_t before = udp_entries();
                if (before != static_cast<std::size_t>(size) + 3)
                    throw std::runtime_error("the table holds " + std::to_string(before) + " UDP entries, expected " +
                                             std::to_string(size + 3));
                bench::SpawnOptions so;
                so.capture = true;
                if (tool.in_ns) so.netns_path = path;
                auto r = bench::run_ok(tool.argv, so);
                const std::size_t after = udp_entries();
                const std::size_t expected_after = tool.removes ? static_cast<std::size_t>(size) : before;
                const std::size_t mapped_left = Conntrack::list(ns, mapped_port).size();
                if (after != expected_after || mapped_left != (tool.removes ? 0u : 3u))
                    throw std::runtime_error(tool.name + " left " + std::to_string(after) + " UDP entries (" +
                                             std::to_string(mapped_left) + " to port 5353), expected " +
                                             std::to_string(expected_after));
                if (tool.name == "nsnet" && std::stoul(r.out) != 3)
                    throw std::runtime_error(tool.name + " found " + r.out + " entries, expected 3");
                t.add(tool.phase, tool.name, r);
                if (!tool.removes) Conntrack::remove(ns, mapped_port);
                bench::settle(0.05);
            }
        }
        if (have_conntrack && size == largest)
            t.target("W6 remove at " + std::to_string(size) + " entries: nsnet faster than conntrack -D by",
                     t.wall(remove_phase, "conntrack -D") / t.wall(remove_phase, "nsnet"),
                     t.cpu(remove_phase, "conntrack -D") / t.cpu(remove_phase, "nsnet"), 2.0, true, "×");
    }
    t.print(cli.reps, bench::load_note());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "w6_conntrack: %s\n", e.what());
    return 1;
}
