// W2 — 1,000 veth pairs in one namespace: create them, then delete them.
//
// Create:  nsnet (RequestBatch)        RequestBatch::create_veth() x N, one run(): pipelined
//          nsnet (VethPair objects)    VethPair::create() x N: one request and two look-ups each
//          libnl                       benchmarks/libnl/w2_veth.c: rtnl_link_add() per pair
//          ip -batch                   `link add xaI group G type veth peer name xbI group G` lines
// Delete:  nsnet (LinkGroup)           LinkGroup::remove(): one RTM_DELLINK for the whole group
//          ip link del group           `ip -n NS link del group G`: the same kernel operation from ip
//          nsnet / libnl / ip -batch one by one: one RTM_DELLINK per pair
// Every pair is tagged with one interface group, whatever creates it, so that runs whose deletion
// is not measured clean up in one request. Deleting one by one costs ~16-25 ms per pair (an RCU
// grace period each): those rows run in the first --slow-reps repetitions only (default 3).
#include <nsnet/link_group.hpp>
#include <nsnet/request_batch.hpp>
#include <nsnet/netns.hpp>
#include <nsnet/veth.hpp>

#include "bench.hpp"

using namespace nsnet;

namespace {

std::string a_name(int i) { return "xa" + std::to_string(i); }
std::string b_name(int i) { return "xb" + std::to_string(i); }

// --worker create-batch|create-objects NS N GROUP | delete-group NS GROUP | delete-each NS N
int worker(const std::vector<std::string>& a) {
    const std::string& op = a.at(0);
    auto ns = NetnsRef::open(a.at(1));
    if (op == "delete-group") {
        auto group = LinkGroup::adopt(ns, static_cast<std::uint32_t>(std::stoul(a.at(2))));
        group.remove();
        return 0;
    }
    const int n = std::stoi(a.at(2));
    if (op == "delete-each") {
        for (int i = 0; i < n; ++i) Link::get(ns, a_name(i)).remove();
        return 0;
    }
    const auto group = static_cast<std::uint32_t>(std::stoul(a.at(3)));
    if (op == "create-batch") {
        RequestBatch b(ns);
        b.reserve(static_cast<std::size_t>(n), 128);
        for (int i = 0; i < n; ++i) b.create_veth({.name = a_name(i), .group = group}, {.name = b_name(i), .group = group});
        b.run_or_throw();
    } else if (op == "create-objects") {
        for (int i = 0; i < n; ++i)
            VethPair::create(ns, {.name = a_name(i), .group = group, .peer = {.name = b_name(i), .group = group}}).persist();
    } else {
        throw std::runtime_error("unknown worker operation " + op);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    if (!cli.worker.empty()) return worker(cli.worker);
    bench::start_driver("W2 veth pairs");

    const int n = static_cast<int>(cli.num("pairs", cli.quick ? 100 : 1000));
    const int slow_reps = std::min(cli.reps, static_cast<int>(cli.num("slow-reps", cli.quick ? 1 : 3)));
    const std::string name = bench::prefix() + "w2";
    const std::string path = bench::track_netns(name);
    auto ns = Netns::create(name);
    const std::string G = "4242";
    const std::string N = std::to_string(n);

    char dir_template[] = "/tmp/nsbench-w2-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    std::string add_text, del_text;
    for (int i = 0; i < n; ++i) {
        add_text += "link add " + a_name(i) + " group " + G + " type veth peer name " + b_name(i) + " group " + G + "\n";
        del_text += "link del " + a_name(i) + "\n";
    }
    bench::write_file(dir + "/add.batch", add_text);
    bench::write_file(dir + "/del.batch", del_text);
    const std::string libnl = cli.libnl_dir + "/libnl_w2_veth";
    const bool have_libnl = bench::executable(libnl);

    bench::Table t("W2", std::to_string(n) + " veth pairs in one namespace, create then delete");
    t.ops("create", n, "pair");
    t.ops("delete", n, "pair");
    t.reference("create", "nsnet (RequestBatch)");
    t.reference("delete", "nsnet (LinkGroup)");
    if (!have_libnl) {
        t.missing("create", "libnl", "not built: " + libnl);
        t.missing("delete", "libnl (one by one)", "not built: " + libnl);
    }

    auto count_links = [&] { return Link::list(ns).size(); };
    auto expect_links = [&](std::size_t want, const std::string& after) {
        if (std::size_t c = count_links(); c != want)
            throw std::runtime_error(after + ": " + std::to_string(c) + " links in the namespace, expected " + std::to_string(want));
    };
    const std::vector<std::string> nsnet_w = {cli.self, "--worker"};
    auto worker_argv = [&](std::vector<std::string> rest) {
        std::vector<std::string> v = nsnet_w;
        v.insert(v.end(), rest.begin(), rest.end());
        return v;
    };
    auto group_cleanup = [&] { bench::run_ok(worker_argv({"delete-group", name, G})); };
    bench::SpawnOptions in_ns;
    in_ns.netns_path = path;

    // One create+delete sequence per tool; `slow` adds the one-by-one deletions.
    using Step = std::function<void(bool slow)>;
    std::vector<Step> steps = {
        [&](bool) {
            t.add("create", "nsnet (RequestBatch)", bench::run_ok(worker_argv({"create-batch", name, N, G})));
            expect_links(2 * static_cast<std::size_t>(n) + 1, "nsnet create");
            t.add("delete", "nsnet (LinkGroup)", bench::run_ok(worker_argv({"delete-group", name, G})));
        },
        [&](bool slow) {
            t.add("create", "nsnet (VethPair objects)", bench::run_ok(worker_argv({"create-objects", name, N, G})));
            expect_links(2 * static_cast<std::size_t>(n) + 1, "nsnet objects create");
            if (slow) t.add("delete", "nsnet (one by one)", bench::run_ok(worker_argv({"delete-each", name, N})));
            else group_cleanup();
        },
        [&](bool slow) {
            if (!have_libnl) return;
            t.add("create", "libnl", bench::run_ok({libnl, "create", N, G}, in_ns));
            expect_links(2 * static_cast<std::size_t>(n) + 1, "libnl create");
            if (slow) t.add("delete", "libnl (one by one)", bench::run_ok({libnl, "delete", N}, in_ns));
            else group_cleanup();
        },
        [&](bool slow) {
            t.add("create", "ip -batch", bench::run_ok({"ip", "-n", name, "-batch", dir + "/add.batch"}));
            expect_links(2 * static_cast<std::size_t>(n) + 1, "ip create");
            t.add("delete", "ip link del group", bench::run_ok({"ip", "-n", name, "link", "del", "group", G}));
            if (!slow) return;
            expect_links(1, "ip link del group");
            bench::settle(1.5);
            t.add("create", "ip -batch", bench::run_ok({"ip", "-n", name, "-batch", dir + "/add.batch"}));
            expect_links(2 * static_cast<std::size_t>(n) + 1, "ip create");
            t.add("delete", "ip -batch (one by one)", bench::run_ok({"ip", "-n", name, "-batch", dir + "/del.batch"}));
        },
    };
    for (int rep = 0; rep < cli.reps; ++rep) {
        for (std::size_t k = 0; k < steps.size(); ++k) {
            steps[(k + static_cast<std::size_t>(rep)) % steps.size()](rep < slow_reps);
            expect_links(1, "after delete");
            // Deleting 2,000 devices leaves the kernel work to finish in the background (RCU
            // callbacks, freeing): let it, so that it does not land in the next tool's create.
            bench::settle(1.5);
        }
    }

    if (t.wall("create", "libnl") > 0)
        t.target("W2 create: libnl time / nsnet (RequestBatch) time", t.wall("create", "libnl") / t.wall("create", "nsnet (RequestBatch)"),
                 t.cpu("create", "libnl") / t.cpu("create", "nsnet (RequestBatch)"), 1.0, true, "×");
    for (const char* each : {"nsnet (one by one)", "libnl (one by one)", "ip -batch (one by one)"}) {
        if (t.wall("delete", each) == 0) continue;
        t.target(std::string("W2 delete: nsnet (LinkGroup) faster than ") + each + " by",
                 t.wall("delete", each) / t.wall("delete", "nsnet (LinkGroup)"), t.cpu("delete", each) / t.cpu("delete", "nsnet (LinkGroup)"),
                 20.0, true, "×");
    }
    t.print(cli.reps, "one-by-one deletions: " + std::to_string(slow_reps) + " runs; " + bench::load_note());
    std::remove((dir + "/add.batch").c_str());
    std::remove((dir + "/del.batch").c_str());
    ::rmdir(dir.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "w2_veth: %s\n", e.what());
    return 1;
}
