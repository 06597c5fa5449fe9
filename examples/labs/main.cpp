// examples/labs/main.cpp — the lab driver: lists, runs and cleans up the tutorial's labs.
//
//   labs --list                     the labs, in the tutorial's order
//   labs --all | ID [ID...]         run them one after another, then a table of every check
//   labs --prefix P                 namespace names are P + the tutorial's name (default nsl-)
//   labs --keep                     leave the topology in place, print how to remove it
//   labs --cleanup P                delete every namespace /run/netns/P* (after a SIGKILLed run)
//   labs --verbose                  also print each namespace created/deleted and kernel probes
// Exit status: 0 all checks PASS or SKIP; 1 a check FAILed or a lab threw; 2 usage;
// 128+N interrupted by signal N.
//
// Signals and cleanup. SIGINT, SIGTERM and SIGHUP are blocked in every thread (before any thread
// exists) and read from a signalfd by one watcher thread, so no code ever runs in a signal handler.
//  1. First signal: the watcher sets a flag and wakes any ctx.sleep()/pause. The lab's next Context
//     call throws lab::Interrupted; the stack unwinds and the Context removes what the lab created
//     in reverse order (the same path as a normal end or an exception). --keep is ignored then.
//  2. A second signal while that removal runs is only acknowledged: removal is never cut short
//     halfway. A second signal *before* removal started (a lab stuck in a long probe), or a lab
//     that does not get there within 20 s, triggers the emergency path: the watcher deletes the
//     namespaces this process registered as created (and only those) by name — everything a lab
//     makes lives inside them — and exits 128+N. Deleting by name is idempotent, so it cannot
//     conflict with the main thread removing the same namespace.
//  3. SIGKILL cannot be caught: `labs --cleanup PREFIX` removes what such a run left.
// No NSS lookups, no dlopen: the binary also works when linked statically (tests/vm).
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "lab.hpp"

namespace {

// LABS.md's catalogue order; labs not listed here run after these, by id.
const char* const catalogue_order[] = {
    "netns",    "loopback",  "vlan",          "macvlan-bridge", "macvlan-vepa", "macvlan-private",
    "macvlan-passthru", "ipvlan-l2", "ipvlan-l3", "ipvlan-l3s", "vxlan", "vxlan-learning",
    "bridge",   "docker-bridge", "tuntap",    "objects",
};

std::vector<lab::LabInfo> sorted_labs() {
    auto all = lab::registry();
    auto rank = [](const std::string& id) {
        for (std::size_t i = 0; i < std::size(catalogue_order); ++i)
            if (id == catalogue_order[i]) return i;
        return std::size(catalogue_order);
    };
    std::stable_sort(all.begin(), all.end(), [&](const lab::LabInfo& a, const lab::LabInfo& b) {
        auto ra = rank(a.id), rb = rank(b.id);
        return ra != rb ? ra < rb : a.id < b.id;
    });
    return all;
}

void say(const char* text) {
    // From the watcher thread: straight to stderr, no buffering.
    (void)!::write(STDERR_FILENO, text, std::strlen(text));
}

// Deletes every namespace this process registered, by name; then exits 128+signo.
[[noreturn]] void emergency_cleanup(int signo) {
    auto& sh = lab::detail::shared();
    bool locked = sh.registry_mutex.try_lock_for(std::chrono::seconds(2));
    for (const auto& name : sh.registry) {
        try {
            nsnet::Netns::remove(name);
            std::string m = "labs: removed namespace " + name + "\n";
            say(m.c_str());
        } catch (const nsnet::Error& e) {
            if (e.errnum() != ENOENT) {
                std::string m = std::string("labs: could not remove namespace ") + name + ": " + e.what() + "\n";
                say(m.c_str());
            }
        }
    }
    if (locked) sh.registry_mutex.unlock();
    ::_exit(128 + signo);
}

class SignalWatcher {
public:
    explicit SignalWatcher(const sigset_t& set) {
        sfd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
        stop_ = ::eventfd(0, EFD_CLOEXEC);
        if (sfd_ < 0 || stop_ < 0) {
            std::perror("labs: signalfd/eventfd");
            std::exit(1);
        }
        thread_ = std::thread([this] { loop(); });
    }
    ~SignalWatcher() {
        std::uint64_t one = 1;
        (void)!::write(stop_, &one, sizeof one);
        thread_.join();
        ::close(sfd_);
        ::close(stop_);
    }

private:
    void loop() {
        using Clock = std::chrono::steady_clock;
        auto& sh = lab::detail::shared();
        int count = 0, first = 0;
        Clock::time_point grace{};
        for (;;) {
            pollfd p[2] = {{sfd_, POLLIN, 0}, {stop_, POLLIN, 0}};
            int timeout = -1;
            if (count > 0) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(grace - Clock::now()).count();
                timeout = static_cast<int>(std::max<long long>(left, 0));
            }
            int n = ::poll(p, 2, timeout);
            if (n < 0 && errno == EINTR) continue;
            if (p[1].revents & POLLIN) return;
            if (p[0].revents & POLLIN) {
                signalfd_siginfo si{};
                if (::read(sfd_, &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
                int signo = static_cast<int>(si.ssi_signo);
                if (++count == 1) {
                    first = signo;
                    sh.signal = signo;
                    std::uint64_t one = 1;
                    (void)!::write(sh.wake_fd, &one, sizeof one);
                    grace = Clock::now() + std::chrono::seconds(20);
                    std::string m = std::string("\nlabs: ") + ::strsignal(signo) +
                                    ": stopping; removing everything the lab created (signal again to hurry)\n";
                    say(m.c_str());
                } else if (sh.cleaning) {
                    say("labs: removal in progress, it will not be cut short; please wait\n");
                } else {
                    say("labs: second signal: deleting this run's namespaces now\n");
                    emergency_cleanup(first);
                }
            } else if (count > 0 && Clock::now() >= grace && !sh.cleaning) {
                say("labs: the lab did not stop within 20 s: deleting this run's namespaces now\n");
                emergency_cleanup(first);
            } else if (count > 0 && Clock::now() >= grace) {
                grace = Clock::now() + std::chrono::seconds(20);  // removal is running: give it time
            }
        }
    }

    int sfd_ = -1, stop_ = -1;
    std::thread thread_;
};

void usage(FILE* out, const char* argv0) {
    std::fprintf(out,
                 "usage: %s [options] --all | ID [ID...]\n"
                 "       %s --list\n"
                 "       %s --cleanup PREFIX\n"
                 "Runs the tutorial's labs in network namespaces it creates (root needed).\n"
                 "  --list            list the labs\n"
                 "  --all             run every lab, one after another\n"
                 "  --prefix P        namespace name prefix (default nsl-): n1 becomes nsl-n1\n"
                 "  --keep            leave the topology in place and print how to remove it\n"
                 "  --cleanup PREFIX  delete every namespace /run/netns/PREFIX* (e.g. after kill -9)\n"
                 "  --verbose         print namespaces created/deleted and kernel probes\n",
                 argv0, argv0, argv0);
}

int cleanup_prefix(const std::string& prefix) {
    if (prefix.empty() || prefix.find('/') != std::string::npos) {
        std::fprintf(stderr, "labs: --cleanup needs a non-empty prefix without '/'\n");
        return 2;
    }
    int removed = 0, failed = 0;
    auto names = nsnet::Netns::list();
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (n.rfind(prefix, 0) != 0) continue;
        try {
            nsnet::Netns::remove(n);  // ip netns del N
            std::printf("removed namespace %s\n", n.c_str());
            ++removed;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "could not remove namespace %s: %s\n", n.c_str(), e.what());
            ++failed;
        }
    }
    std::printf("%d namespace(s) with prefix '%s' removed%s\n", removed, prefix.c_str(),
                failed ? ", some could not be" : "");
    return failed ? 1 : 0;
}

void print_table(const std::vector<lab::CheckRecord>& rows) {
    std::size_t w_lab = 3, w_verdict = 6;
    for (const auto& r : rows) {
        w_lab = std::max(w_lab, r.lab.size());
        w_verdict = std::max(w_verdict, r.verdict.size());
    }
    std::printf("\n=== summary\n%-*s  %-*s  %s\n", static_cast<int>(w_lab), "lab", static_cast<int>(w_verdict), "result",
                "check");
    int pass = 0, fail = 0, skip = 0, error = 0, interrupted = 0;
    for (const auto& r : rows) {
        std::string text = r.what;
        if (!r.measured.empty()) text += "  (" + r.measured + ")";
        std::printf("%-*s  %-*s  %s\n", static_cast<int>(w_lab), r.lab.c_str(), static_cast<int>(w_verdict),
                    r.verdict.c_str(), text.c_str());
        if (r.verdict == "PASS") ++pass;
        else if (r.verdict == "FAIL") ++fail;
        else if (r.verdict == "SKIP") ++skip;
        else if (r.verdict == "INTERRUPTED") ++interrupted;
        else ++error;
    }
    std::printf("=== %d passed, %d failed, %d skipped, %d lab error(s)%s\n", pass, fail, skip, error,
                interrupted ? ", interrupted" : "");
}

}  // namespace

int main(int argc, char** argv) {
    // Before any thread exists: every thread inherits this mask, so only the watcher sees signals.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    lab::Options options;
    bool list = false, all = false;
    std::string cleanup;
    bool do_cleanup = false;
    std::vector<std::string> ids;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* flag) -> std::string {
            std::string f = flag;
            if (a.rfind(f + "=", 0) == 0) return a.substr(f.size() + 1);
            if (i + 1 >= argc) {
                std::fprintf(stderr, "labs: %s needs a value\n", flag);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--list") list = true;
        else if (a == "--all") all = true;
        else if (a == "--keep") options.keep = true;
        else if (a == "--verbose" || a == "-v") options.verbose = true;
        else if (a == "--pause-after-setup") options.pause_after_setup = true;
        else if (a == "--pause-before-cleanup") options.pause_before_cleanup = true;
        else if (a == "--prefix" || a.rfind("--prefix=", 0) == 0) options.prefix = value("--prefix");
        else if (a == "--cleanup" || a.rfind("--cleanup=", 0) == 0) {
            cleanup = value("--cleanup");
            do_cleanup = true;
        } else if (a == "-h" || a == "--help") {
            usage(stdout, argv[0]);
            return 0;
        } else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "labs: unknown option %s\n", a.c_str());
            usage(stderr, argv[0]);
            return 2;
        } else {
            ids.push_back(a);
        }
    }
    if (options.prefix.find('/') != std::string::npos) {
        std::fprintf(stderr, "labs: --prefix '%s' must not contain '/'\n", options.prefix.c_str());
        return 2;
    }

    auto catalogue = sorted_labs();
    if (list) {
        for (const auto& l : catalogue) std::printf("%-18s %s\n", l.id.c_str(), l.section.c_str());
        return 0;
    }
    if (do_cleanup) return cleanup_prefix(cleanup);

    std::vector<lab::LabInfo> to_run;
    if (all) to_run = catalogue;
    for (const auto& id : ids) {
        auto it = std::find_if(catalogue.begin(), catalogue.end(), [&](const lab::LabInfo& l) { return l.id == id; });
        if (it == catalogue.end()) {
            std::fprintf(stderr, "labs: no lab '%s' (labs --list shows them)\n", id.c_str());
            return 2;
        }
        if (std::none_of(to_run.begin(), to_run.end(), [&](const lab::LabInfo& l) { return l.id == id; }))
            to_run.push_back(*it);
    }
    if (to_run.empty()) {
        usage(stderr, argv[0]);
        return 2;
    }

    auto& sh = lab::detail::shared();
    sh.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::vector<lab::CheckRecord> table;
    std::vector<std::string> kept;
    bool lab_error = false;
    {
        SignalWatcher watcher(set);
        // With --keep, several labs would reuse the tutorial's names (ns1, ns2 ...): give each
        // lab its own prefix then (nsl-vlan-ns1), so all of them can stay.
        bool per_lab_prefix = options.keep && to_run.size() > 1;
        for (const auto& info : to_run) {
            if (sh.signal) break;
            lab::Options o = options;
            if (per_lab_prefix) o.prefix = options.prefix + info.id + "-";
            std::printf("\n=== lab %s — %s\n", info.id.c_str(), info.section.c_str());
            auto started = std::chrono::steady_clock::now();
            lab::Context ctx(o, info.id);
            try {
                info.run(ctx);
            } catch (const lab::Interrupted& e) {
                ctx.record("INTERRUPTED", "lab stopped by a signal", e.what());
            } catch (const std::exception& e) {
                std::string why = e.what();
                if (auto* ne = dynamic_cast<const nsnet::Error*>(&e); ne && ne->errnum() == EPERM)
                    why += " (the labs need root: run them with sudo)";
                ctx.record("ERROR", "lab threw", why);
                lab_error = true;
            } catch (...) {
                ctx.record("ERROR", "lab threw", "an exception that is not a std::exception");
                lab_error = true;
            }
            if (o.pause_before_cleanup && !sh.signal) ctx.pause("its checks are done");
            bool keep = o.keep && !sh.signal;
            auto names = ctx.namespace_names();
            if (!ctx.cleanup(keep)) lab_error = true;
            if (keep) kept.insert(kept.end(), names.begin(), names.end());
            table.insert(table.end(), ctx.results().begin(), ctx.results().end());
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            int p = 0, f = 0, s = 0;
            for (const auto& r : ctx.results()) {
                p += r.verdict == "PASS";
                f += r.verdict == "FAIL";
                s += r.verdict == "SKIP";
            }
            std::printf("--- lab %s: %d PASS, %d FAIL, %d SKIP (%.1f s)%s\n", info.id.c_str(), p, f, s, secs,
                        keep ? "; topology kept" : "; everything it created is removed");
        }
        if (sh.signal) {
            for (const auto& info : to_run) {
                bool ran = std::any_of(table.begin(), table.end(), [&](const lab::CheckRecord& r) { return r.lab == info.id; });
                if (!ran) table.push_back({info.id, "INTERRUPTED", "not run", ""});
            }
        }
        print_table(table);
        if (!kept.empty()) {
            std::string dels;
            for (const auto& n : kept) dels += (dels.empty() ? "" : "; ") + std::string("sudo ip netns del ") + n;
            std::printf("\n--keep: the topology is left in place:");
            for (const auto& n : kept) std::printf(" %s", n.c_str());
            std::printf("\n  look around:  sudo ip netns exec %s ip a\n", kept.front().c_str());
            std::printf("  remove it:    sudo %s --cleanup %s\n", argv[0], options.prefix.c_str());
            std::printf("           or:  %s\n", dels.c_str());
        }
        std::fflush(stdout);
    }  // the watcher stops here; a signal arriving after this stays pending (blocked) until exit
    if (int s = sh.signal.load()) return 128 + s;
    bool failed = lab_error || std::any_of(table.begin(), table.end(), [](const lab::CheckRecord& r) {
                      return r.verdict == "FAIL" || r.verdict == "ERROR";
                  });
    return failed ? 1 : 0;
}
