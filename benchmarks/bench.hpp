// benchmarks/bench.hpp — what the workload programs share: command line, child processes timed from
// the outside, medians, the table, and removal of every namespace a run created.
//
// Every measured run is a child process (nsnet worker, libnl program, `ip -batch`), so each tool
// pays its own start-up and the peak RSS is its own (wait4's rusage). Wall time is from fork to
// reap; CPU time (user+sys) is the child's, which includes the kernel work done inside its system
// calls (the netlink requests), not work the kernel defers to its own threads (netns cleanup,
// RCU callbacks). On a loaded machine CPU time is the steadier of the two.
//
// Safety: everything happens in namespaces named nsb<pid>-*, created here and removed on exit,
// on an exception and on SIGINT/SIGTERM/SIGHUP; nothing is done in the starting namespace.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

// ---------------------------------------------------------------------------------------------
// Command line: PROGRAM [--reps N] [--quick] [--libnl-dir DIR] [--worker ARGS...]

struct Cli {
    int reps = 5;
    bool quick = false;             // smaller sizes, fewer repetitions: a smoke test
    std::string libnl_dir;          // where the libnl_* programs are (default: next to this program)
    std::string self;               // /proc/self/exe, to start workers
    std::vector<std::string> worker;  // non-empty: run as a worker with these arguments
    std::map<std::string, std::string> opts;  // --name value pairs the workload defines (e.g. --routes)

    long num(const std::string& name, long dflt) const {
        auto it = opts.find(name);
        return it == opts.end() ? dflt : std::stol(it->second);
    }
};

inline std::string dirname_of(const std::string& p) {
    auto s = p.rfind('/');
    return s == std::string::npos ? "." : p.substr(0, s);
}

inline std::string self_exe() {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) throw std::runtime_error("readlink /proc/self/exe failed");
    return std::string(buf, static_cast<std::size_t>(n));
}

inline Cli parse_cli(int argc, char** argv) {
    Cli c;
    c.self = self_exe();
    c.libnl_dir = dirname_of(c.self);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--worker") {
            for (++i; i < argc; ++i) c.worker.push_back(argv[i]);
            break;
        }
        if (a == "--quick") c.quick = true;
        else if (a == "--reps" && i + 1 < argc) c.reps = std::max(1, std::atoi(argv[++i]));
        else if (a == "--libnl-dir" && i + 1 < argc) c.libnl_dir = argv[++i];
        else if (a.rfind("--", 0) == 0 && i + 1 < argc) c.opts[a.substr(2)] = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [--reps N] [--quick] [--libnl-dir DIR] [--<size> N]\n", argv[0]);
            std::exit(2);
        }
    }
    if (c.quick && c.reps > 2) c.reps = 2;
    return c;
}

// ---------------------------------------------------------------------------------------------
// Namespaces: names, creation and cleanup (also on signals).

inline std::string prefix() { return "nsb" + std::to_string(::getpid()) + "-"; }

namespace detail {
inline std::vector<std::string>& created() {
    static std::vector<std::string> v;
    return v;
}
// Fixed-size copies of the paths for the signal handler (no allocation there).
inline char g_paths[512][96];
inline volatile sig_atomic_t g_npaths = 0;

inline void remove_path(const char* path) noexcept {
    ::umount2(path, MNT_DETACH);
    ::unlink(path);
}
extern "C" inline void on_signal(int sig) {
    for (int i = 0; i < g_npaths; ++i)
        if (g_paths[i][0]) remove_path(g_paths[i]);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}
}  // namespace detail

// Records a namespace name (nsb<pid>-...) to remove at exit; returns its path.
inline std::string track_netns(const std::string& name) {
    std::string path = "/run/netns/" + name;
    detail::created().push_back(name);
    if (detail::g_npaths < 512 && path.size() < sizeof detail::g_paths[0]) {
        std::strcpy(detail::g_paths[detail::g_npaths], path.c_str());
        detail::g_npaths = detail::g_npaths + 1;
    }
    return path;
}

// Removes every /run/netns/nsb<pid>-* (named by this run), whoever created it.
inline void remove_all_netns() noexcept {
    std::string p = prefix();
    if (auto* d = ::opendir("/run/netns")) {
        while (auto* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n.rfind(p, 0) == 0) detail::remove_path(("/run/netns/" + n).c_str());
        }
        ::closedir(d);
    }
    for (int i = 0; i < detail::g_npaths; ++i) detail::g_paths[i][0] = 0;
}

inline void install_cleanup() {
    struct sigaction sa {};
    sa.sa_handler = detail::on_signal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
    std::atexit([] { remove_all_netns(); });
}

// ---------------------------------------------------------------------------------------------
// Child processes.

struct Run {
    double wall = 0;       // seconds, fork to reap
    double cpu = 0;        // seconds, user + sys of the child
    long maxrss_kb = 0;    // peak resident set of the child
    int status = 0;        // exit status (128+signal if killed)
    std::string out;       // captured stdout (when asked)
};

struct SpawnOptions {
    std::string netns_path{};    // setns into this namespace before exec (like `ip netns exec`, without /sys)
    bool capture = false;        // stdout into Run::out (else /dev/null)
    std::string stdin_path{};    // stdin from this file (else /dev/null)
};

inline double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace detail {

// Forks, sets the child up (namespace, stdin/stdout) and execs; waits and fills a Run.
inline Run spawn_and_wait(const std::vector<std::string>& argv, const SpawnOptions& o) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Run r;
    int pipefd[2] = {-1, -1};
    if (o.capture && ::pipe2(pipefd, O_CLOEXEC) != 0) {
        r.status = 125;
        return r;
    }
    int nsfd = -1;
    if (!o.netns_path.empty() && (nsfd = ::open(o.netns_path.c_str(), O_RDONLY | O_CLOEXEC)) < 0) {
        r.status = 125;
        r.out = "open " + o.netns_path + ": " + std::strerror(errno);
        return r;
    }
    double t0 = now();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGINT, SIG_DFL);  // the launcher ignores it; its children must not
        if (nsfd >= 0 && ::setns(nsfd, CLONE_NEWNET) != 0) ::_exit(126);
        int devnull = ::open("/dev/null", O_RDWR);
        int in = o.stdin_path.empty() ? devnull : ::open(o.stdin_path.c_str(), O_RDONLY);
        ::dup2(in, 0);
        ::dup2(o.capture ? pipefd[1] : devnull, 1);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (o.capture) {
        ::close(pipefd[1]);
        char buf[16384];
        for (;;) {
            ssize_t n = ::read(pipefd[0], buf, sizeof buf);
            if (n <= 0) break;
            r.out.append(buf, static_cast<std::size_t>(n));
        }
        ::close(pipefd[0]);
    }
    int st = 0;
    rusage ru{};
    if (pid > 0)
        while (::wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {}
    r.wall = now() - t0;
    if (nsfd >= 0) ::close(nsfd);
    r.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    r.maxrss_kb = ru.ru_maxrss;
    r.status = pid < 0 ? 125 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

inline bool read_all(int fd, void* p, std::size_t n) {
    auto* b = static_cast<char*>(p);
    while (n) {
        ssize_t k = ::read(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k;
        n -= static_cast<std::size_t>(k);
    }
    return true;
}
inline bool write_all(int fd, const void* p, std::size_t n) {
    auto* b = static_cast<const char*>(p);
    while (n) {
        ssize_t k = ::write(fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k;
        n -= static_cast<std::size_t>(k);
    }
    return true;
}
inline bool send_string(int fd, const std::string& s) {
    std::uint32_t n = static_cast<std::uint32_t>(s.size());
    return write_all(fd, &n, sizeof n) && write_all(fd, s.data(), n);
}
inline bool recv_string(int fd, std::string& s) {
    std::uint32_t n = 0;
    if (!read_all(fd, &n, sizeof n)) return false;
    s.resize(n);
    return read_all(fd, s.data(), n);
}

inline int g_launcher_in = -1, g_launcher_out = -1;

// The launcher: a process forked before the driver grows, which starts every measured child.
// A child forked from a big process inherits its resident pages until exec, and the kernel counts
// them in the child's peak RSS (ru_maxrss); forked from the small launcher, a child's peak RSS is
// its own (to within the launcher's ~2 MB).
[[noreturn]] inline void launcher_loop(int in, int out) {
    for (;;) {
        std::string netns, capture, stdin_path, count;
        if (!recv_string(in, netns) || !recv_string(in, capture) || !recv_string(in, stdin_path) || !recv_string(in, count))
            ::_exit(0);
        std::vector<std::string> argv(std::stoul(count));
        for (auto& a : argv)
            if (!recv_string(in, a)) ::_exit(0);
        SpawnOptions o{netns, capture == "1", stdin_path};
        Run r = spawn_and_wait(argv, o);
        double d[2] = {r.wall, r.cpu};
        long l[2] = {r.maxrss_kb, r.status};
        if (!write_all(out, d, sizeof d) || !write_all(out, l, sizeof l) || !send_string(out, r.out)) ::_exit(0);
    }
}

}  // namespace detail

// Starts the launcher (call first thing in main, before allocating much).
inline void start_launcher() {
    int req[2], rep[2];
    if (::pipe2(req, O_CLOEXEC) != 0 || ::pipe2(rep, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(req[1]);
        ::close(rep[0]);
        ::signal(SIGINT, SIG_IGN);  // the driver cleans up and closes the pipe; the launcher then exits
        detail::launcher_loop(req[0], rep[1]);
    }
    ::close(req[0]);
    ::close(rep[1]);
    detail::g_launcher_in = rep[0];
    detail::g_launcher_out = req[1];
}

// Runs argv (argv[0] is a path or a name searched in PATH) and waits for it, through the launcher
// when there is one.
inline Run run(const std::vector<std::string>& argv, const SpawnOptions& o = {}) {
    std::fflush(nullptr);
    if (detail::g_launcher_out < 0) return detail::spawn_and_wait(argv, o);
    using namespace detail;
    bool ok = send_string(g_launcher_out, o.netns_path) && send_string(g_launcher_out, o.capture ? "1" : "0") &&
              send_string(g_launcher_out, o.stdin_path) && send_string(g_launcher_out, std::to_string(argv.size()));
    for (auto& a : argv) ok = ok && send_string(g_launcher_out, a);
    Run r;
    double d[2];
    long l[2];
    if (!ok || !read_all(g_launcher_in, d, sizeof d) || !read_all(g_launcher_in, l, sizeof l) || !recv_string(g_launcher_in, r.out))
        throw std::runtime_error("the launcher process is gone");
    r.wall = d[0];
    r.cpu = d[1];
    r.maxrss_kb = l[0];
    r.status = static_cast<int>(l[1]);
    return r;
}

// Several runs counted as one (e.g. a host `ip -batch` and one per container): times add up, the
// peak RSS is the largest.
inline Run& operator+=(Run& a, const Run& b) {
    a.wall += b.wall;
    a.cpu += b.cpu;
    a.maxrss_kb = std::max(a.maxrss_kb, b.maxrss_kb);
    if (!a.status) a.status = b.status;
    a.out += b.out;
    return a;
}

// run(), and throw if the child failed: a benchmark of a failing command measures nothing.
inline Run run_ok(const std::vector<std::string>& argv, const SpawnOptions& o = {}) {
    Run r = run(argv, o);
    if (r.status != 0) {
        std::string cmd;
        for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        throw std::runtime_error("command failed (status " + std::to_string(r.status) + "): " + cmd +
                                 (r.out.empty() ? "" : "\n" + r.out));
    }
    return r;
}

inline bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
}

// A pause between measured runs, so that work the kernel deferred (RCU callbacks, netns cleanup)
// from one run does not land in the next.
inline void settle(double seconds = 0.3) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

inline double load_average() {
    double l[3] = {0, 0, 0};
    return ::getloadavg(l, 3) > 0 ? l[0] : -1;
}
// "load average at end: 1.23" for a table's header.
inline std::string load_note() {
    char b[64];
    std::snprintf(b, sizeof b, "load average at end: %.2f", load_average());
    return b;
}

// ---------------------------------------------------------------------------------------------
// Results: samples per (phase, tool), medians, ratios, targets.

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Row {
    std::string phase, tool;
    std::vector<double> wall, cpu;
    std::vector<long> rss;
    std::string note;
};

class Table {
public:
    Table(std::string workload, std::string title) : workload_(std::move(workload)), title_(std::move(title)) {}

    // Declares the row of the tool whose time the others are compared with, in one phase.
    void reference(const std::string& phase, const std::string& tool) { ref_[phase] = tool; }
    // How many operations a phase does (for the per-operation column), and their name.
    void ops(const std::string& phase, double count, std::string unit) { ops_[phase] = {count, std::move(unit)}; }

    void add(const std::string& phase, const std::string& tool, const Run& r, const std::string& note = {}) {
        Row& row = find(phase, tool);
        row.wall.push_back(r.wall);
        row.cpu.push_back(r.cpu);
        row.rss.push_back(r.maxrss_kb);
        if (!note.empty()) row.note = note;
    }
    // A row that could not be measured (e.g. libnl missing), shown with the reason.
    void missing(const std::string& phase, const std::string& tool, const std::string& why) { find(phase, tool).note = why; }

    double wall(const std::string& phase, const std::string& tool) const {
        for (auto& r : rows_)
            if (r.phase == phase && r.tool == tool) return median(r.wall);
        return 0;
    }
    double cpu(const std::string& phase, const std::string& tool) const {
        for (auto& r : rows_)
            if (r.phase == phase && r.tool == tool) return median(r.cpu);
        return 0;
    }
    long rss(const std::string& phase, const std::string& tool) const {
        for (auto& r : rows_)
            if (r.phase == phase && r.tool == tool) {
                std::vector<double> v(r.rss.begin(), r.rss.end());
                return static_cast<long>(median(v));
            }
        return 0;
    }

    // "name: got X (wall) / Y (cpu), target >= T: MET|MISSED". kind "ratio": peer/ref >= t;
    // "max": value <= t.
    void target(const std::string& text, double wall_value, double cpu_value, double threshold, bool at_least,
                const std::string& unit) {
        auto ok = [&](double v) { return at_least ? v >= threshold : v <= threshold; };
        char buf[512];
        std::snprintf(buf, sizeof buf, "%-58s %s%.2f%s  (CPU: %.2f%s)  %s %.2f%s  %s", text.c_str(), "", wall_value,
                      unit.c_str(), cpu_value, unit.c_str(), at_least ? ">=" : "<=", threshold, unit.c_str(),
                      ok(wall_value) ? "MET" : (ok(cpu_value) ? "MISSED (met in CPU time)" : "MISSED"));
        targets_.push_back(buf);
    }

    void print(int reps, const std::string& extra = {}) const {
        std::printf("\n### %s: %s\n\n", workload_.c_str(), title_.c_str());
        if (!extra.empty()) std::printf("%s\n\n", extra.c_str());
        std::printf("median of %d runs; ratio = that tool's median wall time / the reference (%s) row's: >1 means the reference is faster\n\n",
                    reps, "ref");
        std::printf("| phase | tool | wall (median) | per op | CPU (median) | ratio wall | ratio CPU | peak RSS | runs |\n");
        std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (const Row& r : rows_) {
            if (r.wall.empty()) {
                std::printf("| %s | %s | — | — | — | — | — | — | 0 | %s\n", r.phase.c_str(), r.tool.c_str(), r.note.c_str());
                continue;
            }
            double w = median(r.wall), c = median(r.cpu);
            std::vector<double> rs(r.rss.begin(), r.rss.end());
            double rss = median(rs);
            std::string per = "";
            if (auto it = ops_.find(r.phase); it != ops_.end() && it->second.first > 0)
                per = fmt_time(w / it->second.first) + "/" + it->second.second;
            std::string rw = "", rc = "";
            if (auto it = ref_.find(r.phase); it != ref_.end()) {
                if (it->second == r.tool) rw = rc = "ref";
                else {
                    double rwv = wall(r.phase, it->second), rcv = cpu(r.phase, it->second);
                    if (rwv > 0) rw = fmt_ratio(w / rwv);
                    if (rcv > 0) rc = fmt_ratio(c / rcv);
                }
            }
            std::printf("| %s | %s%s | %s | %s | %s | %s | %s | %.1f MB | %zu |\n", r.phase.c_str(), r.tool.c_str(),
                        r.note.empty() ? "" : (" (" + r.note + ")").c_str(), fmt_time(w).c_str(), per.c_str(),
                        fmt_time(c).c_str(), rw.c_str(), rc.c_str(), rss / 1024.0, r.wall.size());
        }
        append_csv();
        if (!targets_.empty()) {
            std::printf("\nTargets (wall; CPU in parentheses):\n\n```\n");
            for (auto& t : targets_) std::printf("%s\n", t.c_str());
            std::printf("```\n");
        }
        std::fflush(stdout);
    }

    static std::string fmt_time(double s) {
        char b[64];
        if (s >= 1) std::snprintf(b, sizeof b, "%.2f s", s);
        else if (s >= 1e-3) std::snprintf(b, sizeof b, "%.1f ms", s * 1e3);
        else std::snprintf(b, sizeof b, "%.2f µs", s * 1e6);
        return b;
    }
    static std::string fmt_ratio(double r) {
        char b[32];
        std::snprintf(b, sizeof b, "%.2f×", r);
        return b;
    }

    // With NSNET_BENCH_CSV=FILE in the environment, print() also appends one line per measured row
    // to FILE: workload,items,phase,tool,wall_s,cpu_s,rss_mb,runs (medians; items = the phase's
    // operation count). benchmarks/run --scaling collects these into its scaling table and plot.
    void append_csv() const {
        const char* path = std::getenv("NSNET_BENCH_CSV");
        if (!path || !*path) return;
        std::FILE* f = std::fopen(path, "a");
        if (!f) return;
        for (const Row& r : rows_) {
            if (r.wall.empty()) continue;
            auto it = ops_.find(r.phase);
            double items = it == ops_.end() ? 0 : it->second.first;
            std::vector<double> rs(r.rss.begin(), r.rss.end());
            std::fprintf(f, "%s,%.0f,%s,%s,%.6f,%.6f,%.2f,%zu\n", workload_.c_str(), items, r.phase.c_str(), r.tool.c_str(),
                         median(r.wall), median(r.cpu), median(rs) / 1024.0, r.wall.size());
        }
        std::fclose(f);
    }

private:
    Row& find(const std::string& phase, const std::string& tool) {
        for (auto& r : rows_)
            if (r.phase == phase && r.tool == tool) return r;
        rows_.push_back(Row{phase, tool, {}, {}, {}, {}});
        return rows_.back();
    }
    std::string workload_, title_;
    std::vector<Row> rows_;
    std::map<std::string, std::string> ref_;
    std::map<std::string, std::pair<double, std::string>> ops_;
    std::vector<std::string> targets_;
};

// The header every workload prints: machine, load, date.
inline void print_context(const char* workload) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string cpu;
    {
        std::ifstream f("/proc/cpuinfo");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind("model name", 0) == 0) {
                cpu = line.substr(line.find(':') + 2);
                break;
            }
    }
    std::string kernel;
    {
        std::ifstream f("/proc/sys/kernel/osrelease");
        std::getline(f, kernel);
    }
    std::time_t t = std::time(nullptr);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    std::printf("# %s — %s, %ld CPUs, Linux %s, %s, load average %.2f at start\n", workload, cpu.c_str(),
                ::sysconf(_SC_NPROCESSORS_ONLN), kernel.c_str(), date, load_average());
    std::fflush(stdout);
}

// What every workload's driver does once --worker has been handled: starts the launcher (before the
// driver grows), removes this run's namespaces at exit and on SIGINT/SIGTERM/SIGHUP, and prints
// the context header.
inline void start_driver(const char* workload) {
    start_launcher();
    install_cleanup();
    print_context(workload);
}

}  // namespace bench
