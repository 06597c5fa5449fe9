// tests/integration/main.cpp — main() of the integration tests: root check, doctest, leak check.
//
// Without root the whole binary is skipped (exit 77, which Meson and tests/vm/run report as SKIP).
// Before running the tests it records the state every test promises not to change:
//   - the named namespaces in /run/netns (`ip netns list`),
//   - the links of the starting namespace, as index:name (`ip link`; read with if_nameindex(),
//     glibc's own RTM_GETLINK dump, so the check does not depend on the code under test),
//   - the mounts below /run/netns/ in /proc/self/mountinfo (mount point and nsfs root),
//   - the network namespace of the main thread (nsnet must never move the caller's thread),
// and compares after the tests. Any difference fails the run (exit 1) with a list of what changed.
// Leftovers named with this run's prefix (support.hpp: nst<pid>-) are removed after the report, so
// a failed run does not leave them behind; those of an earlier run that crashed (its process is
// gone) are removed before the first snapshot.
//
// Several developers may run tests on one machine at once. Set NSNET_LEAK_CHECK=own to ignore
// changes to names that do not carry this run's prefix (they are then reported as notes only).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <dirent.h>
#include <net/if.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

extern char** environ;

namespace {

struct Snapshot {
    std::set<std::string> netns;   // names in /run/netns
    std::set<std::string> links;   // "index:name" in the starting namespace
    std::set<std::string> mounts;  // "mountpoint root" of mounts below /run/netns/
    std::string thread_netns;      // the main thread's namespace, "net:[inode]"
};

std::set<std::string> named_namespaces() {
    std::set<std::string> names;
    if (DIR* d = ::opendir("/run/netns")) {
        while (dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") names.insert(n);
        }
        ::closedir(d);
    }
    return names;
}

std::set<std::string> starting_links() {
    std::set<std::string> links;
    struct if_nameindex* list = ::if_nameindex();
    if (!list) {
        std::perror("leak check: if_nameindex");
        std::exit(1);
    }
    for (struct if_nameindex* i = list; i->if_index != 0; ++i)
        links.insert(std::to_string(i->if_index) + ":" + i->if_name);
    ::if_freenameindex(list);
    return links;
}

// mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw". Field 4 is the root
// (for nsfs "net:[4026532...]"), field 5 the mount point.
std::set<std::string> netns_mounts() {
    std::set<std::string> mounts;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        if (!(fields >> id >> parent >> dev >> root >> point)) continue;
        if (point.rfind("/run/netns/", 0) == 0) mounts.insert(point + " " + root);
    }
    return mounts;
}

std::string thread_netns() {
    char buf[64] = {};
    ssize_t n = ::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
}

Snapshot snapshot() { return {named_namespaces(), starting_links(), netns_mounts(), thread_netns()}; }

bool ours(const std::string& item) { return item.find(nsnet::test::name_prefix()) != std::string::npos; }

// Reports the difference of one kind; returns true if it counts as a leak.
bool report(const char* what, const std::set<std::string>& before, const std::set<std::string>& after,
            bool own_only) {
    std::vector<std::string> added, removed;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(removed));
    bool leak = false;
    auto print = [&](const char* how, const std::vector<std::string>& items) {
        for (const auto& i : items) {
            bool counts = !own_only || ours(i);
            leak |= counts;
            std::printf("leak check: %s %s %s: %s%s\n", counts ? "FAIL" : "note", what, how, i.c_str(),
                        counts ? "" : " (not this run's prefix; ignored with NSNET_LEAK_CHECK=own)");
        }
    };
    print("left behind", added);
    print("disappeared", removed);
    return leak;
}

void run_quietly(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid;
    if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return;
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
}

// `ip netns del NAME`, without the ip binary (the VM has none); true if the name is gone.
bool remove_named_namespace(const std::string& name) {
    std::string path = "/run/netns/" + name;
    ::umount2(path.c_str(), MNT_DETACH);
    return ::unlink(path.c_str()) == 0;
}

// Removes what this run (prefix nst<pid>-) left behind, after it has been reported.
void remove_own_leftovers(const Snapshot& before, const Snapshot& after) {
    for (const auto& n : after.netns) {
        if (before.netns.count(n) || !ours(n)) continue;
        if (remove_named_namespace(n)) std::printf("leak check: removed namespace %s\n", n.c_str());
    }
    for (const auto& l : after.links) {
        if (before.links.count(l) || !ours(l)) continue;
        std::string name = l.substr(l.find(':') + 1);
        run_quietly({"ip", "link", "del", "dev", name});
        std::printf("leak check: tried to remove link %s from the starting namespace\n", name.c_str());
    }
}

// A run that crashed or was killed (a sanitizer abort, a timeout) never reached its own clean-up:
// its namespaces (nst<pid>-...) stay, and would pin kernel memory until someone runs `ip netns del`.
// Before taking the "before" snapshot, remove those whose process is gone. A run that is still
// going (another developer's, on the same machine) is left alone.
void remove_stale_runs() {
    for (const auto& n : named_namespaces()) {
        if (n.rfind("nst", 0) != 0) continue;
        std::size_t dash = n.find('-');
        if (dash == std::string::npos || dash == 3) continue;
        std::string pid = n.substr(3, dash - 3);
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (std::stol(pid) == ::getpid() || ::access(("/proc/" + pid).c_str(), F_OK) == 0) continue;
        if (remove_named_namespace(n))
            std::printf("leak check: removed namespace %s, left by an earlier run (process %s is gone)\n", n.c_str(),
                        pid.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::printf("SKIP: integration tests need root\n");
        return 77;
    }
    const char* mode = std::getenv("NSNET_LEAK_CHECK");
    bool own_only = mode && std::strcmp(mode, "own") == 0;

    remove_stale_runs();
    Snapshot before = snapshot();

    doctest::Context context;
    context.applyCommandLine(argc, argv);
    int rc = context.run();
    if (context.shouldExit()) return rc;  // --help, --list-test-cases, ...

    Snapshot after = snapshot();
    bool leak = false;
    leak |= report("namespace", before.netns, after.netns, own_only);
    leak |= report("link in the starting namespace", before.links, after.links, own_only);
    leak |= report("mount", before.mounts, after.mounts, own_only);
    if (before.thread_netns != after.thread_netns) {
        std::printf("leak check: FAIL the main thread changed namespace: %s -> %s\n", before.thread_netns.c_str(),
                    after.thread_netns.c_str());
        leak = true;
    }
    if (leak) {
        remove_own_leftovers(before, after);
        std::printf("leak check: FAIL (the tests changed state they must leave alone)\n");
        return rc ? rc : 1;
    }
    std::printf("leak check: OK (%zu named namespaces, %zu links, %zu /run/netns mounts as before)\n",
                after.netns.size(), after.links.size(), after.mounts.size());
    return rc;
}
