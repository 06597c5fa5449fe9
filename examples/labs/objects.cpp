// examples/labs/objects.cpp — the tutorial's table of iproute2 objects (iproute2 所有操作对象),
// each one nsnet covers shown working in one namespace with a veth pair.
//
// Topology: namespace `objects` (nsl-objects) with a veth pair eth0 <-> eth1 inside it; eth0 has
// the tutorial's 192.168.1.10/24 (the source of its `ip rule` example), the gateway 192.168.1.1 of
// its `ip route` / `ip nexthop` examples is on eth0's subnet; eth1 becomes a bridge port for the
// `bridge fdb` example. A Monitor (`ip monitor all`) is started first and prints the events live,
// prefixed "monitor:", while the lab changes links and addresses.
//
// Checks (one per object): link, address, route, rule (`from 192.168.1.10 lookup 100` changes the
// route lookup), neighbor, monitor (saw the changes; view equals a fresh dump; an overrun is
// recovered), netns, bridge fdb, nexthop (a route through it). Route lookups are `ip route get`
// (no packet leaves the namespace).
#include <nsnet/fdb.hpp>
#include <nsnet/monitor/pump.hpp>
#include <nsnet/neighbor.hpp>
#include <nsnet/nexthop.hpp>
#include <nsnet/rule.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stop_token>
#include <thread>

#include "lab.hpp"

namespace {

std::string route_text(const nsnet::RouteInfo& r) {
    std::string s = r.gateway ? "via " + r.gateway->to_string() : std::string("direct");
    if (!r.dev.empty()) s += " dev " + r.dev;
    s += " table " + std::to_string(r.table);
    if (r.nh_id) s += " nhid " + std::to_string(r.nh_id);
    return s;
}

// The live printer: a Monitor running on a worker thread, printing each event as it arrives and
// keeping a consumer's view built only from the events.
class LiveMonitor {
public:
    explicit LiveMonitor(const nsnet::NetnsRef& ns) : mon_(nsnet::Monitor::open(ns)), consumer_(mon_.view()) {
        worker_ = std::jthread([this](std::stop_token st) {
            mon_.run(
                [this](const nsnet::MonitorEvent& e) {
                    std::lock_guard lock(mutex_);
                    consumer_.apply(e);
                    events_.push_back(e);
                    // Routes of the local table (local/broadcast entries the kernel adds for every
                    // address) are counted but not printed, to keep the output readable.
                    if (auto* r = e.route(); r && r->table == RT_TABLE_LOCAL) return;
                    std::printf("  monitor: %s\n", nsnet::to_string(e, &consumer_).c_str());
                    std::fflush(stdout);
                },
                st);
        });
    }
    LiveMonitor(LiveMonitor&&) = delete;
    ~LiveMonitor() { stop(); }
    void stop() {
        if (worker_.joinable()) {
            worker_.request_stop();
            worker_.join();
        }
    }
    // After stop(): the monitor and what the consumer saw.
    nsnet::Monitor& monitor() { return mon_; }
    nsnet::MonitorView& consumer() { return consumer_; }
    const std::vector<nsnet::MonitorEvent>& events() const { return events_; }
    bool saw(nsnet::EventType type, nsnet::ObjectKind kind, const std::function<bool(const nsnet::MonitorEvent&)>& pred) {
        std::lock_guard lock(mutex_);
        for (const auto& e : events_)
            if (e.type == type && e.kind == kind && pred(e)) return true;
        return false;
    }

private:
    nsnet::Monitor mon_;
    nsnet::MonitorView consumer_;
    std::vector<nsnet::MonitorEvent> events_{};
    std::mutex mutex_{};
    std::jthread worker_{};
};

// Drains a stopped monitor into its consumer until it is quiet, then compares with a fresh dump
// (retrying while the kernel settles). Returns the differences.
std::vector<std::string> converge(nsnet::Monitor& mon, nsnet::MonitorView& consumer) {
    std::vector<std::string> diff;
    for (int attempt = 0; attempt < 10; ++attempt) {
        while (auto e = mon.next(std::chrono::milliseconds(150))) consumer.apply(*e);
        diff = nsnet::differences(consumer, nsnet::snapshot(mon.netns(), mon.options()));
        if (diff.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return diff;
}

}  // namespace

NSNET_LAB("objects", "iproute2 所有操作对象", [](lab::Context& ctx) {
    using namespace nsnet;
    using namespace std::chrono_literals;

    // ---- netns: ip netns add objects
    auto& ns = ctx.netns("objects");
    {
        auto names = Netns::list();
        bool listed = std::find(names.begin(), names.end(), ctx.name("objects")) != names.end();
        auto links = Link::list(ns);
        bool only_lo = links.size() == 1 && links[0].name == "lo";
        NetnsRef again = NetnsRef::open(ctx.name("objects"));
        ctx.check("netns: `ip netns add` made " + ctx.name("objects") + ", listed by `ip netns list`, only lo inside",
                  listed && only_lo && again == ns,
                  std::string(listed ? "listed" : "NOT listed") + ", " + std::to_string(links.size()) + " link(s), " +
                      "reopened by name: same namespace");
    }
    // Quieter IPv6 (no duplicate address detection) so the monitor's view settles at once.
    ns.run([] {
        for (const char* p : {"/proc/sys/net/ipv6/conf/all/accept_dad", "/proc/sys/net/ipv6/conf/default/accept_dad"})
            if (FILE* f = std::fopen(p, "w")) {
                std::fputs("0\n", f);
                std::fclose(f);
            }
    });

    // ---- monitor: ip monitor all (started before anything changes; prints live)
    ctx.note("ip -n " + ctx.name("objects") + " monitor all   (nsnet::Monitor on a worker thread, events below as they happen)");
    auto live = std::make_unique<LiveMonitor>(ns);

    // ---- link: ip link add eth0 type veth peer name eth1; ip link set eth0 up
    ctx.note("ip link add eth0 type veth peer name eth1; ip link set lo up; ip link set eth0 up; ip link set eth1 up");
    auto& veth = ctx.own(VethPair::create(ns, {.name = "eth0", .peer = {.name = "eth1"}}));
    const Link& eth0 = veth.first();
    const Link& eth1 = veth.second();
    Link::loopback(ns).up();
    eth0.up();
    eth1.up();
    ctx.wait_until_up(eth0);
    {
        auto info = eth0.info();
        auto links = Link::list(ns);
        ctx.check("link: `ip link show` lists lo, eth0, eth1; `ip link set eth0 up` made it UP",
                  links.size() == 3 && info.is_up() && info.kind == "veth",
                  "eth0 " + std::string(info.is_up() ? "UP" : "DOWN") + (info.has_carrier() ? ",LOWER_UP" : "") +
                      " mtu " + std::to_string(info.mtu) + " " + (info.mac ? info.mac->to_string() : ""));
    }

    // ---- address: ip addr add 192.168.1.10/24 dev eth0
    ctx.note("ip addr add 192.168.1.10/24 dev eth0");
    eth0.add_address("192.168.1.10/24");
    {
        bool found = false;
        for (const auto& a : eth0.addresses()) found |= a.prefix == Prefix::parse("192.168.1.10/24");
        ctx.check("address: `ip addr add 192.168.1.10/24 dev eth0` shows in `ip addr show dev eth0`", found,
                  std::to_string(eth0.addresses().size()) + " address(es) on eth0");
    }
    ctx.show(ns);

    // ---- route: ip route add default via 192.168.1.1
    ctx.note("ip route add default via 192.168.1.1");
    Route::create(ns, {.dst = "default", .via = "192.168.1.1"}).persist();
    {
        auto r = Route::get(ns, "198.51.100.8");
        ctx.check("route: `ip route get 198.51.100.8` uses the default via 192.168.1.1 dev eth0",
                  r.gateway == IpAddress::parse("192.168.1.1") && r.dev == "eth0", route_text(r));
    }

    // ---- rule: ip rule add from 192.168.1.10 lookup 100 (table 100: default via 192.168.1.2)
    ctx.note("ip route add default via 192.168.1.2 table 100; ip rule add from 192.168.1.10 lookup 100");
    Route::create(ns, {.dst = "default", .via = "192.168.1.2", .table = 100}).persist();
    Rule::create(ns, {.from = "192.168.1.10", .table = 100}).persist();
    {
        auto from = Route::get(ns, {.to = "198.51.100.8", .from = "192.168.1.10"});
        auto plain = Route::get(ns, "198.51.100.8");
        bool listed = false;
        for (const auto& r : Rule::list(ns, {.family = Family::V4}))
            listed |= r.from == Prefix::parse("192.168.1.10/32") && r.table == 100;
        ctx.check("rule: `ip rule add from 192.168.1.10 lookup 100` sends that source to table 100",
                  listed && from.gateway == IpAddress::parse("192.168.1.2") && from.table == 100 &&
                      plain.gateway == IpAddress::parse("192.168.1.1"),
                  "from 192.168.1.10: " + route_text(from) + "; other sources: " + route_text(plain));
    }

    // ---- neighbor: ip neigh add 192.168.1.1 lladdr 02:00:00:00:00:01 dev eth0; ip neigh show
    ctx.note("ip neigh add 192.168.1.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent; "
             "ip neigh add 192.168.1.3 lladdr 02:00:00:00:00:03 dev eth0 nud stale; ip neigh show dev eth0");
    // (entries die with eth0, so the lab keeps them: persist())
    Neighbor::create(ns, {.dev = eth0, .address = "192.168.1.1", .lladdr = "02:00:00:00:00:01"}).persist();
    Neighbor::create(ns, {.dev = eth0, .address = "192.168.1.3", .lladdr = "02:00:00:00:00:03", .state = NeighborState::Stale})
        .persist();
    {
        std::string shown;
        bool gw = false;
        for (const auto& n : Neighbor::list(ns, {.family = Family::V4, .dev = eth0})) {
            shown += (shown.empty() ? "" : "; ") + n.address.to_string() + " lladdr " +
                     (n.lladdr ? n.lladdr->to_string() : "-") + " " + rtnl::to_string(n.state);
            gw |= n.address == IpAddress::parse("192.168.1.1") && n.state == NeighborState::Permanent &&
                  n.lladdr == MacAddress::parse("02:00:00:00:00:01");
        }
        std::size_t flushed = Neighbor::flush(ns, {.dev = eth0, .family = Family::V4});
        bool kept = Neighbor::find(ns, {.dev = eth0, .address = "192.168.1.1"}).has_value();
        ctx.check("neighbor: `ip neigh show` has 192.168.1.1 PERMANENT; `ip neigh flush dev eth0` removed the stale one only",
                  gw && flushed == 1 && kept, shown + "; flushed " + std::to_string(flushed));
    }

    // ---- bridge fdb: ip link add br0 type bridge; ip link set eth1 master br0;
    //      bridge fdb add 02:00:00:00:00:0a dev eth1 master static; bridge fdb show dev eth1
    ctx.note("ip link add br0 type bridge; ip link set eth1 master br0; bridge fdb add 02:00:00:00:00:0a dev eth1 master static");
    if (std::string why = ctx.kernel_lacks("bridge"); !why.empty()) {
        ctx.skip("bridge fdb: static entry on a bridge port", why);
    } else {
        auto& br0 = ctx.own(Bridge::create(ns, {.name = "br0"}));
        br0.add_port(eth1);
        br0.up();
        FdbEntry::create(ns, {.dev = eth1, .mac = "02:00:00:00:00:0a", .state = FdbState::Static, .table = FdbTable::Master})
            .persist();
        bool found = false;
        std::string shown;
        for (const auto& f : FdbEntry::list(ns, {.dev = eth1, .mac = "02:00:00:00:00:0a"})) {
            found |= f.in_master() && f.is_static();
            shown = f.to_string([&](int i) { return i == eth1.index() ? std::string("eth1") : i == br0.index() ? std::string("br0") : std::string(); });
        }
        ctx.check("bridge fdb: `bridge fdb show dev eth1` has the static entry in br0's table", found, shown);
    }

    // ---- nexthop: ip nexthop add id 1 via 192.168.1.1 dev eth0; ip route add 10.70.0.0/16 nhid 1
    ctx.note("ip nexthop add id 1 via 192.168.1.1 dev eth0; ip route add 10.70.0.0/16 nhid 1; ip route get 10.70.0.1");
    if (!Nexthop::supported(ns)) {
        ctx.skip("nexthop: route through a nexthop object", "this kernel has no nexthop objects (Linux 5.3+)");
    } else {
        Nexthop::create(ns, {.id = 1, .via = "192.168.1.1", .dev = "eth0"}).persist();
        Route::create(ns, {.dst = "10.70.0.0/16", .nexthop_id = 1}).persist();
        auto nh = Nexthop::find(ns, 1);
        bool listed = false;  // ip route show: 10.70.0.0/16 nhid 1 via 192.168.1.1 dev eth0
        for (const auto& r : Route::list(ns, {.family = Family::V4}))
            listed |= r.dst == Prefix::parse("10.70.0.0/16") && r.nh_id == 1;
        auto r = Route::get(ns, "10.70.0.1");  // ip route get resolves the nexthop
        ctx.check("nexthop: `ip nexthop add id 1 via 192.168.1.1 dev eth0`; a route with nhid 1 goes through it",
                  nh && nh->gateway == IpAddress::parse("192.168.1.1") && nh->oif == eth0.index() && listed &&
                      r.gateway == IpAddress::parse("192.168.1.1") && r.dev == "eth0",
                  "id 1 via " + (nh && nh->gateway ? nh->gateway->to_string() : std::string("?")) +
                      " dev eth0; ip route show: 10.70.0.0/16 nhid 1 " + (listed ? "listed" : "MISSING") +
                      "; ip route get 10.70.0.1: " + route_text(r));
    }

    // ---- the monitor once more: change links and addresses while it prints, then stop it.
    ctx.note("ip link set eth0 mtu 1400; ip addr add 2001:db8::10/64 dev eth0; ip addr del 192.168.1.10/24 dev eth0; "
             "ip link set eth0 down");
    eth0.set_mtu(1400);
    eth0.add_address("2001:db8::10/64");
    eth0.remove_address("192.168.1.10/24");
    eth0.down();
    ctx.sleep(500ms);
    live->stop();
    {
        auto diff = converge(live->monitor(), live->consumer());
        for (const auto& d : diff) ctx.note("differs from a fresh dump: " + d);
        auto is_eth0 = [](const MonitorEvent& e) { return e.link() && e.link()->name == "eth0"; };
        bool saw_all =
            live->saw(EventType::New, ObjectKind::Link, is_eth0) &&
            live->saw(EventType::Changed, ObjectKind::Link, [](const MonitorEvent& e) { return e.link()->name == "eth0" && e.link()->mtu == 1400; }) &&
            live->saw(EventType::New, ObjectKind::Address, [](const MonitorEvent& e) { return e.address()->prefix == Prefix::parse("192.168.1.10/24"); }) &&
            live->saw(EventType::Deleted, ObjectKind::Address, [](const MonitorEvent& e) { return e.address()->prefix == Prefix::parse("192.168.1.10/24"); }) &&
            live->saw(EventType::New, ObjectKind::Address, [](const MonitorEvent& e) { return e.address()->prefix == Prefix::parse("2001:db8::10/64"); }) &&
            live->saw(EventType::New, ObjectKind::Rule, [](const MonitorEvent& e) { return e.rule()->table == 100; }) &&
            live->saw(EventType::New, ObjectKind::Neighbor, [](const MonitorEvent& e) { return e.neighbor()->address == IpAddress::parse("192.168.1.1"); }) &&
            live->saw(EventType::New, ObjectKind::Route, [](const MonitorEvent& e) { return e.route()->table == 100; });
        // eth0 down: the kernel flushed its IPv4 routes without a message; the monitor re-read them.
        bool synthetic_route_gone = live->saw(EventType::Deleted, ObjectKind::Route, [](const MonitorEvent& e) {
            return e.synthetic && e.route()->table == 100;
        });
        ctx.check("monitor: saw links, addresses, routes, rules, neighbours change live; view equals `ip` dumps",
                  saw_all && synthetic_route_gone && diff.empty(),
                  std::to_string(live->events().size()) + " events, " +
                      std::to_string(live->monitor().stats().synthetic) + " synthetic (silent kernel changes), " +
                      std::to_string(diff.size()) + " differences from a fresh dump");
    }
    live.reset();

    // ---- monitor under overrun: a minimal receive buffer and a burst nobody reads in time.
    ctx.show(ns);
    ctx.note("ip link add burst0 type veth peer name burst1; a monitor with SO_RCVBUF at the kernel's minimum; "
             "300 addresses added to burst0 in one batch while it does not read");
    {
        VethPair burst = VethPair::create(ns, {.name = "burst0", .peer = {.name = "burst1"}});
        Monitor mon = Monitor::open(ns, {.receive_buffer = 1});
        MonitorView consumer = mon.view();
        nl::Socket writer = ns.netlink_socket();
        nl::Batch batch;
        for (int i = 1; i <= 300; ++i) {
            rtnl::AddressSpec s{.index = burst.first().index(),
                                .prefix = Prefix::parse("10.77." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + "/32")};
            batch.add(rtnl::address_new(s), "add address", s.prefix.to_string());
        }
        batch.run_or_throw(writer);
        auto diff = converge(mon, consumer);
        for (const auto& d : diff) ctx.note("differs from a fresh dump: " + d);
        const auto& st = mon.stats();
        ctx.check("monitor: an overrun (ENOBUFS) is recovered; the consumer's view equals a fresh dump",
                  st.overruns >= 1 && st.resyncs >= 1 && diff.empty(),
                  std::to_string(st.overruns) + " overrun(s), " + std::to_string(st.resyncs) + " resync(s), " +
                      std::to_string(st.synthetic) + " synthetic events, " + std::to_string(diff.size()) +
                      " differences; consumer holds " + std::to_string(consumer.addresses.size()) + " addresses");
    }  // burst0/burst1 deleted here
});
