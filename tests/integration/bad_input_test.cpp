// The bad-input table (root): bad values across the public API, each of which must be refused
//  - with an nsnet::Error whose what() names the value (the row's `needle`; control bytes as what()
//    shows them, escaped: "a\\tb"),
//  - for rows marked up_front, before any netlink request was sent (counted through the
//    FaultInjector seam: not even a lookup),
//  - and with nothing changed: the links, addresses, routes and ip_forward of the test's namespace,
//    and the list of named namespaces, are the same before and after every row.
// A row that fails prints what it threw, so a message that does not name the value is easy to see.
#include <doctest/doctest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/bridge.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/ipvlan.hpp"
#include "nsnet/macvlan.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/neighbor.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/nexthop.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rule.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/vlan.hpp"
#include "nsnet/vxlan.hpp"
#include "link_kinds.hpp"
#include "state_support.hpp"
#include "support.hpp"
#include "../support/firewall.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

struct CountSends : detail::FaultInjector {
    std::atomic<int> sends{0};
    int before(detail::Call c) override {
        if (c == detail::Call::sendmsg) ++sends;
        return 0;
    }
};

struct Row {
    std::string input;           // what is bad, for the report
    std::string needle;          // must appear in what()
    std::function<void()> call;  // must throw
    bool up_front = true;        // refused before any netlink request (lookups included)
};

// A process that exited: its pid, reaped (stale = true) or still a zombie.
pid_t exited_process(bool reap) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    REQUIRE(pid > 0);
    if (reap) {
        int st;
        ::waitpid(pid, &st, 0);
    } else {
        // Wait until it is a zombie (state Z in /proc/PID/stat).
        for (int i = 0; i < 500; ++i) {
            std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
            std::string s;
            std::getline(stat, s);
            auto p = s.rfind(')');
            if (p != std::string::npos && p + 2 < s.size() && s[p + 2] == 'Z') break;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    return pid;
}

}  // namespace

TEST_CASE("bad input: every row is refused naming the value, and nothing changes in the kernel") {
    Netns ns = Netns::create(unique_name("bi"));
    Netns other = Netns::create(unique_name("bi"));
    auto veth = VethPair::create(ns, {.name = "bi0", .peer = {.name = "bi1"}});
    veth.first().add_address("10.70.0.1/24");
    veth.first().up();
    veth.second().up();
    Link l = veth.first();
    // The kernel applies a carrier change later (linkwatch, up to a second on a slow machine) and
    // then clears the routes' `linkdown` flag: let that happen before the "before" snapshot, or a
    // late flag change would show up as a change made by the row under test.
    REQUIRE_MESSAGE(test::wait_up(l, std::chrono::seconds(10)), "bi0 did not come up within 10 s");
    Link gone;  // a handle to a link that no longer exists
    {
        auto tmp = VethPair::create(ns, {.name = "bigone0", .peer = {.name = "bigone1"}});
        gone = tmp.first();
    }
    auto other_lo = Link::loopback(other);
    const pid_t reaped = exited_process(true);
    const pid_t zombie = exited_process(false);
    const std::string reaped_path = "/proc/" + std::to_string(reaped) + "/ns/net";
    const std::string zombie_path = "/proc/" + std::to_string(zombie) + "/ns/net";
    const std::string missing_ns = test::name_prefix() + "no-such-ns";
    const std::string long16 = "abcdefghijklmnop";

    std::vector<Row> rows = {
        // --- interface names (the kernel's dev_valid_name) ---
        {"interface name empty", "interface name is empty",
         [&] { VethPair::create(ns, {.name = "", .peer = {.name = "p"}}); }},
        {"interface name of 16 bytes", long16, [&] { VethPair::create(ns, {.name = long16, .peer = {.name = "p"}}); }},
        {"peer name of 16 bytes", "eth0eth0eth0eth0",
         [&] { VethPair::create(ns, {.name = "p", .peer = {.name = "eth0eth0eth0eth0"}}); }},
        {"interface name with '/'", "a/b", [&] { VethPair::create(ns, {.name = "a/b", .peer = {.name = "p"}}); }},
        {"interface name with a space", "a b", [&] { VethPair::create(ns, {.name = "a b", .peer = {.name = "p"}}); }},
        {"interface name with a tab", "a\\tb", [&] { VethPair::create(ns, {.name = "a\tb", .peer = {.name = "p"}}); }},
        {"interface name '.'", "'.'", [&] { VethPair::create(ns, {.name = ".", .peer = {.name = "p"}}); }},
        {"interface name '..'", "'..'", [&] { VethPair::create(ns, {.name = "..", .peer = {.name = "p"}}); }},
        {"interface name with ':'", "a:b", [&] { Bridge::create(ns, {.name = "a:b"}); }},
        {"rename to 16 bytes", long16, [&] { Link(l).rename(long16); }},
        {"both veth ends with one name in one namespace", "same0",
         [&] { VethPair::create(ns, {.name = "same0", .peer = {.name = "same0"}}); }},
        // --- namespace names and paths ---
        {"namespace name empty", "must not be empty", [&] { Netns::create(""); }},
        {"namespace name with '/'", "a/b", [&] { Netns::create("a/b"); }},
        {"namespace name with whitespace", "a b", [&] { Netns::create("a b"); }},
        {"namespace name '.'", "'.'", [&] { Netns::create("."); }},
        {"namespace name '..'", "'..'", [&] { Netns::create(".."); }},
        {"namespace name of 256 bytes", std::string(256, 'n'), [&] { Netns::create(std::string(256, 'n')); }},
        {"namespace that does not exist", missing_ns, [&] { NetnsRef::open(missing_ns); }},
        {"namespace path that is a regular file", "/etc/hostname", [&] { NetnsRef::open_path("/etc/hostname"); }},
        {"namespace path that is a directory", "/proc/self", [&] { NetnsRef::open_path("/proc/self"); }},
        {"namespace path of another namespace type", "/proc/self/ns/uts", [&] { NetnsRef::open_path("/proc/self/ns/uts"); }},
        {"stale /proc/PID/ns/net of a reaped process", reaped_path, [&] { NetnsRef::open_path(reaped_path); }},
        {"/proc/PID/ns/net of a zombie", zombie_path, [&] { NetnsRef::open_path(zombie_path); }},
        {"open_pid of a process that exited", std::to_string(reaped), [&] { NetnsRef::open_pid(reaped); }},
        {"move a link to a namespace name that does not exist", missing_ns, [&] { Link(l).set_netns(missing_ns); }},
        // --- prefixes and addresses ---
        {"prefix 10.0.0.1/33", "10.0.0.1/33", [&] { l.add_address("10.0.0.1/33"); }},
        {"prefix 300.1.1.1/24", "300.1.1.1", [&] { l.add_address("300.1.1.1/24"); }},
        {"prefix ::1/129", "::1/129", [&] { l.add_address("::1/129"); }},
        {"prefix with an empty length", "10.0.0.1/", [&] { l.add_address("10.0.0.1/"); }},
        {"prefix with a negative length", "10.0.0.1/-1", [&] { l.add_address("10.0.0.1/-1"); }},
        {"prefix with a text length", "10.0.0.1/abc", [&] { l.add_address("10.0.0.1/abc"); }},
        {"prefix with a trailing space", "10.0.0.1/24 ", [&] { l.add_address("10.0.0.1/24 "); }},
        {"empty address", "address is not set", [&] { l.add_address(""); }},
        {"delete 10.70.0.1/40", "10.70.0.1/40", [&] { l.remove_address("10.70.0.1/40"); }},
        {"address on a link that is gone", "bigone0", [&] { Link(gone).add_address("10.71.0.1/24"); }, false},
        // --- routes ---
        {"route to 10.0.0.0/33", "10.0.0.0/33", [&] { Route::create(ns, {.dst = "10.0.0.0/33", .dev = l}).persist(); }},
        {"route to 10.1.2.3/24 (host bits)", "10.1.2.3/24", [&] { Route::create(ns, {.dst = "10.1.2.3/24", .dev = l}).persist(); }},
        {"route via 300.1.1.1", "300.1.1.1", [&] { Route::create(ns, {.dst = "10.5.0.0/16", .via = "300.1.1.1"}).persist(); }},
        {"route via a device that does not exist", "nosuchdev0",
         [&] { Route::create(ns, {.dst = "10.5.0.0/16", .dev = "nosuchdev0"}).persist(); }, false},
        {"route via a device in another namespace", "lo",
         [&] { Route::create(ns, {.dst = "10.5.0.0/16", .dev = other_lo}).persist(); }},
        {"IPv6 route via an IPv4 gateway", "10.70.0.9",
         [&] { Route::create(ns, {.dst = "2001:db8::/64", .via = "10.70.0.9"}).persist(); }},
        {"nexthop weight 0", "weight 0",
         [&] { Route::create(ns, {.dst = "10.6.0.0/16", .paths = {{.via = "10.70.0.2", .weight = 0}}}).persist(); }},
        {"nexthop weight 257", "weight 257",
         [&] { Route::create(ns, {.dst = "10.6.0.0/16", .paths = {{.via = "10.70.0.2", .weight = 257}}}).persist(); }},
        {"route src of the other family", "::1", [&] { Route::create(ns, {.dst = "10.6.0.0/16", .dev = l, .src = "::1"}).persist(); }},
        // --- MAC addresses ---
        {"MAC with 5 bytes", "02:00:00:00:00", [&] { Link(l).set_mac("02:00:00:00:00"); }},
        {"MAC with 7 bytes", "02:00:00:00:00:01:02", [&] { Link(l).set_mac("02:00:00:00:00:01:02"); }},
        {"MAC with a non-hex digit", "zz:00:00:00:00:01", [&] { Link(l).set_mac("zz:00:00:00:00:01"); }},
        {"multicast MAC for a link", "01:00:5e:00:00:01", [&] { Link(l).set_mac("01:00:5e:00:00:01"); }},
        {"all-zero MAC for a link", "00:00:00:00:00:00", [&] { Link(l).set_mac("00:00:00:00:00:00"); }},
        {"multicast MAC for a veth end", "01:00:5e:00:00:02",
         [&] {
             VethPair::create(ns, {.name = "m0", .mac = MacAddress::parse("01:00:5e:00:00:02"), .peer = {.name = "m1"}});
         }},
        {"neighbour lladdr with 4 bytes", "02:00:00:01",
         [&] { Neighbor::create(ns, {.dev = l, .address = "10.70.0.5", .lladdr = "02:00:00:01"}).persist(); }},
        {"neighbour address 10.70.0.300", "NeighborOptions.address '10.70.0.300'",
         [&] { Neighbor::create(ns, {.dev = l, .address = "10.70.0.300", .lladdr = "02:00:00:00:00:05"}).persist(); }},
        {"fdb dst 172.16.0.300", "FdbOptions.dst '172.16.0.300'",
         [&] { FdbEntry::create(ns, {.dev = l, .dst = "172.16.0.300"}).persist(); }},
        // --- link settings ---
        {"mtu 0", "mtu 0", [&] { Link(l).set_mtu(0); }, false},
        {"mtu 70000", "mtu 70000", [&] { Link(l).set_mtu(70000); }, false},
        // --- VLAN ids, VNIs, parents ---
        {"VLAN id 0", "VlanOptions.id: 0", [&] { Vlan::create(ns, {.name = "bi0.0", .parent = l, .id = 0}); }},
        {"VLAN id 4095", "VlanOptions.id: 4095", [&] { Vlan::create(ns, {.name = "bi0.4095", .parent = l, .id = 4095}); }},
        {"VLAN id -1", "VlanOptions.id: -1", [&] { Vlan::create(ns, {.name = "bi0.x", .parent = l, .id = -1}); }},
        {"vlan without a parent", "VlanOptions.parent", [&] { Vlan::create(ns, {.name = "v100", .id = 100}); }},
        {"macvlan whose parent is gone", "bigone0", [&] { Macvlan::create(ns, {.name = "mv0", .parent = gone}); }, false},
        {"route via a link handle that is gone", "bigone0", [&] { Route::create(ns, {.dst = "10.5.0.0/16", .dev = gone}).persist(); }, false},
        {"macvlan without a parent", "MacvlanOptions.parent", [&] { Macvlan::create(ns, {.name = "mv0"}); }},
        {"ipvlan without a parent", "IpvlanOptions.parent", [&] { Ipvlan::create(ns, {.name = "iv0"}); }},
        {"fdb entry with VLAN id 4095", "FdbOptions.vlan 4095",
         [&] { FdbEntry::create(ns, {.dev = l, .mac = "02:00:00:00:00:09", .vlan = 4095, .table = FdbTable::Master}).persist(); }},
        {"VNI 2^24", "VxlanOptions.vni: 16777216 exceeds 2^24-1", [&] { Vxlan::create(ns, {.name = "vx0", .vni = 1u << 24}); }},
        {"vxlan without a VNI", "VxlanOptions.vni: not given", [&] { Vxlan::create(ns, {.name = "vx0"}); }},
        {"vxlan TTL 256", "VxlanOptions.ttl: 256", [&] { Vxlan::create(ns, {.name = "vx0", .vni = 10, .ttl = 256}); }},
        {"vxlan source ports 2000-1000", "VxlanOptions.source_ports: 2000-1000",
         [&] { Vxlan::create(ns, {.name = "vx0", .vni = 10, .source_ports = VxlanPortRange{2000, 1000}}); }},
        {"vxlan underlay device that does not exist", "VxlanOptions.device: device nosuchdev0",
         [&] { Vxlan::create(ns, {.name = "vx0", .vni = 10, .device = "nosuchdev0"}); }, false},
        // --- ports ---
        {"DNAT port 0", "DnatOptions.dport is 0",
         [&] { Dnat::create(ns, {.protocol = Protocol::Tcp, .dport = 0, .to = IpAddress::parse("10.70.0.2")}); }},
        {"DNAT to 10.70.0.300", "DnatOptions.to '10.70.0.300' is not an IPv4 or IPv6 address",
         [&] { Dnat::create(ns, {.protocol = Protocol::Tcp, .dport = 80, .to = "10.70.0.300"}); }},
        {"masquerade saddr 10.70.0.0/33", "MasqueradeOptions.saddr '10.70.0.0/33'",
         [&] { Masquerade::create(ns, {.saddr = "10.70.0.0/33"}); }},
        {"filter rule port without a protocol", "FilterRuleOptions.dport 53", [&] { FilterRule::create(ns, {.dport = 53}); }},
        {"DNAT to 0.0.0.0", "0.0.0.0", [&] { Dnat::create(ns, {.protocol = Protocol::Tcp, .dport = 80, .to = IpAddress()}); }},
        // --- rules, nexthops, sysctls ---
        {"rule from 10.0.0.0/40", "10.0.0.0/40", [&] { Rule::create(ns, {.from = "10.0.0.0/40", .table = 100}).persist(); }},
        {"nexthop via 300.1.1.1", "300.1.1.1", [&] { Nexthop::create(ns, {.id = 7, .via = "300.1.1.1", .dev = "bi0"}).persist(); }},
        {"sysctl outside net.*", "kernel.hostname", [&] { set_sysctl(ns, "kernel.hostname", "x"); }},
        {"sysctl key with an empty component", "net.ipv4..ip_forward", [&] { set_sysctl(ns, "net.ipv4..ip_forward", "1"); }},
        {"sysctl key that climbs out", "net.ipv4/../../x", [&] { set_sysctl(ns, "net.ipv4/../../x", "1"); }},
        {"sysctl value with a newline", "1\\n0", [&] { set_sysctl(ns, "net.ipv4.ip_forward", "1\n0"); }},
        {"interface sysctl of a bad interface name", "a/b",
         [&] { set_interface_sysctl(ns, "a/b", "forwarding", "1"); }},
        // --- a transaction step with bad input is named, and rolls back the steps before it ---
        {"transaction step with a bad prefix", "10.9.9.9/33",
         [&] {
             Transaction tx;
             tx.add("create veth", [&] { return VethPair::create(ns, {.name = "tx0", .peer = {.name = "tx1"}}); });
             tx.add_address(l, "10.9.9.9/33");
         },
         false},
    };

    const test::NetnsState before = test::NetnsState::of(ns);
    const auto named_before = Netns::list();
    int refused = 0;
    for (const auto& row : rows) {
        CAPTURE(row.input);
        CountSends counter;
        bool threw = false;
        std::string what;
        {
            detail::ScopedFaultInjector inject(counter);
            try {
                row.call();
            } catch (const Error& e) {
                threw = true;
                what = e.what();
            }
        }
        CHECK_MESSAGE(threw, "accepted: " << row.input);
        if (!threw) continue;
        INFO("what(): " << what);
        CHECK_MESSAGE(what.find(row.needle) != std::string::npos, "the message does not name '" << row.needle << "'");
        if (row.up_front) CHECK_MESSAGE(counter.sends == 0, counter.sends << " netlink request(s) sent before the refusal");
        std::string changed = before.diff(test::NetnsState::of(ns));
        CHECK_MESSAGE(changed.empty(), "the kernel changed:\n" << changed);
        CHECK(Netns::list() == named_before);
        if (what.find(row.needle) != std::string::npos && changed.empty()) ++refused;
    }
    MESSAGE("bad input: " << refused << " of " << rows.size() << " rows refused naming the value, nothing changed");
    CHECK(rows.size() >= 40);
    ::waitpid(zombie, nullptr, 0);
}
