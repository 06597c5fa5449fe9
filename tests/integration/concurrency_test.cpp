// Concurrency (root): nsnet objects and netlink sockets used from several threads at once.
//  - Each thread with its own namespace, objects and sockets (the shared rtnl socket of its
//    NetnsRef and a private nl::Socket): every reply it reads is about its own objects.
//  - Threads sharing one NetnsRef (copies of it, and the same object): with_rtnl() serialises the
//    shared socket, each thread's lookups, dumps and changes still see exactly their own links.
//  - A stress run: 8 threads x NSNET_STRESS_CYCLES (default 100) cycles of create a veth pair /
//    address it / move one end to a second namespace / delete, with namespace churn, then nothing
//    may be left. NSNET_STRESS_CYCLES=500 is the long run (the test prints its rate).
// Every failure inside a thread is collected and reported by the main thread (doctest's
// assertions are not used off the main thread).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/route.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/veth.hpp"
#include "state_support.hpp"
#include "support.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

// Failures of worker threads, reported afterwards on the main thread.
class Problems {
public:
    void add(const std::string& p) {
        std::lock_guard lock(m_);
        if (list_.size() < 50) list_.push_back(p);
        ++count_;
    }
    template <class Fn>
    void guard(const std::string& who, Fn&& fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            add(who + ": threw " + e.what());
        }
    }
    // Runs fn(i, who) on `threads` threads at once (who: "thread i"), an exception being a problem
    // of that thread, and returns when all have finished.
    template <class Fn>
    void run_threads(int threads, Fn fn) {
        std::vector<std::thread> pool;
        for (int i = 0; i < threads; ++i)
            pool.emplace_back([&, i] {
                const std::string who = "thread " + std::to_string(i);
                guard(who, [&] { fn(i, who); });
            });
        for (auto& t : pool) t.join();
    }
    std::size_t count() {
        std::lock_guard lock(m_);
        return count_;
    }
    std::string text() {
        std::lock_guard lock(m_);
        std::string s;
        for (const auto& p : list_) s += p + "\n";
        return s;
    }

private:
    std::mutex m_;
    std::vector<std::string> list_;
    std::size_t count_ = 0;
};

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    int n = std::atoi(v);
    return n > 0 ? n : fallback;
}

std::set<std::string> link_names(const NetnsRef& ns) {
    std::set<std::string> names;
    for (const auto& l : Link::list(ns)) names.insert(l.name);
    return names;
}

}  // namespace

TEST_CASE("concurrency: threads with their own namespaces and sockets never see each other's replies") {
    constexpr int threads = 8;
    const int rounds = env_int("NSNET_CONCURRENCY_ROUNDS", 40);
    const std::string prefix = test::name_prefix() + "co";
    Problems problems;
    std::atomic<long> checked{0};
    problems.run_threads(threads, [&](int i, const std::string& who) {
        Netns ns = Netns::create(unique_name("co"));
        const std::string a = "ca" + std::to_string(i), b = "cb" + std::to_string(i);
        auto veth = VethPair::create(ns, {.name = a, .peer = {.name = b}});
        const std::string cidr = "10.61." + std::to_string(i) + ".1/24";
        veth.first().add_address(cidr);
        veth.first().up();
        const std::set<std::string> expected{"lo", a, b};
        nl::Socket own = ns.netlink_socket();  // a private socket beside the shared one
        for (int r = 0; r < rounds; ++r) {
            // The shared (per-namespace) socket: a dump, a get by name, an address dump.
            if (auto names = link_names(ns); names != expected)
                problems.add(who + ": link dump shows " + std::to_string(names.size()) + " links, not its 3");
            Link l = Link::get(ns, b);
            if (l.name() != b || l.index() != veth.second().index())
                problems.add(who + ": get " + b + " answered " + l.name() + " #" + std::to_string(l.index()));
            auto addrs = veth.first().addresses();
            bool mine = false;
            for (const auto& ad : addrs) mine |= ad.prefix.to_string() == cidr;
            if (!mine || addrs.empty()) problems.add(who + ": address dump lacks " + cidr);
            // The private socket: a raw RTM_GETLINK by name, its reply decoded here.
            auto msg = rtnl::link_get(a);
            std::string answered;
            nl::request(own, msg, "find link", a, [&](const nl::MessageView& m) {
                if (auto li = rtnl::decode_link(m)) answered = li->name;
            });
            if (answered != a) problems.add(who + ": private socket's reply names '" + answered + "', not " + a);
            ++checked;
        }
    });
    INFO(problems.text());
    CHECK(problems.count() == 0);
    CHECK(checked == threads * rounds);
    CHECK(test::own_leftovers(prefix).empty());
}

TEST_CASE("concurrency: one NetnsRef shared by threads; with_rtnl serialises its socket, replies never cross") {
    constexpr int threads = 8;
    const int rounds = env_int("NSNET_CONCURRENCY_ROUNDS", 40);
    Netns shared = Netns::create(unique_name("cs"));
    Link::loopback(shared).up();
    const NetnsRef& same = shared;  // some threads use this very object, others their own copy
    Problems problems;
    std::atomic<long> checked{0};
    problems.run_threads(threads, [&](int i, const std::string& who) {
        NetnsRef copy = same;
        const NetnsRef& ns = (i % 2) ? copy : same;
        const std::string a = "sa" + std::to_string(i), b = "sb" + std::to_string(i);
        // Each thread's own setup, as a transaction in the shared namespace.
        Transaction tx;
        auto& veth = tx.add("create veth " + a, [&] {
            return VethPair::create(ns, {.name = a, .peer = {.name = b}});
        });
        const std::string cidr = "10.62." + std::to_string(i) + ".1/24";
        tx.add_address(veth.first(), cidr);
        tx.step("up " + a, [&] { veth.first().up(); });
        tx.create_route(ns, {.dst = "10.63." + std::to_string(i) + ".0/24", .dev = veth.first()});
        tx.commit();
        for (int r = 0; r < rounds; ++r) {
            Link l = Link::get(ns, a);
            if (l.index() != veth.first().index() || l.name() != a)
                problems.add(who + ": get " + a + " answered " + l.name() + " #" + std::to_string(l.index()));
            auto info = veth.second().info();
            if (info.name != b) problems.add(who + ": info of " + b + " names " + info.name);
            auto addrs = veth.first().addresses();
            if (addrs.size() < 1 || addrs.front().index != veth.first().index())
                problems.add(who + ": the address dump filtered for " + a + " holds another link's address");
            auto routes = Route::list(ns, {.dev = veth.first()});
            for (const auto& rt : routes)
                if (rt.oif != veth.first().index()) problems.add(who + ": a route of another device: " + to_string(rt));
            // A change interleaved with the other threads' reads.
            veth.second().set_mtu(static_cast<std::uint32_t>(1400 + r % 50));
            if (veth.second().info().mtu != static_cast<std::uint32_t>(1400 + r % 50))
                problems.add(who + ": mtu of " + b + " read back wrong");
            ++checked;
        }
    });
    INFO(problems.text());
    CHECK(problems.count() == 0);
    CHECK(checked == threads * rounds);
    CHECK(link_names(shared) == std::set<std::string>{"lo"});  // every thread's transaction removed its pair
}

TEST_CASE("concurrency stress: 8 threads x NSNET_STRESS_CYCLES create / move / delete cycles") {
    constexpr int threads = 8;
    const int cycles = env_int("NSNET_STRESS_CYCLES", 100);
    const std::string prefix = test::name_prefix() + "st";
    const auto start_links = test::starting_links();
    Problems problems;
    std::atomic<long> done{0}, namespaces{0};
    auto started = std::chrono::steady_clock::now();
    problems.run_threads(threads, [&](int i, const std::string& who) {
        Netns a = Netns::create(unique_name("st"));
        Netns b = Netns::create(unique_name("st"));
        const std::string x = "x" + std::to_string(i), y = "y" + std::to_string(i);
        for (int c = 0; c < cycles; ++c) {
            auto pair = VethPair::create(a, {.name = x, .peer = {.name = y}});
            pair.first().add_address("10.64." + std::to_string(i) + ".1/24");
            pair.set_netns(pair.second(), b);  // ip link set y netns b
            if (!Link::find(b, y) || Link::find(a, y))
                problems.add(who + ": after the move " + y + " is not (only) in b");
            pair.second().add_address("10.64." + std::to_string(i) + ".2/24");
            pair.second().up();
            pair.remove();  // deleting one end deletes the other, in the other namespace
            if (Link::find(a, x) || Link::find(b, y)) problems.add(who + ": a deleted pair is still listed");
            if (c % 20 == 19) {
                // Namespace churn beside the link traffic.
                Netns t = Netns::create(unique_name("st"));
                auto v = VethPair::create(t, {.name = "t0", .peer = {.name = "t1", .netns = a}});
                ++namespaces;
            }  // v goes first (deleting the pair across namespaces), then the namespace
            ++done;
        }
        if (link_names(a) != std::set<std::string>{"lo"} || link_names(b) != std::set<std::string>{"lo"})
            problems.add(who + ": links left in its namespaces");
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    MESSAGE("stress: " << done.load() << " cycles (" << threads << " threads x " << cycles << ") and " << namespaces.load()
                       << " extra namespaces in " << secs << " s: " << (done.load() / (secs > 0 ? secs : 1))
                       << " cycles/s");
    INFO(problems.text());
    CHECK(problems.count() == 0);
    CHECK(done == static_cast<long>(threads) * cycles);
    CHECK(test::own_leftovers(prefix).empty());
    CHECK(test::starting_links() == start_links);
}
