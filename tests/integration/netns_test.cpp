// Integration tests of include/nsnet/netns.hpp (root): named and anonymous namespaces, opening,
// running code and processes inside, ownership. `ip netns` is the cross-check for compatibility.
#include "nsnet/netns.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/sys.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns_group.hpp"
#include "nsnet/nexthop.hpp"
#include "support.hpp"
#include "../support/errors.hpp"
#include "../support/firewall.hpp"
#include "../support/system.hpp"

using nsnet::Netns;
using nsnet::NetnsRef;
using nsnet::test::netns_path;
using nsnet::test::path_exists;
using nsnet::test::unique_name;

namespace {

// The nsfs inode of the calling thread's network namespace.
ino_t thread_netns_inode() {
    struct stat st {};
    REQUIRE(::stat("/proc/thread-self/ns/net", &st) == 0);
    return st.st_ino;
}

// Runs a shell command line (only fixed strings and our own names) and returns its stdout.
std::string output_of(const std::string& command, int* status = nullptr) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int st = ::pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

bool have_ip() { return output_of("command -v ip >/dev/null 2>&1 && echo yes") == "yes\n"; }

// iproute2's `ip netns` (busybox's ip, as in the VM, has no netns command).
bool have_ip_netns() { return output_of("ip netns list >/dev/null 2>&1 && echo yes") == "yes\n"; }

// Names listed by `ip netns list` ("NAME" or "NAME (id: N)").
std::set<std::string> ip_netns_list() {
    std::set<std::string> names;
    std::istringstream in(output_of("ip netns list 2>/dev/null"));
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string name;
        if (words >> name) names.insert(name);
    }
    return names;
}

bool has_mount_for(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);)
        if (line.find(" " + path + " ") != std::string::npos) return true;
    return false;
}

// Removes a named namespace if a failed check left it (the leak check would report it otherwise).
struct RemoveOnExit {
    std::string name;
    ~RemoveOnExit() {
        if (path_exists(netns_path(name))) {
            try {
                Netns::remove(name);
            } catch (...) {
            }
        }
    }
};

}  // namespace

TEST_CASE("Netns::create makes a namespace that ip netns sees and uses") {
    ino_t own = thread_netns_inode();
    std::string name = unique_name("ns");
    std::string path = std::string(nsnet::netns_run_dir) + "/" + name;
    {
        Netns ns = Netns::create(name);
        CHECK(ns.owned());
        CHECK(ns.name() == name);
        CHECK(path_exists(path));
        CHECK(has_mount_for(path));
        auto listed = Netns::list();
        CHECK(std::find(listed.begin(), listed.end(), name) != listed.end());
        CHECK(ns.inode() != own);
        CHECK(NetnsRef::open(name) == ns);
        CHECK(NetnsRef::open_path(path) == ns);

        if (have_ip_netns()) {
            CHECK(ip_netns_list().count(name) == 1);
            int status = -1;
            std::string inode = output_of("ip netns exec " + name + " stat -L -c %i /proc/self/ns/net", &status);
            CHECK(status == 0);
            CHECK(inode == std::to_string(ns.inode()) + "\n");
        } else {
            MESSAGE("no iproute2 `ip netns`: cross-checks with ip netns not run");
        }
    }
    // Destruction removes the name and its bind mount (ip netns del).
    CHECK_FALSE(path_exists(path));
    CHECK_FALSE(has_mount_for(path));
    if (have_ip_netns()) CHECK(ip_netns_list().count(name) == 0);
    CHECK(thread_netns_inode() == own);
}

TEST_CASE("Netns::create of an existing name fails with EEXIST naming it, and leaves it alone") {
    std::string name = unique_name("ns");
    Netns first = Netns::create(name);
    try {
        Netns second = Netns::create(name);
        FAIL("creating '" << name << "' twice succeeded");
    } catch (const nsnet::Error& e) {
        CHECK(e.code() == std::errc::file_exists);
        CHECK(e.object() == name);
        CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
    // The failed attempt must not have removed or replaced the existing namespace.
    CHECK(path_exists(netns_path(name)));
    CHECK(NetnsRef::open(name) == first);
}

TEST_CASE("NetnsRef::open of an unknown name fails with ENOENT naming it") {
    std::string name = unique_name("no");
    try {
        (void)NetnsRef::open(name);
        FAIL("opening missing namespace '" << name << "' succeeded");
    } catch (const nsnet::Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
    CHECK_FALSE(path_exists(netns_path(name)));
}

TEST_CASE("bad namespace names are rejected before anything is created, naming the value") {
    for (std::string bad : {std::string(""), std::string("a/b"), std::string(".."), std::string("with space")}) {
        CAPTURE(bad);
        auto before = Netns::list();
        try {
            Netns ns = Netns::create(bad);
            FAIL("created a namespace named '" << bad << "'");
        } catch (const nsnet::InvalidArgument& e) {
            CHECK(e.code() == std::errc::invalid_argument);
            if (!bad.empty()) CHECK(std::string(e.what()).find("'" + bad + "'") != std::string::npos);
        }
        CHECK(Netns::list() == before);
    }
}

TEST_CASE("NetnsRef::open_path rejects files that are not network namespaces") {
    SUBCASE("a regular file") {
        char tmpl[] = "/tmp/nsnet-notns-XXXXXX";
        int fd = ::mkstemp(tmpl);
        REQUIRE(fd >= 0);
        ::close(fd);
        std::string path = tmpl;
        CHECK_THROWS_AS((void)NetnsRef::open_path(path), nsnet::InvalidArgument);
        try {
            (void)NetnsRef::open_path(path);
        } catch (const nsnet::Error& e) {
            CHECK(std::string(e.what()).find(path) != std::string::npos);
        }
        ::unlink(tmpl);
    }
    SUBCASE("another kind of namespace") {
        CHECK_THROWS_AS((void)NetnsRef::open_path("/proc/self/ns/uts"), nsnet::InvalidArgument);
    }
    SUBCASE("a path that does not exist") {
        try {
            (void)NetnsRef::open_path("/nonexistent/nsnet/ns");
            FAIL("opened a path that does not exist");
        } catch (const nsnet::Error& e) {
            CHECK(e.code() == std::errc::no_such_file_or_directory);
            CHECK(std::string(e.what()).find("/nonexistent/nsnet/ns") != std::string::npos);
        }
    }
}

TEST_CASE("NetnsRef::current and open_pid refer to the caller's namespace") {
    NetnsRef cur = NetnsRef::current();
    CHECK(cur.inode() == thread_netns_inode());
    CHECK(NetnsRef::open_pid(::getpid()) == cur);
}

TEST_CASE("Netns::create_anonymous makes a namespace with no name") {
    auto before = Netns::list();
    Netns anon = Netns::create_anonymous();
    CHECK(anon.valid());
    CHECK(anon.name().empty());
    CHECK(anon.inode() != thread_netns_inode());
    CHECK(Netns::list() == before);
    // A fresh namespace has only lo.
    auto links = anon.run([] {
        std::vector<std::string> names;
        struct if_nameindex* list = ::if_nameindex();
        if (!list) throw std::runtime_error("if_nameindex failed");
        for (struct if_nameindex* i = list; i->if_index != 0; ++i) names.emplace_back(i->if_name);
        ::if_freenameindex(list);
        return names;
    });
    CHECK(links == std::vector<std::string>{"lo"});
}

TEST_CASE("run() executes inside the namespace, returns values and carries exceptions") {
    ino_t own = thread_netns_inode();
    Netns ns = Netns::create(unique_name("ns"));

    CHECK(ns.run([] { return 42; }) == 42);
    CHECK(ns.run([] { return std::string("inside"); }) == "inside");
    CHECK(ns.run([] { return thread_netns_inode(); }) == ns.inode());
    int touched = 0;
    ns.run([&] { touched = 1; });  // void callables too
    CHECK(touched == 1);

    CHECK_THROWS_WITH_AS(ns.run([]() -> int { throw std::runtime_error("boom from inside"); }), "boom from inside",
                         std::runtime_error);
    // nsnet's own errors keep their type and errno across the thread.
    try {
        ns.run([] { throw nsnet::Error(ENODEV, "test operation", "dev0"); });
        FAIL("no exception");
    } catch (const nsnet::Error& e) {
        CHECK(e.errnum() == ENODEV);
        CHECK(e.object() == "dev0");
    }
    CHECK(thread_netns_inode() == own);
}

TEST_CASE("spawn() starts a process inside the namespace and captures its output") {
    Netns ns = Netns::create(unique_name("ns"));
    if (!have_ip()) NSNET_SKIP("no `ip` binary to run inside the namespace");

    nsnet::Process p = ns.spawn({"ip", "link", "show"}, {.capture_output = true});
    std::string out = p.read_output();
    CHECK(p.wait() == 0);
    // `ip link` prints "N: name: <FLAGS> ..." per link, then an indented link/ether line.
    std::vector<std::string> links;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;
        auto a = line.find(": ");
        auto b = line.find(": ", a + 2);
        if (a != std::string::npos && b != std::string::npos) links.push_back(line.substr(a + 2, b - a - 2));
    }
    INFO("ip link output:\n" << out);
    CHECK(links == std::vector<std::string>{"lo"});

    // The exit status comes back; a program that does not exist is an error naming it.
    CHECK(ns.spawn({"sh", "-c", "exit 3"}).wait() == 3);
    try {
        (void)ns.spawn({"nsnet-no-such-program"});
        FAIL("spawned a program that does not exist");
    } catch (const nsnet::Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(std::string(e.what()).find("nsnet-no-such-program") != std::string::npos);
    }
    CHECK_THROWS_AS((void)ns.spawn({}), nsnet::InvalidArgument);
}

TEST_CASE("persist() keeps the namespace after the object is gone") {
    std::string name = unique_name("ns");
    std::string path = std::string(nsnet::netns_run_dir) + "/" + name;
    RemoveOnExit guard{name};
    ino_t inode = 0;
    {
        Netns ns = Netns::create(name);
        inode = ns.inode();
        ns.persist();
        CHECK_FALSE(ns.owned());
    }
    REQUIRE(path_exists(path));
    CHECK(NetnsRef::open(name).inode() == inode);
    if (have_ip_netns()) CHECK(ip_netns_list().count(name) == 1);

    Netns::remove(name);  // ip netns del NAME
    CHECK_FALSE(path_exists(path));
    CHECK_FALSE(has_mount_for(path));
}

TEST_CASE("moving a Netns moves ownership; remove() deletes at once") {
    std::string name = unique_name("ns");
    std::string path = std::string(nsnet::netns_run_dir) + "/" + name;
    Netns a = Netns::create(name);
    Netns b = std::move(a);
    CHECK(b.owned());
    CHECK_FALSE(a.owned());
    CHECK(path_exists(path));
    b.remove();
    CHECK_FALSE(path_exists(path));
    CHECK_FALSE(has_mount_for(path));
}

TEST_CASE("Netns removes only the namespace it created, never another one made under its name") {
    const std::string name = unique_name("ns");
    const std::string path = std::string(nsnet::netns_run_dir) + "/" + name;
    RemoveOnExit guard{name};
    ino_t foreign_inode = 0;
    bool by_remove = false;
    SUBCASE("the destructor leaves it alone") {}
    SUBCASE("remove() leaves it alone and says why") { by_remove = true; }
    {
        Netns mine = Netns::create(name);
        // Someone else runs `ip netns del NAME; ip netns add NAME` while `mine` owns NAME.
        Netns::remove(name);
        Netns foreign = Netns::create(name);
        foreign.persist();
        foreign_inode = foreign.inode();
        REQUIRE(foreign_inode != mine.inode());
        if (by_remove) {
            try {
                mine.remove();
                FAIL("remove() succeeded although " << path << " is not its namespace");
            } catch (const nsnet::Error& e) {
                CHECK(e.code() == std::errc::file_exists);
                CHECK(e.object() == name);
                CHECK(std::string(e.what()).find(path) != std::string::npos);
                CHECK(std::string(e.what()).find("left alone") != std::string::npos);
            }
            CHECK_FALSE(mine.owned());
        }
    }
    REQUIRE(path_exists(path));
    CHECK(has_mount_for(path));
    CHECK(NetnsRef::open(name).inode() == foreign_inode);
    Netns::remove(name);  // the test cleans up the foreign one
    CHECK_FALSE(path_exists(path));
}

TEST_CASE("Netns::remove() of a name someone else deleted already is success, and touches nothing") {
    const std::string name = unique_name("ns");
    const std::string path = std::string(nsnet::netns_run_dir) + "/" + name;
    RemoveOnExit guard{name};
    Netns mine = Netns::create(name);
    Netns::remove(name);
    CHECK_NOTHROW(mine.remove());
    CHECK_FALSE(path_exists(path));
    // A bare mount point (someone's `ip netns add` half-way, not yet mounted) is not ours either.
    Netns again = Netns::create(name);
    REQUIRE(::umount2(path.c_str(), MNT_DETACH) == 0);
    CHECK_THROWS_AS(again.remove(), nsnet::Error);
    CHECK(path_exists(path));
    REQUIRE(::unlink(path.c_str()) == 0);
}

TEST_CASE("NetnsGroup removes only its own namespaces; a replaced name is left alone and reported") {
    const std::string a = unique_name("ga");
    const std::string b = unique_name("gb");
    const std::string path_a = std::string(nsnet::netns_run_dir) + "/" + a;
    const std::string path_b = std::string(nsnet::netns_run_dir) + "/" + b;
    RemoveOnExit guard_a{a}, guard_b{b};
    ino_t foreign_inode = 0;
    bool by_remove = false;
    SUBCASE("the destructor") {}
    SUBCASE("remove()") { by_remove = true; }
    {
        nsnet::NetnsGroup group = nsnet::NetnsGroup::create({a, b});
        Netns::remove(a);
        Netns foreign = Netns::create(a);
        foreign.persist();
        foreign_inode = foreign.inode();
        if (by_remove) {
            try {
                group.remove();
                FAIL("remove() succeeded although " << path_a << " is not the group's");
            } catch (const nsnet::Error& e) {
                CHECK(e.code() == std::errc::file_exists);
                CHECK(e.object() == a);
            }
        }
    }
    CHECK_FALSE(path_exists(path_b));  // the group's own is removed either way
    REQUIRE(path_exists(path_a));
    CHECK(NetnsRef::open(a).inode() == foreign_inode);
    Netns::remove(a);
}

// A Netns owns; a NetnsRef refers. The owner is not a handle (no slicing a NetnsRef out of it and
// re-pointing it), but goes wherever a `const NetnsRef&` is expected.
static_assert(!std::is_base_of_v<NetnsRef, Netns>);
static_assert(std::is_convertible_v<const Netns&, const NetnsRef&>);
static_assert(!std::is_copy_constructible_v<Netns> && std::is_nothrow_move_constructible_v<Netns>);
static_assert(!std::is_convertible_v<Netns&, NetnsRef&>);

TEST_CASE("Netns::adopt owns a namespace made elsewhere; Netns::remove(name) of a missing name is success") {
    const std::string name = unique_name("ns");
    RemoveOnExit guard{name};
    ino_t inode = 0;
    {
        Netns made = Netns::create(name);
        inode = made.inode();
        made.persist();  // e.g. a runtime's ADD, which exits
    }
    {
        Netns adopted = Netns::adopt(name);  // its DEL, in a later process
        CHECK(adopted.owned());
        CHECK(adopted.inode() == inode);
        CHECK(adopted.name() == name);
        const NetnsRef& ref = adopted;  // what Link::get, RequestBatch ... take
        CHECK(ref == NetnsRef::open(name));
        CHECK(nsnet::Link::get(adopted, "lo").index() == 1);
    }  // ~Netns: ip netns del NAME
    CHECK_FALSE(path_exists(netns_path(name)));
    CHECK_THROWS_AS(Netns::adopt(name), nsnet::Error);  // ENOENT, naming it
    CHECK_NOTHROW(Netns::remove(name));                 // already gone: success
    CHECK_THROWS_AS(Netns::remove("bad/name"), nsnet::InvalidArgument);
    // release(): the owner lets go and hands out the reference.
    Netns n = Netns::create(name);
    NetnsRef r = n.release();
    CHECK_FALSE(n.owned());
    n = Netns();
    CHECK(path_exists(netns_path(name)));
    CHECK(r == NetnsRef::open(name));
    Netns::remove(name);
    CHECK_FALSE(path_exists(netns_path(name)));
}

TEST_CASE("NetnsRef::from_fd: a reference from an open nsfs descriptor, checked") {
    Netns ns = Netns::create(unique_name("ns"));
    int fd = ::open(netns_path(ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    NetnsRef r = NetnsRef::from_fd(nsnet::detail::UniqueFd(fd), "mine");
    CHECK(r == ns.ref());
    CHECK(r.name() == "mine");
    int not_ns = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    REQUIRE(not_ns >= 0);
    CHECK_THROWS_AS(NetnsRef::from_fd(nsnet::detail::UniqueFd(not_ns), "x"), nsnet::InvalidArgument);
    CHECK_FALSE(NetnsRef().valid());  // an empty reference is no namespace, not the current one
    CHECK(NetnsRef::current().valid());
}

// A removed Netns converts to an empty NetnsRef. The firewall used to take that for the caller's
// namespace (a container's rules written to the host's table after its namespace went): each of
// these must refuse it before any system call (a fault injector refuses and counts every one, so a
// regression cannot reach the starting namespace either).
TEST_CASE("a removed Netns is no namespace: firewall, nexthop and spawn refuse it before any system call") {
    struct NothingSent : nsnet::detail::FaultInjector {
        std::atomic<int> calls{0};
        int before(nsnet::detail::Call) override {
            ++calls;
            return ENOTRECOVERABLE;
        }
    };
    Netns ns = Netns::create(unique_name("ns"));
    ns.remove();
    const NetnsRef& gone = ns;
    REQUIRE_FALSE(gone.valid());
    const nsnet::firewall::RuleOptions accept{.match = {.saddr = "10.88.0.0/16"}, .action = nsnet::firewall::Action::Accept};
    const std::vector<std::pair<const char*, std::function<void()>>> calls = {
        {"Masquerade::create", [&] { (void)Masquerade::create(gone, {.saddr = "10.88.0.0/16"}); }},
        {"Masquerade::list", [&] { (void)Masquerade::list(gone); }},
        {"Dnat::remove_owned", [&] { (void)Dnat::remove_owned(gone, "c1"); }},
        {"ForwardPolicy::create", [&] { (void)ForwardPolicy::create(gone, Verdict::Drop); }},
        {"ForwardPolicy::get", [&] { (void)ForwardPolicy::get(gone); }},
        {"firewall::Rule::ensure", [&] { (void)nsnet::firewall::Rule::ensure(gone, accept); }},
        {"firewall::Rule::list", [&] { (void)nsnet::firewall::Rule::list(gone); }},
        {"firewall::Batch::commit", [&] {
             nsnet::firewall::Batch b(gone);
             auto m = b.add(MasqueradeOptions{.saddr = "10.88.0.0/16"});
             b.commit();
         }},
        {"Nexthop::supported", [&] { (void)nsnet::Nexthop::supported(gone); }},
        {"spawn", [&] { (void)gone.spawn({"true"}); }},
    };
    for (const auto& entry : calls) {
        // Not a structured binding: doctest's macros capture in lambdas (clang before 16 refuses).
        const auto& call = entry.second;
        CAPTURE(entry.first);
        NothingSent inj;
        std::string message;
        {
            nsnet::detail::ScopedFaultInjector scope(inj);
            message = nsnet::test::rejection(call);
        }
        CHECK(nsnet::test::has(message, "empty NetnsRef"));
        CHECK(inj.calls.load() == 0);
    }
}
