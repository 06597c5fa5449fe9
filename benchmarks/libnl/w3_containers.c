/* libnl peer of W3, started inside the "host" namespace. Container I hangs off bridge brK, K = I / P
 * (P containers per bridge: a bridge's port numbers are 1..1023).
 *   setup PREFIX N P GROUP: namespaces PREFIX c0..c<N-1> (created as `ip netns add` does: libnl has
 *     no namespace API), bridges brK (GROUP, up, 10.(200+K).0.1/16), veth vhI (GROUP, master brK,
 *     up) with its peer eth0 created in cI; in cI (through a socket opened there): lo up, eth0 up,
 *     10.(200+K).X.Y/16 on eth0, default route via 10.(200+K).0.1.
 *   teardown PREFIX N P: vhI deleted one by one, then each brK, then the namespaces (umount + unlink).
 * usage: libnl_w3_containers setup PREFIX N P GROUP | teardown PREFIX N P */
#include "common.h"

#include <net/if.h>
#include <netlink/route/link/veth.h>

static int host_fd = -1;

static void netns_path(char *buf, size_t len, const char *prefix, int i) { snprintf(buf, len, "/run/netns/%sc%d", prefix, i); }

/* ip netns add: an empty file at /run/netns/NAME with a new namespace bind-mounted on it. */
static void netns_add(const char *path) {
    mkdir("/run/netns", 0755);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0);
    if (fd < 0) die(path, 0);
    close(fd);
    if (unshare(CLONE_NEWNET) != 0) die("unshare", 0);
    if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) != 0) die("mount", 0);
    if (setns(host_fd, CLONE_NEWNET) != 0) die("setns back", 0);
}

static void set_up(struct nl_sock *sk, const char *name, int *ifindex) {
    struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
    int err = rtnl_link_get_kernel(sk, 0, name, &link);
    if (err < 0) die("rtnl_link_get_kernel", err);
    rtnl_link_set_flags(change, IFF_UP);
    if ((err = rtnl_link_change(sk, link, change, 0)) < 0) die("rtnl_link_change", err);
    if (ifindex) *ifindex = rtnl_link_get_ifindex(link);
    rtnl_link_put(change);
    rtnl_link_put(link);
}

static void add_address(struct nl_sock *sk, int ifindex, uint32_t addr, int prefixlen) {
    struct rtnl_addr *a = rtnl_addr_alloc();
    struct nl_addr *local = ipv4(addr, prefixlen);
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_local(a, local);
    int err = rtnl_addr_add(sk, a, 0);
    if (err < 0) die("rtnl_addr_add", err);
    nl_addr_put(local);
    rtnl_addr_put(a);
}

int main(int argc, char **argv) {
    if (argc < 5 || (strcmp(argv[1], "setup") == 0 && argc < 6) || atoi(argv[4]) < 1) {
        fprintf(stderr, "usage: %s setup PREFIX N P GROUP | teardown PREFIX N P\n", argv[0]);
        return 2;
    }
    const char *prefix = argv[2];
    int n = atoi(argv[3]), per_bridge = atoi(argv[4]);
    int bridges = (n + per_bridge - 1) / per_bridge;
    char path[256], name[IFNAMSIZ];
    host_fd = open("/proc/self/ns/net", O_RDONLY);
    struct nl_sock *sk = connect_route();
    if (strcmp(argv[1], "setup") == 0) {
        uint32_t group = (uint32_t)strtoul(argv[5], NULL, 10);
        uint32_t gw0 = parse_ipv4("10.200.0.1");  /* brK's is 10.(200+K).0.1 */
        for (int i = 0; i < n; ++i) {
            netns_path(path, sizeof path, prefix, i);
            netns_add(path);
        }
        int *br_index = calloc((size_t)bridges, sizeof *br_index);
        if (!br_index) die("calloc", 0);
        int err;
        for (int k = 0; k < bridges; ++k) {
            struct rtnl_link *br = rtnl_link_alloc();
            snprintf(name, sizeof name, "br%d", k);
            rtnl_link_set_type(br, "bridge");
            rtnl_link_set_name(br, name);
            rtnl_link_set_group(br, group);
            rtnl_link_set_flags(br, IFF_UP);
            if ((err = rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL)) < 0) die("rtnl_link_add bridge", err);
            rtnl_link_put(br);
            br_index[k] = (int)if_nametoindex(name);
            add_address(sk, br_index[k], gw0 + ((uint32_t)k << 16), 16);
        }
        for (int i = 0; i < n; ++i) {
            int bridge = i / per_bridge, place = i % per_bridge;
            uint32_t gw = gw0 + ((uint32_t)bridge << 16);
            netns_path(path, sizeof path, prefix, i);
            int cfd = open(path, O_RDONLY | O_CLOEXEC);
            if (cfd < 0) die(path, 0);
            struct rtnl_link *link = rtnl_link_veth_alloc();
            struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
            snprintf(name, sizeof name, "vh%d", i);
            rtnl_link_set_name(link, name);
            rtnl_link_set_group(link, group);
            rtnl_link_set_master(link, br_index[bridge]);
            rtnl_link_set_flags(link, IFF_UP);
            rtnl_link_set_name(peer, "eth0");
            rtnl_link_set_ns_fd(peer, cfd);
            if ((err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL)) < 0) die("rtnl_link_add veth", err);
            rtnl_link_put(peer);
            rtnl_link_veth_release(link);

            /* The container side, through a socket opened inside it. */
            if (setns(cfd, CLONE_NEWNET) != 0) die("setns", 0);
            struct nl_sock *csk = connect_route();
            if (setns(host_fd, CLONE_NEWNET) != 0) die("setns back", 0);
            int eth0 = 0;
            set_up(csk, "lo", NULL);
            set_up(csk, "eth0", &eth0);
            /* 10.(200+K).X.Y, X.Y from the container's place on its bridge (bridge 0: 10.200.X.Y as ever). */
            add_address(csk, eth0, (10u << 24) | ((200u + (uint32_t)bridge) << 16) | ((uint32_t)(place / 200) << 8) | (uint32_t)(place % 200 + 2), 16);
            struct rtnl_route *r = rtnl_route_alloc();
            struct nl_addr *any = ipv4(0, 0), *gwa = ipv4(gw, 32);
            rtnl_route_set_family(r, AF_INET);
            rtnl_route_set_table(r, RT_TABLE_MAIN);
            rtnl_route_set_dst(r, any);
            struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
            rtnl_route_nh_set_gateway(nh, gwa);
            rtnl_route_nh_set_ifindex(nh, eth0);
            rtnl_route_add_nexthop(r, nh);
            if ((err = rtnl_route_add(csk, r, NLM_F_EXCL)) < 0) die("rtnl_route_add", err);
            rtnl_route_put(r);
            nl_addr_put(any);
            nl_addr_put(gwa);
            nl_socket_free(csk);
            close(cfd);
        }
        free(br_index);
    } else {
        for (int i = 0; i < n + bridges; ++i) {  /* vh0 .. vh<N-1>, then br0 .. br<bridges-1> */
            struct rtnl_link *link = rtnl_link_alloc();
            if (i < n) snprintf(name, sizeof name, "vh%d", i);
            else snprintf(name, sizeof name, "br%d", i - n);
            rtnl_link_set_name(link, name);
            int err = rtnl_link_delete(sk, link);
            if (err < 0) die("rtnl_link_delete", err);
            rtnl_link_put(link);
        }
        for (int i = 0; i < n; ++i) {
            netns_path(path, sizeof path, prefix, i);
            umount2(path, MNT_DETACH);
            if (unlink(path) != 0) die(path, 0);
        }
    }
    nl_socket_free(sk);
    return 0;
}
