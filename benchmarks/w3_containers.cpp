// W3 — 50 "containers" hanging off bridges: set them up, then tear them down.
//
// A container is a named namespace (nsb<pid>-cI) with a veth pair: vhI in the "host" namespace
// (nsb<pid>-h, a namespace this benchmark creates to play the host; never the real one) enslaved to
// a bridge, and eth0 inside, up with an address in the bridge's /16 and a default route via the
// bridge's address; lo up. A bridge numbers its ports 1..1023 (BR_MAX_PORTS is 1,024, port 0 is
// reserved), so the containers are spread over bridges of P each (--containers-per-bridge P,
// default 1000): container I hangs off bridge brK, K = I / P, which has 10.(200+K).0.1/16, and
// gets 10.(200+K).X.Y/16 (X.Y from I's place on its bridge). Up to 1,000 containers that is one
// bridge, br0 (10.200.0.1/16), as W3 always was. The bridges and the host ends are tagged with
// interface group 4343.
//
// Setup:    nsnet (RequestBatch)  NetnsGroup::create (50 namespaces from one thread, each one's socket
//                                 opened inside); the bridges (one batch and one look-up each), then
//                                 one batch in the host (every veth created in its container, up,
//                                 enslaved), one per container (lo, eth0, address, route)
//           nsnet (objects)       Netns::create, VethPair::create, Link::set_master/up, add_address,
//                                 Route::create: one request (and look-ups) at a time
//           ip -batch             `ip -batch` (netns add x50), `ip -n HOST -batch` (bridges, link add
//                                 ... netns cI), then `ip -n cI -batch` per container: 52 processes
//           libnl                 benchmarks/libnl/w3_containers.c: one synchronous request per step
//           floor (pipelined)     benchmarks/floor/floor.c: raw rtnetlink by hand; namespaces made as
//                                 `ip netns add` does, every host request in one sendmsg (the bridges
//                                 with assigned ifindexes), then per container one look-up and one
//                                 sendmsg of its four requests; every answer collected at the end
// Teardown: nsnet (LinkGroup + netns)   one RTM_DELLINK for the group (the bridges and 50 pairs, whose
//                                       container ends go with them), then NetnsGroup::remove()
//           ip -batch (group + netns)   the same with ip: `link del group 4343`, `netns del cI` x50
//           floor (group + netns)       the same by hand: one RTM_DELLINK, then umount + unlink x50
//           per object (nsnet, libnl, ip -batch): `link del vhI` x50, `link del brK` per bridge,
//                                 `netns del` x50
// Deleting a namespace is immediate (its name goes); the kernel frees it later in the background,
// the same way for every tool, and the driver pauses between runs so that this work lands in none.
#include <nsnet/link_group.hpp>
#include <nsnet/netns_group.hpp>
#include <nsnet/request_batch.hpp>
#include <nsnet/route_dump.hpp>
#include <nsnet/netns.hpp>
#include <nsnet/route.hpp>
#include <nsnet/veth.hpp>

#include "bench.hpp"

using namespace nsnet;

namespace {

constexpr std::uint32_t group_id = 4343;
// A bridge's port numbers are 1..1023 (BR_MAX_PORTS 1,024, port 0 reserved).
constexpr int max_ports_per_bridge = 1023;
// Bridge K's network is 10.(200+K).0.0/16: the second byte stops at 255.
constexpr int max_bridges = 256 - 200;

// Which bridge each container hangs off, and the addresses that follow from it.
struct Layout {
    int containers = 0;
    int per_bridge = 1000;

    int bridges() const { return (containers + per_bridge - 1) / per_bridge; }
    int bridge_of(int container) const { return container / per_bridge; }
    // The containers of bridge K are first_on(K) .. last_on(K).
    int first_on(int bridge) const { return bridge * per_bridge; }
    int last_on(int bridge) const { return std::min(containers, (bridge + 1) * per_bridge) - 1; }
};

std::string c_name(const std::string& prefix, int i) { return prefix + "c" + std::to_string(i); }
std::string vh_name(int i) { return "vh" + std::to_string(i); }
std::string bridge_name(int k) { return "br" + std::to_string(k); }
// Bridge K's address (without the prefix length), its containers' default gateway.
std::string gateway(int k) { return "10." + std::to_string(200 + k) + ".0.1"; }
std::string gateway_of(const Layout& l, int i) { return gateway(l.bridge_of(i)); }
// Container I's address: X.Y from its place on its bridge, so that bridge 0's are W3's one-bridge
// addresses (10.200.0.2 ... 10.200.4.201 for 1,000 containers).
std::string c_addr(const Layout& l, int i) {
    const int place = i % l.per_bridge;
    return "10." + std::to_string(200 + l.bridge_of(i)) + "." + std::to_string(place / 200) + "." + std::to_string(place % 200 + 2) + "/16";
}

Link create_bridge(const NetnsRef& host, int k) {
    // ip link add brK group G up type bridge (raw request: the bridge object is bridge.hpp's business)
    RequestBatch b(host);
    b.add(rtnl::link_new({.name = bridge_name(k), .kind = "bridge", .group = group_id, .up = true}), "create bridge", bridge_name(k));
    b.run_or_throw(BatchAcks::Each);
    Link br = Link::get(host, bridge_name(k));
    br.add_address(gateway(k) + "/16");
    return br;
}

std::vector<Link> create_bridges(const NetnsRef& host, const Layout& l) {
    std::vector<Link> bridges;
    for (int k = 0; k < l.bridges(); ++k) bridges.push_back(create_bridge(host, k));
    return bridges;
}

// --worker setup-batch|setup-objects|teardown-group|teardown-each HOST PREFIX N PER_BRIDGE
int worker(const std::vector<std::string>& a) {
    const std::string& op = a.at(0);
    auto host = NetnsRef::open(a.at(1));
    const std::string prefix = a.at(2);
    const Layout l{.containers = std::stoi(a.at(3)), .per_bridge = std::stoi(a.at(4))};
    const int n = l.containers;
    if (op == "setup-batch") {
        std::vector<std::string> names;
        for (int i = 0; i < n; ++i) names.push_back(c_name(prefix, i));
        auto cs = NetnsGroup::create(names);  // one thread, sockets opened inside
        std::vector<Link> bridges = create_bridges(host, l);
        RequestBatch hb(host);
        for (int i = 0; i < n; ++i)
            hb.create_veth({.name = vh_name(i), .group = group_id}, {.name = "eth0", .netns = cs[static_cast<std::size_t>(i)]},
                           {.up = true, .master = bridges[static_cast<std::size_t>(l.bridge_of(i))]});
        hb.run_or_throw();
        for (int i = 0; i < n; ++i) {
            const NetnsRef& c = cs[static_cast<std::size_t>(i)];
            RequestBatch cb(c);
            cb.set_up("lo").set_up("eth0");
            cb.add_address(Link::get(c, "eth0"), c_addr(l, i));
            cb.create_route(RouteOptions{.dst = "default", .via = gateway_of(l, i)});
            cb.run_or_throw();
        }
        cs.persist();
    } else if (op == "setup-objects") {
        std::vector<Netns> cs;
        for (int i = 0; i < n; ++i) cs.push_back(Netns::create(c_name(prefix, i)));
        std::vector<Link> bridges = create_bridges(host, l);
        for (int i = 0; i < n; ++i) {
            const Netns& c = cs[static_cast<std::size_t>(i)];
            auto pair = VethPair::create(host, {.name = vh_name(i), .group = group_id, .peer = {.name = "eth0", .netns = c}});
            pair.first().set_master(bridges[static_cast<std::size_t>(l.bridge_of(i))]);
            pair.first().up();
            Link::loopback(c).up();
            pair.second().up();
            pair.second().add_address(c_addr(l, i));
            Route::create(c, {.dst = "default", .via = gateway_of(l, i)}).persist();
            pair.persist();
        }
        for (auto& c : cs) c.persist();
    } else if (op == "teardown-group") {
        std::vector<std::string> names;
        for (int i = 0; i < n; ++i) names.push_back(c_name(prefix, i));
        LinkGroup::adopt(host, group_id).remove();  // every brK and vhI (and so every eth0): one request
        NetnsGroup::adopt(names).remove();          // the names, unmounted from 8 threads at once
    } else if (op == "teardown-each") {
        for (int i = 0; i < n; ++i) Link::get(host, vh_name(i)).remove();
        for (int k = 0; k < l.bridges(); ++k) Link::get(host, bridge_name(k)).remove();
        for (int i = 0; i < n; ++i) Netns::remove(c_name(prefix, i));
    } else {
        throw std::runtime_error("unknown worker operation " + op);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    if (!cli.worker.empty()) return worker(cli.worker);
    bench::start_driver("W3 containers");

    const Layout layout{.containers = static_cast<int>(cli.num("containers", cli.quick ? 10 : 50)),
                        .per_bridge = static_cast<int>(cli.num("containers-per-bridge", 1000))};
    const int n = layout.containers, bridges = layout.bridges();
    if (n < 1) throw std::runtime_error("--containers: at least 1");
    if (layout.per_bridge < 1 || layout.per_bridge > max_ports_per_bridge)
        throw std::runtime_error("--containers-per-bridge: 1 to " + std::to_string(max_ports_per_bridge) + " (a bridge's port numbers)");
    if (bridges > max_bridges)
        throw std::runtime_error(std::to_string(bridges) + " bridges: at most " + std::to_string(max_bridges) +
                                 " (bridge K's network is 10.(200+K).0.0/16); raise --containers-per-bridge");
    const std::string prefix = bench::prefix();
    const std::string host_name = prefix + "h";
    const std::string host_path = bench::track_netns(host_name);
    for (int i = 0; i < n; ++i) bench::track_netns(c_name(prefix, i));
    auto host = Netns::create(host_name);
    const std::string N = std::to_string(n), P = std::to_string(layout.per_bridge), G = std::to_string(group_id);

    // ip's batch files: the host's, one per container, and the two teardowns.
    char dir_template[] = "/tmp/nsbench-w3-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    {
        std::string netns, setup, each, group, netns_del;
        for (int i = 0; i < n; ++i) netns += "netns add " + c_name(prefix, i) + "\n";
        for (int k = 0; k < bridges; ++k)
            setup += "link add " + bridge_name(k) + " group " + G + " up type bridge\naddr add " + gateway(k) + "/16 dev " + bridge_name(k) + "\n";
        for (int i = 0; i < n; ++i) {
            setup += "link add " + vh_name(i) + " group " + G + " master " + bridge_name(layout.bridge_of(i)) +
                     " up type veth peer name eth0 netns " + c_name(prefix, i) + "\n";
            bench::write_file(dir + "/c" + std::to_string(i) + ".batch", "link set lo up\nlink set eth0 up\naddr add " + c_addr(layout, i) +
                                                                            " dev eth0\nroute add default via " + gateway_of(layout, i) + "\n");
            each += "link del " + vh_name(i) + "\n";
        }
        for (int k = 0; k < bridges; ++k) each += "link del " + bridge_name(k) + "\n";
        group = "link del group " + G + "\n";
        for (int i = 0; i < n; ++i) netns_del += "netns del " + c_name(prefix, i) + "\n";
        bench::write_file(dir + "/netns.batch", netns);
        bench::write_file(dir + "/setup.batch", setup);
        bench::write_file(dir + "/teardown-each.batch", each);
        bench::write_file(dir + "/teardown-group.batch", group);
        bench::write_file(dir + "/netns-del.batch", netns_del);
    }
    const std::string libnl = cli.libnl_dir + "/libnl_w3_containers";
    const bool have_libnl = bench::executable(libnl);
    const std::string floor = cli.libnl_dir + "/floor";
    if (!bench::executable(floor)) throw std::runtime_error("the floor program is not built: " + floor);

    bench::Table t("W3", std::to_string(n) + " containers on " +
                             (bridges == 1 ? std::string("a bridge") : std::to_string(bridges) + " bridges (" + P + " containers each at most)") +
                             " in a host namespace, setup then teardown");
    t.ops("setup", n, "container");
    t.ops("teardown", n, "container");
    t.reference("setup", "nsnet (RequestBatch)");
    t.reference("teardown", "nsnet (LinkGroup + netns)");
    if (!have_libnl) {
        t.missing("setup", "libnl", "not built: " + libnl);
        t.missing("teardown", "libnl (per object)", "not built: " + libnl);
    }

    // The state every setup must produce: the host's links, every bridge up with its address, and
    // the first and last container of every bridge configured, with its host end a port of that
    // bridge and its default route via that bridge's address.
    auto check_setup = [&](const std::string& tool) {
        const std::size_t expected_links = static_cast<std::size_t>(n + bridges) + 1;  // vhI, brK, lo
        if (std::size_t links = Link::list(host).size(); links != expected_links)
            throw std::runtime_error(tool + " setup: " + std::to_string(links) + " links in the host namespace, expected " +
                                     std::to_string(expected_links));
        for (int k = 0; k < bridges; ++k) {
            Link br = Link::get(host, bridge_name(k));
            bool br_addr = false;
            for (auto& ad : br.addresses()) br_addr |= ad.prefix.to_string() == gateway(k) + "/16";
            if (!br.info().is_up() || !br_addr)
                throw std::runtime_error(tool + " setup: bridge " + bridge_name(k) + " is not up with " + gateway(k) + "/16");
            for (int i : {layout.first_on(k), layout.last_on(k)}) {
                if (Link::get(host, vh_name(i)).info().master != br.index())
                    throw std::runtime_error(tool + " setup: " + vh_name(i) + " is not a port of " + bridge_name(k));
                auto c = NetnsRef::open(c_name(prefix, i));
                Link eth0 = Link::get(c, "eth0");
                auto info = eth0.info();
                bool addr = false;
                for (auto& ad : eth0.addresses()) addr |= ad.prefix.to_string() == c_addr(layout, i);
                bool via_bridge = false;  // the default route's gateway is this bridge's address
                std::size_t routes = for_each_route(
                    c, [&](const RouteInfo& r) { via_bridge |= r.is_default() && r.gateway && r.gateway->to_string() == gateway(k); },
                    {.family = Family::V4, .table = 254});
                if (!info.is_up() || !addr || routes != 2 || !via_bridge || !Link::loopback(c).info().is_up())
                    throw std::runtime_error(tool + " setup: container " + std::to_string(i) + " is not configured as expected");
            }
        }
    };
    auto check_teardown = [&](const std::string& tool) {
        if (std::size_t links = Link::list(host).size(); links != 1)
            throw std::runtime_error(tool + " teardown: " + std::to_string(links) + " links left in the host namespace");
        for (int i = 0; i < n; ++i)
            if (::access(("/run/netns/" + c_name(prefix, i)).c_str(), F_OK) == 0)
                throw std::runtime_error(tool + " teardown: namespace " + c_name(prefix, i) + " is left");
    };
    auto nsnet = [&](const std::string& op) { return bench::run_ok({cli.self, "--worker", op, host_name, prefix, N, P}); };
    auto ip_setup = [&] {
        // `netns add` cannot go in the host's batch: `ip -n NS` works in a private mount namespace,
        // where the namespaces' bind mounts would stay.
        bench::Run r = bench::run_ok({"ip", "-batch", dir + "/netns.batch"});
        r += bench::run_ok({"ip", "-n", host_name, "-batch", dir + "/setup.batch"});
        for (int i = 0; i < n; ++i) r += bench::run_ok({"ip", "-n", c_name(prefix, i), "-batch", dir + "/c" + std::to_string(i) + ".batch"});
        return r;
    };
    auto ip_teardown = [&](const char* links) {
        bench::Run r = bench::run_ok({"ip", "-n", host_name, "-batch", dir + links});
        r += bench::run_ok({"ip", "-batch", dir + "/netns-del.batch"});  // outside `ip -n`'s mount namespace
        return r;
    };
    bench::SpawnOptions in_host;
    in_host.netns_path = host_path;

    struct Pair {
        std::string setup_name;
        std::function<bench::Run()> setup;
        std::string teardown_name;
        std::function<bench::Run()> teardown;
    };
    std::vector<Pair> pairs = {
        {"floor (pipelined)", [&] { return bench::run_ok({floor, "w3", "setup", prefix, N, P, G}, in_host); }, "floor (group + netns)",
         [&] { return bench::run_ok({floor, "w3", "teardown", prefix, N, G}, in_host); }},
        {"nsnet (RequestBatch)", [&] { return nsnet("setup-batch"); }, "nsnet (LinkGroup + netns)", [&] { return nsnet("teardown-group"); }},
        {"nsnet (objects)", [&] { return nsnet("setup-objects"); }, "nsnet (per object)", [&] { return nsnet("teardown-each"); }},
        {"ip -batch", ip_setup, "ip -batch (per object)", [&] { return ip_teardown("/teardown-each.batch"); }},
        {"ip -batch", ip_setup, "ip -batch (group + netns)", [&] { return ip_teardown("/teardown-group.batch"); }},
    };
    if (have_libnl)
        pairs.push_back({"libnl", [&] { return bench::run_ok({libnl, "setup", prefix, N, P, G}, in_host); }, "libnl (per object)",
                         [&] { return bench::run_ok({libnl, "teardown", prefix, N, P}, in_host); }});

    for (int rep = 0; rep < cli.reps; ++rep) {
        for (std::size_t k = 0; k < pairs.size(); ++k) {
            const Pair& p = pairs[(k + static_cast<std::size_t>(rep)) % pairs.size()];
            t.add("setup", p.setup_name, p.setup());
            check_setup(p.setup_name);
            // New interfaces keep the kernel busy for a while (IPv6 duplicate address detection,
            // router solicitations, under the same rtnl lock teardown needs): let that finish.
            bench::settle(2.0);
            t.add("teardown", p.teardown_name, p.teardown());
            check_teardown(p.teardown_name);
            bench::settle(1.5);  // the kernel frees the namespaces in the background
        }
    }

    t.target("W3 setup: nsnet (RequestBatch) within 1.15x of the floor", t.wall("setup", "nsnet (RequestBatch)") / t.wall("setup", "floor (pipelined)"),
             t.cpu("setup", "nsnet (RequestBatch)") / t.cpu("setup", "floor (pipelined)"), 1.15, false, "×");
    t.target("W3 setup: nsnet (objects) within 1.5x of the floor", t.wall("setup", "nsnet (objects)") / t.wall("setup", "floor (pipelined)"),
             t.cpu("setup", "nsnet (objects)") / t.cpu("setup", "floor (pipelined)"), 1.5, false, "×");
    if (have_libnl)
        t.target("W3 setup: nsnet (RequestBatch) faster than libnl by", t.wall("setup", "libnl") / t.wall("setup", "nsnet (RequestBatch)"),
                 t.cpu("setup", "libnl") / t.cpu("setup", "nsnet (RequestBatch)"), 1.0, true, "×");
    t.target("W3 setup: nsnet (RequestBatch) faster than ip -batch by", t.wall("setup", "ip -batch") / t.wall("setup", "nsnet (RequestBatch)"),
             t.cpu("setup", "ip -batch") / t.cpu("setup", "nsnet (RequestBatch)"), 2.0, true, "×");
    for (const char* each : {"nsnet (per object)", "ip -batch (per object)", "libnl (per object)"}) {
        if (t.wall("teardown", each) == 0) continue;
        t.target(std::string("W3 teardown: nsnet (LinkGroup + netns) faster than ") + each + " by",
                 t.wall("teardown", each) / t.wall("teardown", "nsnet (LinkGroup + netns)"),
                 t.cpu("teardown", each) / t.cpu("teardown", "nsnet (LinkGroup + netns)"), 10.0, true, "×");
    }
    t.print(cli.reps, bench::load_note());
    for (const char* f : {"/netns.batch", "/setup.batch", "/teardown-each.batch", "/teardown-group.batch", "/netns-del.batch"}) std::remove((dir + f).c_str());
    for (int i = 0; i < n; ++i) std::remove((dir + "/c" + std::to_string(i) + ".batch").c_str());
    ::rmdir(dir.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "w3_containers: %s\n", e.what());
    return 1;
}
