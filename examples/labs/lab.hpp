// examples/labs/lab.hpp — what a lab sees: the Context (namespaces, owned resources, checks,
// `ip a` views) and the registry (NSNET_LAB). The driver is examples/labs/main.cpp.
//
// A lab is one function, registered once per file:
//
//   NSNET_LAB("netns", "网络命名空间", [](lab::Context& ctx) {
//       auto& n1 = ctx.netns("n1");                               // ip netns add n1 (as nsl-n1)
//       ...
//       ctx.check("n1 -> 10.10.10.2 answers", r.all_answered(), r.summary());
//   });
//
// Everything a lab creates goes through the Context: namespaces with ctx.netns(), every other
// RAII object (VethPair, Bridge, servers ...) with ctx.own(). The Context keeps them in one
// nsnet::Transaction: when the lab ends — normally, by an exception, or because SIGINT/SIGTERM
// arrived — it rolls that back, destroying them in reverse order, so nothing is left behind;
// with --keep it persist()s them instead and the driver prints how to remove them. A signal makes the next Context call throw lab::Interrupted (see main.cpp for the
// whole story, including the fallback when a lab is stuck).
//
// Not for the library: this is example code, free to use kernel constants and to print.
#pragma once

#include <poll.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nsnet/nsnet.hpp>
#include <nsnet/show.hpp>           // `ip a`
#include <nsnet_probe/probe.hpp>  // ping, TCP/HTTP probes: test tooling, not the installed library
#include <nsnet/transaction.hpp>

namespace lab {

struct Options {
    std::string prefix = "nsl-";     // namespace names are prefix + the tutorial's name
    bool keep = false;               // leave the topology in place (persist), print how to remove it
    bool verbose = false;
    bool pause_after_setup = false;     // hidden (tests): wait for a signal at a lab's first check
    bool pause_before_cleanup = false;  // hidden (tests): wait for a signal when the lab returned
};

// One line of the final table.
struct CheckRecord {
    std::string lab{};
    std::string verdict{};  // PASS, FAIL, SKIP, ERROR (the lab threw), INTERRUPTED
    std::string what{};
    std::string measured{};
};

// Thrown by Context calls once SIGINT/SIGTERM arrived: unwinds the lab so its resources are removed.
class Interrupted : public std::runtime_error {
public:
    explicit Interrupted(int signo)
        : std::runtime_error("interrupted by signal " + std::to_string(signo)), signo_(signo) {}
    int signo() const noexcept { return signo_; }

private:
    int signo_;
};

namespace detail {

// State shared by the labs, the driver and its signal thread.
struct Shared {
    std::atomic<int> signal{0};      // the first SIGINT/SIGTERM/SIGHUP received, 0 while none
    std::atomic<bool> cleaning{false};  // a Context is removing its resources right now
    int wake_fd = -1;                // eventfd, readable once a signal arrived (interrupts sleeps)
    // Names of namespaces this process created and has not yet removed or handed over (--keep):
    // the signal thread's emergency cleanup deletes exactly these, never anything else.
    std::timed_mutex registry_mutex{};
    std::vector<std::string> registry{};
};

inline Shared& shared() {
    static Shared s;
    return s;
}

inline void register_netns(const std::string& name) {
    std::lock_guard lock(shared().registry_mutex);
    shared().registry.push_back(name);
}
inline void unregister_netns(const std::string& name) {
    std::lock_guard lock(shared().registry_mutex);
    std::erase(shared().registry, name);
}

// Waits until a signal arrived or `timeout` passed; true when interrupted.
inline bool wait_for_signal(std::chrono::milliseconds timeout) {
    if (shared().signal.load()) return true;
    pollfd p{shared().wake_fd, POLLIN, 0};
    if (p.fd < 0) {
        ::usleep(static_cast<useconds_t>(timeout.count() * 1000));
    } else {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!shared().signal.load()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            ::poll(&p, 1, static_cast<int>(left.count()));
        }
    }
    return shared().signal.load() != 0;
}

// A namespace the lab created, as the Context's transaction holds it: removing or persisting it
// also takes its name off the emergency-cleanup registry.
struct RegisteredNetns {
    RegisteredNetns(nsnet::Netns n, std::vector<std::string>* removed_log)
        : ns(std::move(n)), name(ns.name()), removed(removed_log) {}
    RegisteredNetns(RegisteredNetns&&) noexcept = default;  // the moved-from one owns nothing
    ~RegisteredNetns() {
        // Normally removed by the Context already; this is the last resort.
        if (ns.owned()) {
            try {
                ns.remove();
                unregister_netns(name);
            } catch (...) {
            }
        }
    }
    void persist() noexcept {
        ns.persist();
        unregister_netns(name);
    }
    void remove() {
        if (!ns.owned()) return;
        ns.remove();  // ip netns del NAME
        unregister_netns(name);
        if (removed) removed->push_back(name);
    }
    nsnet::Netns ns;
    std::string name;
    std::vector<std::string>* removed;
};

// Kernel link kinds probed once per process (kernel_supports): "" = supported, else the reason.
inline std::map<std::string, std::string>& kind_cache() {
    static std::map<std::string, std::string> cache;
    return cache;
}

}  // namespace detail

class Context {
public:
    Context(Options options, std::string lab) : options_(std::move(options)), lab_(std::move(lab)) {}
    ~Context() { cleanup(); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const Options& options() const { return options_; }
    const std::string& lab() const { return lab_; }

    // prefix + base: "nsl-n1". Namespaces only: interface names inside them follow the tutorial.
    std::string name(std::string_view base) const { return options_.prefix + std::string(base); }

    // ip netns add PREFIX+BASE. Owned by the Context (removed when the lab ends). A name that
    // already exists is an error naming it, and nothing of it is touched. Asking again for the
    // same base returns the namespace created before.
    nsnet::Netns& netns(std::string_view base) {
        checkpoint();
        std::string full = name(base);
        for (auto* n : namespaces_)
            if (n->name == full) return n->ns;
        detail::RegisteredNetns* held = nullptr;
        {
            // Registered under the lock, so the emergency cleanup either sees the name or the
            // namespace does not exist yet.
            std::lock_guard lock(detail::shared().registry_mutex);
            nsnet::Netns created;
            try {
                created = nsnet::Netns::create(full);
            } catch (const nsnet::Error& e) {
                if (e.errnum() != EEXIST) throw;
                throw nsnet::Error(EEXIST, e.operation(), full, {},
                                   e.detail() + "; the lab does not touch namespaces it did not create: if an earlier "
                                                "run left it, `labs --cleanup " + options_.prefix + "` removes it");
            }
            detail::shared().registry.push_back(full);
            held = &tx_.add("ip netns add " + full, detail::RegisteredNetns(std::move(created), &removed_));
        }
        if (options_.verbose) std::printf("  . ip netns add %s\n", full.c_str());
        namespaces_.push_back(held);
        return namespaces_.back()->ns;
    }

    // Keeps an RAII object (VethPair, Bridge, servers ...) alive until the lab ends, then destroys
    // it (reverse order of creation); with --keep, calls its persist() instead (if it has one).
    template <class T>
    T& own(T&& resource) {
        static_assert(!std::is_lvalue_reference_v<T>, "ctx.own() takes ownership: pass a temporary or std::move(x)");
        static_assert(!std::is_same_v<std::remove_cvref_t<T>, nsnet::Netns>, "use ctx.netns() for namespaces");
        checkpoint();
        return tx_.add("resource " + std::to_string(tx_.size() + 1) + " of lab " + lab_, std::move(resource));
    }

    // "PASS  <what>  (<measured>)" or "FAIL  ...".
    void check(std::string_view what, bool pass, std::string_view measured = {}) {
        first_check();
        record(pass ? "PASS" : "FAIL", what, measured);
    }
    // "SKIP  <what>  (<reason>)": not a failure (e.g. the kernel lacks a link type).
    void skip(std::string_view what, std::string_view reason) {
        first_check();
        record("SKIP", what, reason);
    }
    // The `ip a` view of a namespace, headed like the tutorial's prompt.
    void show(const nsnet::NetnsRef& ns, std::string_view title = {}) {
        checkpoint();
        std::string text = nsnet::show_addresses(ns);
        std::printf("\n$ ip netns exec %s ip a%s%s\n", ns.display_name().c_str(), title.empty() ? "" : "    # ",
                    std::string(title).c_str());
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
    }
    // A free text line: "# <text>".
    void note(std::string_view text) {
        checkpoint();
        std::printf("# %s\n", std::string(text).c_str());
        std::fflush(stdout);
    }
    // True when the kernel can create links of this kind (probed once per process in a scratch
    // anonymous namespace: "vlan", "macvlan", "ipvlan", "vxlan", "bridge", ...).
    bool kernel_supports(std::string_view link_kind) { return kernel_lacks(link_kind).empty(); }
    // "" when supported, else why not (for ctx.skip's reason).
    std::string kernel_lacks(std::string_view link_kind) {
        checkpoint();
        std::string kind(link_kind);
        auto& cache = detail::kind_cache();
        if (auto it = cache.find(kind); it != cache.end()) return it->second;
        std::string why = probe_kind(kind);
        if (options_.verbose)
            std::printf("  . kernel link type '%s': %s\n", kind.c_str(), why.empty() ? "supported" : why.c_str());
        cache[kind] = why;
        return why;
    }

    // Waits (up to `timeout`) until the link's operational state is UP, as `ip a` shows it after
    // `ip link set X up` once the carrier settled; false if it did not get there.
    bool wait_until_up(const nsnet::Link& link, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            checkpoint();
            if (link.info().operstate == IF_OPER_UP) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            sleep(std::chrono::milliseconds(10));
        }
    }
    // Sleeps, but returns early (throwing Interrupted) when a signal arrives.
    void sleep(std::chrono::milliseconds duration) {
        detail::wait_for_signal(duration);
        checkpoint();
    }
    bool interrupted() const { return detail::shared().signal.load() != 0; }
    // Throws Interrupted if a signal arrived (every Context call does this first).
    void checkpoint() const {
        if (int s = detail::shared().signal.load()) throw Interrupted(s);
    }

    const std::vector<CheckRecord>& results() const { return results_; }
    // Adds a line for the table (the driver records ERROR/INTERRUPTED this way).
    void record(std::string_view verdict, std::string_view what, std::string_view measured) {
        results_.push_back({lab_, std::string(verdict), std::string(what), std::string(measured)});
        std::string line = std::string(verdict) + "  " + std::string(what);
        if (!measured.empty()) line += "  (" + std::string(measured) + ")";
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    }

    // Names of the namespaces the lab created (for --keep's message).
    std::vector<std::string> namespace_names() const {
        std::vector<std::string> v;
        for (auto* n : namespaces_) v.push_back(n->name);
        return v;
    }

    // Ends the lab's resources: persist all (keep) or remove all, newest first. Never throws;
    // failures are printed. Removal continues after a failure, so one stuck object does not leave
    // the rest behind. Returns false if something could not be removed.
    bool cleanup(bool keep = false) noexcept {
        bool ok = true;
        detail::shared().cleaning = true;
        removed_.clear();
        if (keep) {
            tx_.persist_all();
        } else {
            // The lab's transaction: everything it created, removed newest first.
            for (const auto& f : tx_.rollback()) {
                ok = false;
                std::printf("WARNING  cleanup of lab %s: %s\n", lab_.c_str(), f.error.c_str());
            }
        }
        std::vector<std::string> removed = std::move(removed_);
        namespaces_.clear();
        if (!removed.empty() && options_.verbose) {
            std::string list;
            for (auto& n : removed) list += " " + n;
            std::printf("  . ip netns del%s\n", list.c_str());
        }
        detail::shared().cleaning = false;
        std::fflush(stdout);
        return ok;
    }

private:
    void first_check() {
        checkpoint();
        if (checks_started_) return;
        checks_started_ = true;
        if (!options_.pause_after_setup) return;
        pause("it is set up");
        checkpoint();
    }

public:
    // For tests of the signal handling: says where the lab stands on one line starting "PAUSED",
    // then waits for a signal (at most 60 s).
    void pause(std::string_view why) {
        std::string names;
        for (auto* n : namespaces_) names += " " + n->name;
        std::printf("PAUSED  lab %s: %s (namespaces:%s); pid %d waits for SIGINT/SIGTERM (60 s)\n", lab_.c_str(),
                    std::string(why).c_str(), names.c_str(), static_cast<int>(::getpid()));
        std::fflush(stdout);
        detail::wait_for_signal(std::chrono::seconds(60));
    }

private:

    // Creates a link of `kind` in a scratch namespace (a veth gives the kinds that need a parent
    // one) and reports why it failed, or "".
    static std::string probe_kind(const std::string& kind) {
        try {
            auto scratch = nsnet::Netns::create_anonymous();
            auto parent = nsnet::VethPair::create(scratch, {.name = "probe-p0", .peer = {.name = "probe-p1"}});
            nsnet::rtnl::LinkCreate c{.name = "probe0", .kind = kind};
            if (kind == "vlan" || kind == "macvlan" || kind == "macvtap" || kind == "ipvlan" || kind == "ipvtap")
                c.parent = parent.first().index();
            if (kind == "vlan") c.info_data = [](nsnet::nl::MessageBuilder& m) { m.put_u16(IFLA_VLAN_ID, 100); };
            if (kind == "vxlan") c.info_data = [](nsnet::nl::MessageBuilder& m) { m.put_u32(IFLA_VXLAN_ID, 100); };
            auto msg = nsnet::rtnl::link_new(c);
            scratch.with_rtnl([&](nsnet::nl::Socket& s) { nsnet::nl::request(s, msg, "create " + kind + " link", "probe0"); });
            return {};  // the scratch namespace (and the link) go away here
        } catch (const nsnet::Error& e) {
            if (e.errnum() == EOPNOTSUPP)
                return "this kernel has no '" + kind + "' link type (module missing): " + e.what();
            return "creating a '" + kind + "' link failed: " + e.what();
        } catch (const std::exception& e) {
            return "probing '" + kind + "' failed: " + e.what();
        }
    }

    Options options_;
    std::string lab_;
    std::vector<std::string> removed_{};  // namespaces removed by cleanup(), for --verbose (outlives tx_)
    nsnet::Transaction tx_{};             // everything the lab created, in order
    std::vector<detail::RegisteredNetns*> namespaces_{};  // the namespaces among it (owned by tx_)
    std::vector<CheckRecord> results_{};
    bool checks_started_ = false;
};

// The lab registry: every NSNET_LAB adds one entry at static initialisation.
struct LabInfo {
    std::string id{};
    std::string section{};  // the tutorial's section title
    std::function<void(Context&)> run{};
};

inline std::vector<LabInfo>& registry() {
    static std::vector<LabInfo> labs;
    return labs;
}

struct Registrar {
    Registrar(std::string id, std::string section, std::function<void(Context&)> run) {
        registry().push_back({std::move(id), std::move(section), std::move(run)});
    }
};

}  // namespace lab

#define NSNET_LAB_CONCAT2(a, b) a##b
#define NSNET_LAB_CONCAT(a, b) NSNET_LAB_CONCAT2(a, b)
// NSNET_LAB("id", "tutorial section", [](lab::Context& ctx) { ... });
#define NSNET_LAB(id, section, ...) \
    static ::lab::Registrar NSNET_LAB_CONCAT(nsnet_lab_registrar_, __COUNTER__)(id, section, __VA_ARGS__)
