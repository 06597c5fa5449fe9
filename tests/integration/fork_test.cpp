// Integration tests of fork safety (root): a namespace's cached rtnetlink socket and its lock are
// per process, owners do nothing in a child, every descriptor nsnet opens is close-on-exec.
//
// Each scenario that could hang (two processes sharing one netlink socket wait for each other's
// acks; a child inherits a mutex locked by a thread it does not have) runs in a subprocess with its
// own process group under a watchdog: a hang is killed and fails the test instead of hanging CI.
// Children report through their exit status and leave with _exit (never through doctest).
#include <doctest/doctest.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nsnet/bridge.hpp"
#include "nsnet/netns_group.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/link.hpp"
#include "nsnet/firewall/forward.hpp"
#include "nsnet/firewall/nat.hpp"
#include "nsnet/netns.hpp"
#include "nsnet_probe/probe.hpp"
#include "nsnet/transaction.hpp"
#include "support.hpp"
#include "../support/system.hpp"

using nsnet::Link;
using nsnet::Netns;
using nsnet::NetnsRef;
using nsnet::test::netns_path;
using nsnet::test::path_exists;
using nsnet::test::run_watched;
using nsnet::test::timed_out;
using nsnet::test::unique_name;
using nsnet::test::wait_for;

namespace {

// A request through the namespace's shared (cached) rtnetlink socket: a dump and a get.
bool one_request(const NetnsRef& ns) {
    auto links = Link::list(ns);
    return !links.empty() && Link::get(ns, "lo").index() == links.front().index;
}

}  // namespace

TEST_CASE("fork: parent and child both use a namespace whose socket was cached before the fork") {
    Netns ns = Netns::create(unique_name("fk"));
    REQUIRE(one_request(ns));  // caches the socket in this process too
    constexpr int rounds = 8;
    constexpr int requests = 200;
    for (int round = 0; round < rounds; ++round) {
        CAPTURE(round);
        int result = run_watched(std::chrono::seconds(20), [&] {
            if (!one_request(ns)) return 2;  // the subprocess's own socket, cached before its fork
            pid_t child = ::fork();
            if (child < 0) return 3;
            if (child == 0) {
                int code = 0;
                try {
                    for (int i = 0; i < requests && code == 0; ++i)
                        if (!one_request(ns)) code = 4;
                } catch (...) {
                    code = 5;
                }
                ::_exit(code);
            }
            int code = 0;
            try {
                for (int i = 0; i < requests && code == 0; ++i)
                    if (!one_request(ns)) code = 6;
            } catch (...) {
                code = 7;
            }
            int child_code = wait_for(child, std::chrono::seconds(15));
            return code ? code : (child_code == timed_out ? 8 : child_code);
        });
        INFO("0 = ok, -1 = hung (killed by the watchdog), 8 = the child hung, other = a failed request");
        REQUIRE(result == 0);
    }
    // This process's socket still works after all those forks.
    CHECK(one_request(ns));
}

TEST_CASE("fork: while another thread is inside a request, the child can still use the library") {
#if defined(__SANITIZE_ADDRESS__)
    // GCC 12's AddressSanitizer runtime does not hold its allocator lock across fork(): a child
    // forked while another thread is inside malloc/free inherits that lock held and blocks in
    // ASan's own allocator the first time it allocates (seen in .ci/run's sanitizer stage: the
    // child's new thread waits in __sanitizer::SizeClassAllocator64::GetFromAllocator, called
    // from AsanThread::ThreadStart). Not nsnet's lock; the case runs in every other build and in
    // the VM stage.
    MESSAGE("SKIP: under AddressSanitizer (its allocator lock is not fork-safe in GCC 12's runtime)");
    return;
#endif
    Netns ns = Netns::create(unique_name("fk"));
    REQUIRE(one_request(ns));
    int result = run_watched(std::chrono::seconds(60), [&] {
        std::atomic<bool> stop{false};
        std::atomic<long> done{0};
        int busy_code = 0;
        std::thread busy([&] {
            try {
                while (!stop) {
                    if (!one_request(ns)) busy_code = 9;
                    ++done;
                }
            } catch (...) {
                busy_code = 10;
            }
        });
        int code = 0;
        for (int i = 0; i < 20 && code == 0; ++i) {
            // Fork at varying moments of the busy thread's requests.
            std::this_thread::sleep_for(std::chrono::microseconds(100 + 137 * i));
            pid_t child = ::fork();
            if (child < 0) {
                code = 3;
                break;
            }
            if (child == 0) {
                int c = 0;
                try {
                    for (int k = 0; k < 5 && c == 0; ++k)
                        if (!one_request(ns)) c = 4;
                } catch (...) {
                    c = 5;
                }
                ::_exit(c);
            }
            int child_code = wait_for(child, std::chrono::seconds(5));
            if (child_code != 0) code = child_code == timed_out ? 20 + i : child_code;
        }
        stop = true;
        busy.join();
        if (done == 0) return 11;
        return code ? code : busy_code;
    });
    INFO("0 = ok, -1 = hung, 20+i = the i-th forked child hung, other = a failed request");
    CHECK(result == 0);
    CHECK(one_request(ns));
}

TEST_CASE("fork: owners made by the parent do nothing in the child; the child's own owners remove") {
    const std::string name = unique_name("fk");
    const std::string group_name = unique_name("fg");
    Netns ns = Netns::create(name);
    nsnet::NetnsGroup group = nsnet::NetnsGroup::create({group_name});
    nsnet::Bridge bridge = nsnet::Bridge::create(ns, {.name = "fkbr0"});
    // An uncommitted step whose undo would be visible: it deletes a marker file.
    char marker[] = "/tmp/nsnet-fork-XXXXXX";
    int marker_fd = ::mkstemp(marker);
    REQUIRE(marker_fd >= 0);
    ::close(marker_fd);
    nsnet::Transaction tx;
    tx.on_rollback("delete the marker", [m = std::string(marker)] { ::unlink(m.c_str()); });
    REQUIRE(one_request(ns));
    const std::string own = unique_name("fc");  // made by the child, removed by the child
    int result = run_watched(std::chrono::seconds(20), [&] {
        if (ns.owned() || group.owned() || bridge.owned()) return 2;
        // Everything a child that unwinds its stack would do: the destructors. (Netns::remove()
        // does nothing when not owned; Link::remove() is an explicit request and would delete.)
        ns.remove();
        group.remove();
        { nsnet::Bridge gone = std::move(bridge); }
        { nsnet::Transaction gone = std::move(tx); }
        if (!path_exists(marker)) return 7;
        { Netns gone = std::move(ns); }
        { nsnet::NetnsGroup gone = std::move(group); }
        if (!path_exists(netns_path(name)) || !path_exists(netns_path(group_name))) return 3;
        if (!Link::find(NetnsRef::open(name), "fkbr0")) return 6;
        {
            Netns mine = Netns::create(own);
            if (!mine.owned() || !one_request(mine)) return 4;
        }
        return path_exists(netns_path(own)) ? 5 : 0;
    });
    INFO("2 = the child's copy says it owns, 3/6/7 = the child deleted the parent's namespace/link/rolled back its transaction, 4/5 = the child's own");
    CHECK(result == 0);
    CHECK(ns.owned());
    CHECK(group.owned());
    CHECK(bridge.owned());
    CHECK(Link::find(ns, "fkbr0").has_value());
    CHECK(path_exists(marker));
    CHECK(tx.rollback().empty());  // the parent's own rollback still works
    CHECK_FALSE(path_exists(marker));
    CHECK(path_exists(netns_path(name)));
    CHECK(path_exists(netns_path(group_name)));
    CHECK_FALSE(path_exists(netns_path(own)));
    CHECK(one_request(ns));
    CHECK(one_request(group[0]));
}

TEST_CASE("fork: firewall rules, the forward policy and a probe server of the parent survive the child's destructors") {
    namespace fw = nsnet::firewall;
    Netns ns = Netns::create(unique_name("fk"));
    auto masq = nsnet::firewall::Masquerade::create(ns, {.saddr = nsnet::Prefix::parse("10.99.0.0/16"), .counter = true});
    fw::Rule rule = fw::Rule::create(ns, {.hook = fw::Hook::Forward, .match = {.saddr = "10.99.0.2"},
                                          .action = fw::Action::Accept, .owner = "fork-parent"});
    auto policy = nsnet::firewall::ForwardPolicy::create(ns, nsnet::firewall::Verdict::Drop);
    auto server = nsnet::TcpServer::listen(ns, 8080);
    int result = run_watched(std::chrono::seconds(20), [&] {
        // What a child that unwinds its stack does: the destructors of its copies.
        { auto gone = std::move(masq); }
        { fw::Rule gone = std::move(rule); }
        { auto gone = std::move(policy); }
        { auto gone = std::move(server); }  // must neither join the parent's thread nor terminate
        return 0;
    });
    INFO("0 = ok, -1 = hung (a probe server joined a thread the child does not have), 134 = terminated");
    REQUIRE(result == 0);
    CHECK_NOTHROW(masq.counters());  // still in the kernel
    CHECK(fw::Rule::list(ns, {.owner = "fork-parent"}).size() == 1);
    CHECK(policy.active());
    CHECK(server.running());
    server.stop();
    // The parent's owners still remove what they made.
    rule = fw::Rule{};
    CHECK(fw::Rule::list(ns, {.owner = "fork-parent"}).empty());
}

TEST_CASE("every descriptor nsnet opens is close-on-exec") {
    auto open_fds = [] {
        std::set<int> fds;
        if (DIR* d = ::opendir("/proc/self/fd")) {
            while (dirent* e = ::readdir(d))
                if (e->d_name[0] != '.') fds.insert(std::atoi(e->d_name));
            ::closedir(d);
        }
        return fds;
    };
    std::set<int> before = open_fds();
    std::erase_if(before, [](int fd) { return ::fcntl(fd, F_GETFD) < 0; });  // the listing's own
    Netns ns = Netns::create(unique_name("fk"));
    NetnsRef again = NetnsRef::open(ns.name());
    NetnsRef cur = NetnsRef::current();
    REQUIRE(one_request(ns));
    nsnet::nl::Socket nft = ns.netlink_socket(NETLINK_NETFILTER);
    nsnet::detail::UniqueFd udp = ns.socket(AF_INET, SOCK_DGRAM);
    nsnet::detail::UniqueFd dup = udp.dup();
    int checked = 0;
    for (int fd : open_fds()) {
        if (before.count(fd)) continue;
        int flags = ::fcntl(fd, F_GETFD);
        if (flags < 0) continue;  // the directory stream used to list them, closed by now
        CAPTURE(fd);
        CHECK((flags & FD_CLOEXEC) != 0);
        ++checked;
    }
    CHECK(checked >= 7);  // ns, again, cur, the cached socket, nft, udp, dup
}
