// examples/labs/docker_bridge.cpp — the tutorial's "Docker bridge" section: Docker's bridge network
// built by hand, then NAT (masquerade) out and two DNAT port forwards in, all over netlink.
//
// Each tutorial command is quoted above the nsnet call that does it. Namespace names carry the
// driver's prefix (docker is nsl-docker); interface names and addresses are the tutorial's.
//
// The tutorial's physical NIC and the outside world are simulated (LABS.md ground rules):
//   lan       bridge `switch` holding the gateway 192.168.54.51/24 and 198.51.100.1/24, ip_forward=1;
//             `port1` is the far end of the veth whose near end is `ens41` in docker
//   internet  one host, 198.51.100.8/24 (standing in for 8.8.8.8), default via 198.51.100.1
//   browser   an external client on the lan, 192.168.54.100/24 (the tutorial's web browser)
// Neither the lan nor the internet host has a route to 172.17.0.0/16: only NAT lets the containers
// out, exactly the tutorial's point.
//
// Checks: every ping among docker0/nginx/gitlab answers; before NAT the internet host does not
// answer; after `masquerade` it answers both containers and sees 192.168.54.230 as the source; the
// browser fetches http://192.168.54.230:8080/ (nginx.file) and :9090/ (gitlab.file) through DNAT.
// With --keep, `ip netns exec nsl-docker nft list ruleset` shows the tutorial's three rules.
#include "docker_bridge.hpp"

namespace {

// ping FROM TO -c 2, as one check.
void ping_check(lab::Context& ctx, const nsnet::NetnsRef& from, const std::string& from_name, const std::string& to,
                const std::string& to_name) {
    auto r = nsnet::ping(from, to, {.count = 2});
    ctx.check(from_name + " -> " + to + " (" + to_name + ") answers", r.all_answered(), r.summary());
}

}  // namespace

NSNET_LAB("docker-bridge", "Docker bridge", [](lab::Context& ctx) {
    using namespace nsnet;

    // The simulated outside world and the tutorial's commands up to ip_forward=1: docker_bridge.hpp.
    auto t = docker_bridge::build(ctx);
    auto& internet = *t.internet;
    auto& browser = *t.browser;
    auto& docker = *t.docker;
    auto& nginx = *t.nginx;
    auto& gitlab = *t.gitlab;
    auto& docker0 = *t.docker0;
    auto& vn = *t.vn;
    auto& vg = *t.vg;
    const Link& ens41 = t.uplink->first();

    // ip netns exec docker ip a; ip netns exec nginx ip a; ip netns exec gitlab ip a
    for (const Link* l : std::initializer_list<const Link*>{&docker0.link(), &vn.first(), &vg.first(), &vn.second(), &vg.second(), &ens41})
        ctx.wait_until_up(*l);
    ctx.show(docker, "查看 docker 网络命名空间中的接口状况");
    ctx.show(nginx);
    ctx.show(gitlab);

    // Connectivity among docker0, nginx and gitlab (the tutorial's six pings).
    ping_check(ctx, docker, "docker", "172.17.10.10", "nginx");
    ping_check(ctx, docker, "docker", "172.17.10.20", "gitlab");
    ping_check(ctx, nginx, "nginx", "172.17.0.1", "docker0");
    ping_check(ctx, nginx, "nginx", "172.17.10.20", "gitlab");
    ping_check(ctx, gitlab, "gitlab", "172.17.0.1", "docker0");
    ping_check(ctx, gitlab, "gitlab", "172.17.10.10", "nginx");

    // iptables -P FORWARD ACCEPT
    auto& policy = docker_bridge::forward_accept(ctx, t);
    ctx.check("docker forwards: FORWARD policy accept, net.ipv4.ip_forward = 1",
              policy.active() && policy.policy() == firewall::Verdict::Accept && ip_forward(docker),
              "ip_forward=" + sysctl(docker, "net.ipv4.ip_forward"));

    // ping 8.8.8.8 -c 2 (from nginx): the source is still 172.17.10.10, nobody outside can answer.
    auto before = ping(nginx, "198.51.100.8", {.count = 2});
    ctx.check("before NAT: nginx -> internet host 198.51.100.8 does not answer", before.none_answered(), before.summary());

    // iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
    auto& masq = docker_bridge::masquerade(ctx, t);
    ctx.note("nft (table ip nsnet, chain postrouting): " + masq.to_string() + "  # handle " + std::to_string(masq.handle()));

    // ping 8.8.8.8 -c 2 (from nginx, then from gitlab)
    auto n_out = ping(nginx, "198.51.100.8", {.count = 2});
    ctx.check("after NAT: nginx -> internet host 198.51.100.8 answers", n_out.all_answered(), n_out.summary());
    auto g_out = ping(gitlab, "198.51.100.8", {.count = 2});
    ctx.check("after NAT: gitlab -> internet host 198.51.100.8 answers", g_out.all_answered(), g_out.summary());
    {
        // What the outside sees: a web server on the internet host reports the client's address.
        auto& seen = ctx.own(HttpServer::serve(internet, 80, {{"/", "internet host\n"}}));
        auto r = http_get(nginx, "198.51.100.8", 80, "/");
        ctx.check("the internet host sees the uplink's address 192.168.54.230 as the source",
                  r.ok() && r.peer_seen_by_server == "192.168.54.230",
                  r.ok() ? "source seen: " + r.peer_seen_by_server : r.error);
        seen.stop();
    }

    // iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.10.10:80
    // iptables -t nat -A PREROUTING -p tcp --dport 9090 -j DNAT --to-destination 172.17.10.20:80
    // (one nf_tables batch: both forwards or neither)
    auto [web, git] = docker_bridge::port_forwards(ctx, t);
    auto& nginx_fwd = *web;
    auto& gitlab_fwd = *git;
    ctx.note("nft (table ip nsnet, chain prerouting): " + nginx_fwd.to_string() + "  # handle " +
             std::to_string(nginx_fwd.handle()));
    ctx.note("nft (table ip nsnet, chain prerouting): " + gitlab_fwd.to_string() + "  # handle " +
             std::to_string(gitlab_fwd.handle()));

    // mkdir nginx gitlab; touch nginx/nginx.file; touch gitlab/gitlab.file
    // ip netns exec nginx python3 -m http.server 80 --bind 0.0.0.0 --directory /opt/nginx
    // ip netns exec gitlab python3 -m http.server 80 --bind 0.0.0.0 --directory /opt/gitlab
    // (nsnet's own HTTP server, on a thread inside each namespace, serving those directories)
    ctx.own(HttpServer::serve(nginx, 80, {{"/nginx.file", ""}}));
    ctx.own(HttpServer::serve(gitlab, 80, {{"/gitlab.file", ""}}));

    // A browser on the lan opens http://192.168.54.230:8080 and http://192.168.54.230:9090.
    auto a = http_get(browser, "192.168.54.230", 8080, "/");
    bool a_ok = a.ok() && a.body.find("nginx.file") != std::string::npos && a.body.find("gitlab.file") == std::string::npos;
    ctx.check("browser on the lan: http://192.168.54.230:8080/ lists nginx.file", a_ok,
              a.ok() ? "HTTP 200, nginx saw client " + a.peer_seen_by_server : a.error);
    auto b = http_get(browser, "192.168.54.230", 9090, "/");
    bool b_ok = b.ok() && b.body.find("gitlab.file") != std::string::npos && b.body.find("nginx.file") == std::string::npos;
    ctx.check("browser on the lan: http://192.168.54.230:9090/ lists gitlab.file", b_ok,
              b.ok() ? "HTTP 200, gitlab saw client " + b.peer_seen_by_server : b.error);
    auto f = http_get(browser, "192.168.54.230", 8080, "/nginx.file");
    ctx.check("browser on the lan: http://192.168.54.230:8080/nginx.file is served", f.ok(),
              f.ok() ? "HTTP 200, " + std::to_string(f.body.size()) + " bytes (an empty file, as `touch` made it)"
                     : f.error);
});
