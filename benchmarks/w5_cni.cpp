// W5 (issue 14): a container runtime's CNI calls. ADD then DEL of N containers (default 20), one
// process per plugin call, as a runtime makes them: the reference plugins (bridge + host-local,
// then portmap; DEL in the reverse order) against nsnet-bridge (one process doing both, host-local
// for IPAM), same network configuration (bridge, isGateway, ipMasq, hairpinMode, one TCP port
// mapping per container), same run, the tools alternating from one repetition to the next.
//
//   w5_cni [--plugin PATH] [--cni-bin /usr/lib/cni] [--containers N] [--reps N] [--ipv6]
//
// Everything happens in namespaces made here: a "host" namespace (nsb<pid>-h, where the plugins
// run) and N container namespaces (nsb<pid>-cI, given to the plugins as /run/netns/... paths). Each
// plugin call is fork, setns(host), exec: the plugins (and the iptables-nft that portmap runs)
// never run in the starting namespace. Wall time is the sum over the N containers of fork-to-reap
// of each call (the result of one call feeds the next, as in a runtime); CPU is the children's
// user+sys (wait4). --ipv6 adds an IPv6 range (both plugins then also set up IPv6: addresses,
// routes, ip6 rules; both turn DAD off on the container interface, so neither waits for it).
#include <nsnet/nsnet.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Call {
    double wall_ms = 0;
    double cpu_ms = 0;
    int status = 0;
    std::string out;
};

// Runs BIN in the namespace HOST_FD with ENV, CONF on stdin; returns its stdout, times and status.
Call run_plugin(int host_fd, const std::string& bin, const std::vector<std::string>& env, const std::string& conf) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe");
    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        if (::setns(host_fd, CLONE_NEWNET) != 0) ::_exit(126);
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0) ::dup2(devnull, 2);
        std::vector<char*> envp, argv{const_cast<char*>(bin.c_str()), nullptr};
        for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        ::execve(bin.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    if (::write(in[1], conf.data(), conf.size()) != static_cast<ssize_t>(conf.size())) {}
    ::close(in[1]);
    Call c;
    char buf[8192];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) c.out.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    struct rusage ru {};
    while (::wait4(pid, &c.status, 0, &ru) < 0 && errno == EINTR) {}
    c.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    c.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    return c;
}

// The result JSON of the previous call, spliced in as "prevResult" (no JSON library here: the
// result is an object, inserted before the configuration's closing brace).
std::string with_prev(const std::string& conf, const std::string& prev) {
    auto end = conf.rfind('}');
    return conf.substr(0, end) + ", \"prevResult\": " + prev + "}";
}

struct Totals {
    double add_wall = 0, add_cpu = 0, del_wall = 0, del_cpu = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string self(4096, '\0');
    self.resize(static_cast<std::size_t>(std::max<ssize_t>(0, ::readlink("/proc/self/exe", self.data(), self.size()))));
    std::string plugin = self.substr(0, self.rfind('/')) + "/../examples/cni/nsnet-bridge";
    std::string cni_bin = "/usr/lib/cni";
    int n = 20, reps = 5;
    bool ipv6 = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--plugin" && i + 1 < argc) plugin = argv[++i];
        else if (a == "--cni-bin" && i + 1 < argc) cni_bin = argv[++i];
        else if (a == "--containers" && i + 1 < argc) n = std::max(1, std::atoi(argv[++i]));
        else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
        else if (a == "--quick") reps = 2, n = 5;
        else if (a == "--ipv6") ipv6 = true;
        else {
            std::fprintf(stderr, "usage: %s [--plugin PATH] [--cni-bin DIR] [--containers N] [--reps N] [--quick] [--ipv6]\n", argv[0]);
            return 2;
        }
    }
    for (const std::string& b : {plugin, cni_bin + "/bridge", cni_bin + "/portmap", cni_bin + "/host-local"})
        if (::access(b.c_str(), X_OK) != 0) {
            std::printf("SKIP: %s is missing (nsnet-bridge: build examples/cni; the reference: containernetworking-plugins)\n", b.c_str());
            return 77;
        }
    if (::geteuid() != 0) {
        std::printf("SKIP: needs root\n");
        return 77;
    }

    const std::string pre = "nsb" + std::to_string(::getpid()) + "-";
    char tmpl[] = "/tmp/nsnet-w5.XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    const std::string tmp = tmpl;
    int rc = 0;
    {
        auto host = nsnet::Netns::create(pre + "h");
        std::vector<nsnet::Netns> conts;
        for (int i = 0; i < n; ++i) conts.push_back(nsnet::Netns::create(pre + "c" + std::to_string(i)));
        nsnet::Link::loopback(host).up();
        const int host_fd = host.fd();

        std::vector<Totals> ref_runs, ns_runs;
        try {
            for (int rep = 0; rep < reps; ++rep)
                for (int k = 0; k < 2; ++k) {
                    const bool ours = (k + rep) % 2 == 0;  // alternate who goes first
                    const std::string net = pre + "net" + std::to_string(rep) + (ours ? "n" : "r");
                    const std::string ipam = std::string(R"("ipam": {"type": "host-local", "ranges": [[{"subnet": "10.89.0.0/24"}])") +
                                             (ipv6 ? R"(, [{"subnet": "fd00:89::/64"}])" : "") +
                                             R"(], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": ")" + tmp + "/ipam\"}";
                    const std::string common = R"("cniVersion": "1.0.0", "name": ")" + net + "\"";
                    const std::string bridge_keys = R"("bridge": "w5br0", "isGateway": true, "ipMasq": true, "hairpinMode": true, )" + ipam;
                    Totals t;
                    std::vector<std::string> results(static_cast<std::size_t>(n));
                    auto env = [&](const char* cmd, int i) {
                        return std::vector<std::string>{std::string("CNI_COMMAND=") + cmd, "CNI_CONTAINERID=" + net + "-" + std::to_string(i),
                                                        "CNI_NETNS=/run/netns/" + pre + "c" + std::to_string(i), "CNI_IFNAME=eth0",
                                                        "CNI_PATH=" + cni_bin, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
                    };
                    auto ports = [&](int i) {
                        return R"("capabilities": {"portMappings": true}, "runtimeConfig": {"portMappings": [{"hostPort": )" +
                               std::to_string(20000 + i) + R"(, "containerPort": 80, "protocol": "tcp"}]})";
                    };
                    auto check = [&](const Call& c, const char* what, int i) {
                        if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0)
                            throw std::runtime_error(std::string(what) + " container " + std::to_string(i) + " failed: " + c.out);
                    };
                    for (int i = 0; i < n; ++i) {
                        if (ours) {
                            auto c = run_plugin(host_fd, plugin, env("ADD", i), "{" + common + R"(, "type": "nsnet-bridge", )" + bridge_keys + ", " + ports(i) + "}");
                            check(c, "nsnet-bridge ADD", i);
                            t.add_wall += c.wall_ms, t.add_cpu += c.cpu_ms;
                            results[static_cast<std::size_t>(i)] = c.out;
                        } else {
                            auto b = run_plugin(host_fd, cni_bin + "/bridge", env("ADD", i), "{" + common + R"(, "type": "bridge", )" + bridge_keys + "}");
                            check(b, "bridge ADD", i);
                            auto p = run_plugin(host_fd, cni_bin + "/portmap", env("ADD", i),
                                                with_prev("{" + common + R"(, "type": "portmap", )" + ports(i) + "}", b.out));
                            check(p, "portmap ADD", i);
                            t.add_wall += b.wall_ms + p.wall_ms, t.add_cpu += b.cpu_ms + p.cpu_ms;
                            results[static_cast<std::size_t>(i)] = p.out;
                        }
                    }
                    // Every container has its eth0 with an address.
                    for (int i = 0; i < n; ++i) {
                        auto l = nsnet::Link::find(conts[static_cast<std::size_t>(i)], "eth0");
                        if (!l || l->addresses().empty()) throw std::runtime_error("after ADD: container " + std::to_string(i) + " has no eth0 address");
                    }
                    for (int i = 0; i < n; ++i) {
                        const std::string& prev = results[static_cast<std::size_t>(i)];
                        if (ours) {
                            auto c = run_plugin(host_fd, plugin, env("DEL", i),
                                                with_prev("{" + common + R"(, "type": "nsnet-bridge", )" + bridge_keys + ", " + ports(i) + "}", prev));
                            check(c, "nsnet-bridge DEL", i);
                            t.del_wall += c.wall_ms, t.del_cpu += c.cpu_ms;
                        } else {
                            auto p = run_plugin(host_fd, cni_bin + "/portmap", env("DEL", i),
                                                with_prev("{" + common + R"(, "type": "portmap", )" + ports(i) + "}", prev));
                            check(p, "portmap DEL", i);
                            auto b = run_plugin(host_fd, cni_bin + "/bridge", env("DEL", i),
                                                with_prev("{" + common + R"(, "type": "bridge", )" + bridge_keys + "}", prev));
                            check(b, "bridge DEL", i);
                            t.del_wall += b.wall_ms + p.wall_ms, t.del_cpu += b.cpu_ms + p.cpu_ms;
                        }
                    }
                    // Nothing of the containers is left: no veth in the host, no eth0 inside.
                    for (const auto& l : nsnet::Link::list(host))
                        if (l.kind == "veth") throw std::runtime_error("after DEL: " + l.name + " is left in the host namespace");
                    for (int i = 0; i < n; ++i)
                        if (nsnet::Link::find(conts[static_cast<std::size_t>(i)], "eth0"))
                            throw std::runtime_error("after DEL: container " + std::to_string(i) + " still has eth0");
                    (ours ? ns_runs : ref_runs).push_back(t);
                }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "w5_cni: %s\n", e.what());
            rc = 1;
        }
        if (rc == 0) {
            auto med = [](const std::vector<Totals>& v, double Totals::*f) {
                std::vector<double> x;
                for (const auto& t : v) x.push_back(t.*f);
                return median(x);
            };
            std::printf("\n### W5: %d containers, ADD then DEL, one process per plugin call%s (median of %d)\n\n", n,
                        ipv6 ? ", IPv4 + IPv6" : ", IPv4", reps);
            std::printf("| tool | ADD wall ms | ADD CPU ms | DEL wall ms | DEL CPU ms | ADD ratio (wall/CPU) | DEL ratio (wall/CPU) |\n");
            std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
            double ra = med(ref_runs, &Totals::add_wall), rac = med(ref_runs, &Totals::add_cpu);
            double rd = med(ref_runs, &Totals::del_wall), rdc = med(ref_runs, &Totals::del_cpu);
            double na = med(ns_runs, &Totals::add_wall), nac = med(ns_runs, &Totals::add_cpu);
            double nd = med(ns_runs, &Totals::del_wall), ndc = med(ns_runs, &Totals::del_cpu);
            std::printf("| nsnet-bridge | %.1f | %.1f | %.1f | %.1f | %.1fx / %.1fx | %.1fx / %.1fx |\n", na, nac, nd, ndc, ra / na,
                        rac / nac, rd / nd, rdc / ndc);
            std::printf("| bridge + portmap (reference 1.1.1) | %.1f | %.1f | %.1f | %.1f | ref | ref |\n", ra, rac, rd, rdc);
            std::printf("\nper container: nsnet-bridge ADD %.2f ms, DEL %.2f ms; reference ADD %.2f ms, DEL %.2f ms\n", na / n,
                        nd / n, ra / n, rd / n);
            std::printf("target >= 10x: ADD %s, DEL %s\n", ra / na >= 10 ? "met" : "MISSED", rd / nd >= 10 ? "met" : "MISSED");
        }
    }  // namespaces removed here
    std::string rm = "rm -rf '" + tmp + "'";
    if (std::system(rm.c_str()) != 0) rc = 1;
    return rc;
}
