// W4 — dump and count 100,000 IPv4 routes (table main).
//
// Tools, each a child process started afresh for every measured run (peak RSS is its own):
//   nsnet                      for_each_route(): streams, decoding each route in place; counts
//   nsnet Route::list()        collects every route into a vector (and names devices): for contrast
//   ip -4 route show           `ip -n NS -4 route show` to /dev/null (it formats every route as text)
//   libnl                      benchmarks/libnl/w4_dump.c: rtnl_route_alloc_cache(), nl_cache_nitems()
//
// The routes (10.0.0.0/32 ... via 192.0.2.2 dev va) are added once, before the runs, by
// apply_routes() in one namespace (nsb<pid>-w4). Options: --routes N, --libnl-max-routes N.
#include <nsnet/request_batch.hpp>
#include <nsnet/route_dump.hpp>
#include <nsnet/netns.hpp>
#include <nsnet/route.hpp>
#include <nsnet/veth.hpp>

#include "bench.hpp"

using namespace nsnet;

namespace {

// --worker stream|list NS
int worker(const std::vector<std::string>& a) {
    auto ns = NetnsRef::open(a.at(1));
    std::size_t n = 0;
    if (a.at(0) == "stream") {
        n = for_each_route(ns, [](const RouteInfo&) {}, {.family = Family::V4, .table = 254, .on_restart = [] {}});
    } else {
        n = Route::list(ns, {.family = Family::V4}).size();
    }
    std::printf("%zu\n", n);
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    if (!cli.worker.empty()) return worker(cli.worker);
    bench::start_driver("W4 dump");

    const int n = static_cast<int>(cli.num("routes", cli.quick ? 10000 : 100000));
    const std::string name = bench::prefix() + "w4";
    const std::string path = bench::track_netns(name);
    auto ns = Netns::create(name);
    auto veth = VethPair::create(ns, {.name = "va", .peer = {.name = "vb"}});
    veth.first().add_address("192.0.2.1/24");
    veth.first().up();
    veth.second().up();
    {
        std::vector<RouteSpec> routes(static_cast<std::size_t>(n));
        const IpAddress gw = IpAddress::parse("192.0.2.2");
        for (int i = 0; i < n; ++i) {
            auto& r = routes[static_cast<std::size_t>(i)];
            r.dst = Prefix(IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i)), 32);
            r.gateway = gw;
            r.oif = veth.first().index();
        }
        double t0 = bench::now();
        apply_routes(ns, routes);
        std::printf("setup: %d routes added by apply_routes() in %s\n", n, bench::Table::fmt_time(bench::now() - t0).c_str());
    }
    const std::size_t expected = static_cast<std::size_t>(n) + 1;  // and 192.0.2.0/24 dev va

    const std::string libnl = cli.libnl_dir + "/libnl_w4_dump";
    const bool have_libnl = bench::executable(libnl);
    // ip's output, once, to check it lists them all (the timed runs write to /dev/null).
    {
        auto r = bench::run_ok({"ip", "-n", name, "-4", "route", "show"}, {.capture = true});
        std::size_t lines = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
        if (lines != expected) throw std::runtime_error("ip -4 route show printed " + std::to_string(lines) + " lines, expected " + std::to_string(expected));
    }

    bench::Table t("W4", "dump and count " + std::to_string(n) + " IPv4 routes");
    t.ops("dump", n, "route");
    t.reference("dump", "nsnet");
    struct Tool {
        std::string name;
        std::vector<std::string> argv;
        bool in_ns, counts;
    };
    std::vector<Tool> tools = {
        {"nsnet", {cli.self, "--worker", "stream", name}, false, true},
        {"nsnet Route::list()", {cli.self, "--worker", "list", name}, false, true},
        {"ip -4 route show", {"ip", "-n", name, "-4", "route", "show"}, false, false},
        {"libnl", {libnl}, true, true},
    };
    // --libnl-max-routes N: libnl's route cache fill grows faster than linearly (100k routes: 3.5 s
    // of CPU; 1M: not done after 11 min), so a scaling run leaves it out above N, saying so.
    const long libnl_max = cli.num("libnl-max-routes", 0);
    if (!have_libnl) {
        t.missing("dump", "libnl", "not built: " + libnl);
        tools.pop_back();
    } else if (libnl_max > 0 && n > libnl_max) {
        t.missing("dump", "libnl", "not run above " + std::to_string(libnl_max) + " routes (--libnl-max-routes)");
        tools.pop_back();
    }
    for (int rep = 0; rep < cli.reps; ++rep) {
        for (std::size_t k = 0; k < tools.size(); ++k) {
            const Tool& tool = tools[(k + static_cast<std::size_t>(rep)) % tools.size()];
            bench::SpawnOptions so;
            so.capture = tool.counts;
            if (tool.in_ns) so.netns_path = path;
            auto r = bench::run_ok(tool.argv, so);
            if (tool.counts) {
                std::size_t got = std::stoul(r.out);
                // libnl counts every IPv4 table (local too); the others table main only.
                if (got < expected || got > expected + 16)
                    throw std::runtime_error(tool.name + " counted " + std::to_string(got) + " routes, expected " + std::to_string(expected));
            }
            t.add("dump", tool.name, r);
            bench::settle(0.1);
        }
    }
    for (const char* peer : {"ip -4 route show", "libnl"}) {
        if (t.wall("dump", peer) == 0) continue;
        double need = std::string(peer) == "libnl" ? 20.0 : 3.0;
        t.target(std::string("W4 dump: nsnet faster than ") + peer + " by", t.wall("dump", peer) / t.wall("dump", "nsnet"),
                 t.cpu("dump", peer) / t.cpu("dump", "nsnet"), need, true, "×");
    }
    double rss = static_cast<double>(t.rss("dump", "nsnet")) / 1024.0;
    t.target("W4 dump: nsnet peak RSS (MB)", rss, rss, 8.0, false, "");
    t.print(cli.reps, bench::load_note());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "w4_dump: %s\n", e.what());
    return 1;
}
