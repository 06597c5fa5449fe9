// W1 — 10,000 IPv4 /32 routes via a gateway on a veth: add them all, then delete them all.
//
// Tools, each a child process started afresh for every measured run:
//   nsnet              apply_routes()/remove_routes() with a route source: each RouteSpec built as it
//                      is sent, pipelined, the kernel answers only refusals
//   nsnet (acks: each) the same with an acknowledgement per route (BatchAcks::Each)
//   nsnet (vector of routes)  the same, every RouteSpec built into a std::vector first, the span passed
//   ip -batch          `ip -n NS -batch FILE`, FILE holding `route add 10.0.0.1/32 via 192.0.2.2 dev va` lines
//   libnl              benchmarks/libnl/w1_routes.c: rtnl_route_add()/rtnl_route_delete() per route
//   floor (acklast)    benchmarks/floor/floor.c: raw rtnetlink by hand, every request built first,
//                      sent in 64 KiB sendmsg calls, NLM_F_ACK only on the last one
// plus a "start-up" phase: the same programs with nothing to do (what every run pays before its work).
//
// Everything happens in one namespace (nsb<pid>-w1) holding a veth pair va/vb, va = 192.0.2.1/24.
#include <nsnet/request_batch.hpp>
#include <nsnet/route_dump.hpp>
#include <nsnet/netns.hpp>
#include <nsnet/veth.hpp>

#include "bench.hpp"

using namespace nsnet;

namespace {

constexpr const char* gateway = "192.0.2.2";

std::string route_text(int i) {
    return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + "/32";
}

// --worker add|del NS N DEV [each|vector]
int worker(const std::vector<std::string>& a) {
    const bool add = a.at(0) == "add";
    auto ns = NetnsRef::open(a.at(1));
    const int n = std::stoi(a.at(2));
    const BatchAcks acks = a.size() > 4 && a[4] == "each" ? BatchAcks::Each : BatchAcks::ErrorsOnly;
    if (n == 0) return 0;
    const int oif = Link::get(ns, a.at(3)).index();
    const IpAddress gw = IpAddress::parse(gateway);
    auto route = [&](std::size_t i) {
        RouteSpec r;
        r.dst = Prefix(IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i)), 32);
        r.gateway = gw;
        r.oif = oif;
        return r;
    };
    if (a.size() > 4 && a[4] == "vector") {  // every RouteSpec built first, then the span passed
        std::vector<RouteSpec> routes;
        routes.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) routes.push_back(route(static_cast<std::size_t>(i)));
        if (add) apply_routes(ns, routes, RouteWrite::Add, acks);
        else remove_routes(ns, routes, acks);
        return 0;
    }
    // Each route built as it is sent (apply_routes with a route source): nothing holds all 10,000.
    if (add) apply_routes(ns, static_cast<std::size_t>(n), route, RouteWrite::Add, acks);
    else remove_routes(ns, static_cast<std::size_t>(n), route, acks);
    return 0;
}

std::size_t count_routes(const NetnsRef& ns) {
    return for_each_route(ns, [](const RouteInfo&) {}, {.family = Family::V4, .table = 254});
}

}  // namespace

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    if (!cli.worker.empty()) return worker(cli.worker);
    bench::start_driver("W1 routes");

    const int n = static_cast<int>(cli.num("routes", cli.quick ? 1000 : 10000));
    const std::string name = bench::prefix() + "w1";
    const std::string path = bench::track_netns(name);
    auto ns = Netns::create(name);
    auto veth = VethPair::create(ns, {.name = "va", .peer = {.name = "vb"}});
    veth.first().add_address("192.0.2.1/24");
    veth.first().up();
    veth.second().up();

    char dir_template[] = "/tmp/nsbench-w1-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    std::string add_text, del_text;
    for (int i = 0; i < n; ++i) {
        std::string line = route_text(i) + " via " + gateway + " dev va\n";
        add_text += "route add " + line;
        del_text += "route del " + line;
    }
    bench::write_file(dir + "/add.batch", add_text);
    bench::write_file(dir + "/del.batch", del_text);
    bench::write_file(dir + "/empty.batch", "");

    const std::string libnl = cli.libnl_dir + "/libnl_w1_routes";
    const bool have_libnl = bench::executable(libnl);
    const std::string floor = cli.libnl_dir + "/floor";
    if (!bench::executable(floor)) throw std::runtime_error("the floor program is not built: " + floor);
    const std::string N = std::to_string(n);

    bench::Table t("W1", std::to_string(n) + " IPv4 /32 routes via a gateway on a veth, add then delete");
    t.ops("add", n, "route");
    t.ops("delete", n, "route");
    for (const char* ph : {"start-up", "add", "delete"}) t.reference(ph, "nsnet");

    struct Tool {
        std::string name;
        std::function<std::vector<std::string>(const std::string& op, const std::string& count)> argv;
        bool in_ns;  // started inside the namespace (libnl), else it enters it itself
    };
    std::vector<Tool> tools = {
        {"floor (acklast)", [&](const std::string& op, const std::string& c) { return std::vector<std::string>{floor, "w1", op, c, gateway, "va"}; }, true},
        {"nsnet", [&](const std::string& op, const std::string& c) { return std::vector<std::string>{cli.self, "--worker", op, name, c, "va"}; }, false},
        {"nsnet (acks: each)", [&](const std::string& op, const std::string& c) { return std::vector<std::string>{cli.self, "--worker", op, name, c, "va", "each"}; }, false},
        {"nsnet (vector of routes)", [&](const std::string& op, const std::string& c) { return std::vector<std::string>{cli.self, "--worker", op, name, c, "va", "vector"}; }, false},
        {"ip -batch", [&](const std::string& op, const std::string& c) {
             std::string file = c == "0" ? "/empty.batch" : op == "add" ? "/add.batch" : "/del.batch";
             return std::vector<std::string>{"ip", "-n", name, "-batch", dir + file}; }, false},
        {"libnl", [&](const std::string& op, const std::string& c) { return std::vector<std::string>{libnl, op, c, gateway, "va"}; }, true},
    };
    if (!have_libnl) {
        for (const char* ph : {"start-up", "add", "delete"}) t.missing(ph, "libnl", "not built: " + libnl);
        tools.pop_back();
    }

    // W1 is short (a run is ~0.05-0.3 s) and its ratios are the most sensitive to what else the
    // machine does: three times the repetitions, for steadier medians.
    const int reps = cli.quick ? cli.reps : 3 * cli.reps;
    for (int rep = 0; rep < reps; ++rep) {
        for (std::size_t k = 0; k < tools.size(); ++k) {
            const Tool& tool = tools[(k + static_cast<std::size_t>(rep)) % tools.size()];  // rotate the order
            bench::SpawnOptions so;
            if (tool.in_ns) so.netns_path = path;
            t.add("start-up", tool.name, bench::run_ok(tool.argv("add", "0"), so));
            t.add("add", tool.name, bench::run_ok(tool.argv("add", N), so));
            if (std::size_t c = count_routes(ns); c != static_cast<std::size_t>(n) + 1)
                throw std::runtime_error(tool.name + " add: " + std::to_string(c) + " routes in table main, expected " + std::to_string(n + 1));
            bench::settle(0.1);
            t.add("delete", tool.name, bench::run_ok(tool.argv("del", N), so));
            if (std::size_t c = count_routes(ns); c != 1)
                throw std::runtime_error(tool.name + " delete: " + std::to_string(c) + " routes left in table main, expected 1");
            bench::settle(0.1);
        }
    }
    for (const char* ph : {"add", "delete"})
        t.target(std::string("W1 ") + ph + ": nsnet within 1.25x of the floor (acklast)", t.wall(ph, "nsnet") / t.wall(ph, "floor (acklast)"),
                 t.cpu(ph, "nsnet") / t.cpu(ph, "floor (acklast)"), 1.25, false, "×");
    for (const char* ph : {"add", "delete"}) {
        for (const char* peer : {"ip -batch", "libnl"}) {
            double need = std::string(peer) == "ip -batch" ? 3.0 : 2.5;
            if (t.wall(ph, peer) == 0) continue;
            t.target(std::string("W1 ") + ph + ": nsnet faster than " + peer + " by", t.wall(ph, peer) / t.wall(ph, "nsnet"),
                     t.cpu(ph, peer) / t.cpu(ph, "nsnet"), need, true, "×");
        }
    }
    t.print(reps, bench::load_note());
    std::remove((dir + "/add.batch").c_str());
    std::remove((dir + "/del.batch").c_str());
    std::remove((dir + "/empty.batch").c_str());
    ::rmdir(dir.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "w1_routes: %s\n", e.what());
    return 1;
}
