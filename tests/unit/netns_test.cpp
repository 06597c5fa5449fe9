// Unit tests for include/nsnet/netns.hpp that need no privileges: an empty NetnsRef is no
// namespace. Every entry point that takes the namespace to work in refuses one with an
// InvalidArgument naming it (and NetnsRef::current(), the caller's own namespace), before any system
// call: none of them falls back to the caller's namespace. A fault injector refuses and counts every
// system call nsnet makes, so that an entry point that did fall back could neither reach the
// kernel nor pass.
//
// Also: a path or descriptor that is not a network namespace is refused without being opened for
// reading or sent an ioctl (a FIFO must not block the caller).
#include "nsnet/netns.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/errors.hpp"
#include "../support/firewall.hpp"
#include "nsnet/conntrack.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/link.hpp"
#include "nsnet/link_group.hpp"
#include "nsnet/monitor/pump.hpp"
#include "nsnet/monitor/view.hpp"
#include "nsnet/neighbor.hpp"
#include "nsnet/nexthop.hpp"
#include "nsnet/request_batch.hpp"
#include "nsnet/route.hpp"
#include "nsnet/route_dump.hpp"
#include "nsnet/rule.hpp"
#include "nsnet/show.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/veth.hpp"

using namespace nsnet;
using nsnet::test::has;
using nsnet::test::rejection;

namespace {

// Refuses every system call nsnet makes (socket, sendmsg, open, setns, ...) and counts them.
struct NothingSent : detail::FaultInjector {
    std::atomic<int> calls{0};
    int before(detail::Call) override {
        ++calls;
        return ENOTRECOVERABLE;
    }
};

// What every refusal of an empty NetnsRef says, in each entry point's words.
bool names_empty_netns(const std::string& message) { return has(message, "empty NetnsRef"); }

using Entry = std::pair<const char*, std::function<void()>>;

// Runs each entry point with the injector in place: each must throw InvalidArgument naming the
// empty NetnsRef, with no system call made.
void check_refused(const std::vector<Entry>& entries) {
    for (const auto& [name, call] : entries) {
        const std::string entry = name;
        CAPTURE(entry);
        NothingSent inj;
        std::string message;   // of the InvalidArgument
        std::string otherwise; // anything else thrown, to show
        {
            detail::ScopedFaultInjector scope(inj);
            try {
                call();
                otherwise = "nothing thrown";
            } catch (const InvalidArgument& e) {
                message = e.what();
            } catch (const std::exception& e) {
                otherwise = e.what();
            }
        }
        CAPTURE(otherwise);
        CHECK(names_empty_netns(message));
        CHECK(inj.calls.load() == 0);
    }
}

}  // namespace

TEST_CASE("an empty NetnsRef is no namespace: its accessors and sockets are refused, naming NetnsRef::current()") {
    const NetnsRef e{};
    CHECK_FALSE(e.valid());
    CHECK_FALSE(e.holds_calling_thread());
    const std::string current = "NetnsRef::current()";
    CHECK(has(rejection([&] { (void)e.name(); }), current));
    CHECK(has(rejection([&] { (void)e.fd(); }), current));
    CHECK(has(rejection([&] { (void)e.display_name(); }), current));
    CHECK(has(rejection([&] { (void)e.inode(); }), current));
    check_refused({
        {"NetnsRef::socket", [&] { (void)e.socket(AF_INET, SOCK_DGRAM); }},
        {"NetnsRef::netlink_socket", [&] { (void)e.netlink_socket(); }},
        {"NetnsRef::run", [&] { e.run([] { return 0; }); }},
        {"NetnsRef::run_inside", [&] { e.run_inside([] { return 0; }); }},
        {"NetnsRef::with_rtnl", [&] { e.with_rtnl([](nl::Socket&) { return 0; }); }},
        {"NetnsRef::spawn", [&] { (void)e.spawn({"true"}); }},
    });
}

TEST_CASE("look-ups, lists and removals refuse an empty NetnsRef before any system call (rtnetlink, sysctl, conntrack)") {
    const NetnsRef e{};
    check_refused({
        {"Link::get(name)", [&] { (void)Link::get(e, "lo"); }},
        {"Link::get(index)", [&] { (void)Link::get(e, 1); }},
        {"Link::find", [&] { (void)Link::find(e, "lo"); }},
        {"Link::list", [&] { (void)Link::list(e); }},
        {"Link::list_owned", [&] { (void)Link::list_owned(e, "c1"); }},
        {"Link::loopback", [&] { (void)Link::loopback(e); }},
        {"Link::remove", [&] { (void)Link::remove(e, "v0"); }},
        {"Link::remove_owned", [&] { (void)Link::remove_owned(e, "c1"); }},
        {"VethPair::create", [&] { (void)VethPair::create(e, {.name = "v0", .peer = {.name = "v1"}}); }},
        {"VethPair::adopt", [&] { (void)VethPair::adopt(e, "v0"); }},
        {"Route::list", [&] { (void)Route::list(e); }},
        {"Route::get", [&] { (void)Route::get(e, "10.0.0.1"); }},
        {"Route::find", [&] { (void)Route::find(e, "10.0.0.1"); }},
        {"Route::create", [&] { (void)Route::create(e, {.dst = "10.9.0.0/16", .via = "10.0.0.1"}); }},
        {"Route::remove", [&] { Route::remove(e, {.dst = "10.9.0.0/16"}); }},
        {"for_each_route", [&] { (void)for_each_route(e, [](const RouteInfo&) {}); }},
        {"Rule::list", [&] { (void)nsnet::Rule::list(e); }},
        {"Rule::find", [&] { (void)nsnet::Rule::find(e, 100); }},
        {"Rule::get", [&] { (void)nsnet::Rule::get(e, 100); }},
        {"Nexthop::list", [&] { (void)Nexthop::list(e); }},
        {"Nexthop::find", [&] { (void)Nexthop::find(e, 1); }},
        {"Nexthop::get", [&] { (void)Nexthop::get(e, 1); }},
        {"Nexthop::supported", [&] { (void)Nexthop::supported(e); }},
        {"Neighbor::list", [&] { (void)Neighbor::list(e); }},
        {"Neighbor::get", [&] { (void)Neighbor::get(e, {.dev = "lo", .address = "10.0.0.2"}); }},
        {"Neighbor::find", [&] { (void)Neighbor::find(e, {.dev = "lo", .address = "10.0.0.2"}); }},
        {"Neighbor::flush", [&] { (void)Neighbor::flush(e); }},
        {"FdbEntry::list", [&] { (void)FdbEntry::list(e); }},
        {"FdbEntry::get", [&] { (void)FdbEntry::get(e, {.dev = "vx0"}); }},
        {"FdbEntry::find", [&] { (void)FdbEntry::find(e, {.dev = "vx0"}); }},
        {"show_fdb", [&] { (void)show_fdb(e); }},
        {"show_addresses", [&] { (void)show_addresses(e); }},
        {"Monitor::open", [&] { (void)Monitor::open(e); }},
        {"snapshot", [&] { (void)snapshot(e); }},
        {"LinkGroup::create", [&] { (void)LinkGroup::create(e); }},
        {"LinkGroup::remove", [&] { LinkGroup::remove(e, 7); }},
        {"LinkGroup::remove_owned", [&] { LinkGroup::remove_owned(e, "c1"); }},
        {"RequestBatch", [&] { RequestBatch b(e); }},
        {"sysctl", [&] { (void)sysctl(e, "net.ipv4.ip_forward"); }},
        {"set_sysctl", [&] { set_sysctl(e, "net.ipv4.ip_forward", "1"); }},
        {"ip_forward", [&] { (void)ip_forward(e); }},
        {"set_ip_forward", [&] { set_ip_forward(e, true); }},
        {"ipv6_forward", [&] { (void)ipv6_forward(e); }},
        {"interface_sysctl", [&] { (void)interface_sysctl(e, "lo", "forwarding"); }},
        {"set_interface_sysctl", [&] { set_interface_sysctl(e, "lo", "forwarding", "1"); }},
        {"set_ipv6_interface", [&] { set_ipv6_interface(e, "lo", {.forwarding = true}); }},
        {"Conntrack::list", [&] { (void)Conntrack::list(e); }},
        {"Conntrack::remove", [&] { (void)Conntrack::remove(e, ConntrackFilter{.protocol = IPPROTO_UDP}); }},
    });
}

TEST_CASE("a Transaction step given an empty NetnsRef fails, naming it, before any system call") {
    // A Transaction reports a failed step as its own Error (the step, then the cause), EINVAL here.
    NothingSent inj;
    std::string message;
    {
        detail::ScopedFaultInjector scope(inj);
        try {
            Transaction t;
            t.set_sysctl(NetnsRef{}, "net.ipv4.ip_forward", "1");
        } catch (const Error& err) {
            message = err.what();
            CHECK(err.errnum() == EINVAL);
        }
    }
    CHECK(names_empty_netns(message));
    CHECK(has(message, "sysctl -w net.ipv4.ip_forward=1"));
    CHECK(inj.calls.load() == 0);
}

// These used to run in the caller's namespace when given an empty NetnsRef.
TEST_CASE("firewall look-ups, creates and removals refuse an empty NetnsRef before any system call") {
    const NetnsRef e{};
    const firewall::RuleRef ref{.family = firewall::Family::Inet, .chain = "forward", .handle = 4};
    const firewall::RuleOptions accept{.match = {.saddr = "10.88.0.0/16"}, .action = firewall::Action::Accept};
    check_refused({
        {"Masquerade::list", [&] { (void)Masquerade::list(e); }},
        {"Masquerade::find(handle)", [&] { (void)Masquerade::find(e, std::uint64_t{4}); }},
        {"Masquerade::find(tag)", [&] { (void)Masquerade::find(e, std::string_view("0123456789abcdef")); }},
        {"Masquerade::find(no key)", [&] { (void)Masquerade::find(e, std::string_view()); }},
        {"Dnat::get(handle)", [&] { (void)Dnat::get(e, std::uint64_t{4}); }},
        {"Snat::adopt(handle)", [&] { (void)Snat::adopt(e, std::uint64_t{4}); }},
        {"FilterRule::remove(handle)", [&] { FilterRule::remove(e, std::uint64_t{4}); }},
        {"FilterRule::remove_owned", [&] { (void)FilterRule::remove_owned(e, "c1"); }},
        {"Masquerade::create", [&] { (void)Masquerade::create(e, {.saddr = "10.88.0.0/16"}); }},
        {"Dnat::create", [&] { (void)Dnat::create(e, {.dport = 8080, .to = "10.88.0.2", .to_port = 80}); }},
        {"FilterRule::create", [&] { (void)FilterRule::create(e, FilterRuleOptions{.hook = Hook::Forward}); }},
        {"ForwardPolicy::create", [&] { (void)ForwardPolicy::create(e, Verdict::Drop); }},
        {"ForwardPolicy::get", [&] { (void)ForwardPolicy::get(e); }},
        {"ForwardPolicy::remove", [&] { ForwardPolicy::remove(e); }},
        {"firewall::Rule::list", [&] { (void)firewall::Rule::list(e); }},
        {"firewall::Rule::find", [&] { (void)firewall::Rule::find(e, ref); }},
        {"firewall::Rule::get", [&] { (void)firewall::Rule::get(e, ref); }},
        {"firewall::Rule::adopt", [&] { (void)firewall::Rule::adopt(e, ref); }},
        {"firewall::Rule::remove", [&] { firewall::Rule::remove(e, ref); }},
        {"firewall::Rule::remove_owned", [&] { (void)firewall::Rule::remove_owned(e, "c1"); }},
        {"firewall::Rule::create", [&] { (void)firewall::Rule::create(e, accept); }},
        {"firewall::Rule::create(batch)", [&] { (void)firewall::Rule::create(e, std::vector<firewall::RuleOptions>{accept}); }},
        {"firewall::Rule::ensure", [&] { (void)firewall::Rule::ensure(e, accept); }},
        {"firewall::Batch::commit", [&] {
             firewall::Batch b(e);
             auto m = b.add(MasqueradeOptions{.saddr = "10.88.0.0/16"});
             b.commit();
         }},
    });
}

TEST_CASE("a firewall::Batch of an empty NetnsRef still previews (nothing to send)") {
    firewall::Batch b(NetnsRef{});
    auto m = b.add(MasqueradeOptions{.saddr = "10.88.0.0/16"});
    CHECK(b.size() == 1);
    CHECK_FALSE(b.netns().valid());
    CHECK_NOTHROW((void)b.preview());
}

TEST_CASE("NetnsRef::open_path refuses a FIFO at once: it never waits for a writer") {
    char dir_template[] = "/tmp/nsnet-fifo-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    const std::string dir = dir_template, fifo = dir + "/ns";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

    // Should open_path block on the FIFO (an open for reading waits for a writer), this thread
    // releases it after a while by opening the FIFO itself (O_RDWR never blocks and counts as a
    // writer), so that a regression fails here instead of hanging the suite.
    std::mutex m;
    std::condition_variable cv;
    bool done = false, released = false;
    std::thread releaser([&] {
        std::unique_lock lock(m);
        if (cv.wait_for(lock, std::chrono::seconds(5), [&] { return done; })) return;
        released = true;
        int fd = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
        lock.unlock();
        if (fd >= 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            ::close(fd);
        }
    });
    std::string message;
    try {
        (void)NetnsRef::open_path(fifo);
    } catch (const InvalidArgument& e) {
        message = e.what();
    } catch (const std::exception& e) {
        message = std::string("unexpected: ") + e.what();
    }
    {
        std::lock_guard lock(m);
        done = true;
    }
    cv.notify_all();
    releaser.join();
    ::unlink(fifo.c_str());
    ::rmdir(dir.c_str());
    CHECK_FALSE(released);
    CAPTURE(message);
    CHECK(has(message, fifo + " is not a network namespace"));
}

TEST_CASE("NetnsRef::open_path and from_fd accept a network namespace and refuse every other file") {
    CHECK(NetnsRef::open_path("/proc/self/ns/net") == NetnsRef::current());
    CHECK(NetnsRef::open_path("/proc/thread-self/ns/net").valid());
    for (const char* path : {"/dev/null", "/proc/self/status", "/proc/self", "/proc/self/ns/uts"}) {
        CAPTURE(path);
        std::string message = rejection([&] { (void)NetnsRef::open_path(path); });
        CHECK(has(message, std::string(path) + " is not a network namespace"));
    }
    try {
        (void)NetnsRef::open_path("/nonexistent/nsnet/ns");
        FAIL("opened a path that does not exist");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(has(e.what(), "no such namespace: /nonexistent/nsnet/ns does not exist"));
    }

    int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(dev_null >= 0);
    std::string message = rejection([&] { (void)NetnsRef::from_fd(detail::UniqueFd(dev_null), "null"); });
    CHECK(has(message, "is not a network namespace"));
    int own = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    REQUIRE(own >= 0);
    CHECK(NetnsRef::from_fd(detail::UniqueFd(own), "mine") == NetnsRef::current());
}
