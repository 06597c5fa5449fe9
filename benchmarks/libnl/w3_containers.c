/* libnl peer of W3, started inside the "host" namespace.
 *   setup PREFIX N GROUP: namespaces PREFIX c0..c<N-1> (created as `ip netns add` does: libnl has no
 *     namespace API), bridge br0 (GROUP, up, 10.200.0.1/16), veth vhI (GROUP, master br0, up) with
 *     its peer eth0 created in cI; in cI (through a socket opened there): lo up, eth0 up,
 *     10.200.X.Y/16 on eth0, default route via 10.200.0.1.
 *   teardown PREFIX N: vhI deleted one by one, br0, then the namespaces (umount + unlink).
 * usage: libnl_w3_containers setup PREFIX N GROUP | teardown PREFIX N */
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
    if (argc < 4) {
        fprintf(stderr, "usage: %s setup PREFIX N GROUP | teardown PREFIX N\n", argv[0]);
        return 2;
    }
    const char *prefix = argv[2];
    int n = atoi(argv[3]);
    char path[256], name[IFNAMSIZ];
    host_fd = open("/proc/self/ns/net", O_RDONLY);
    struct nl_sock *sk = connect_route();
    if (strcmp(argv[1], "setup") == 0) {
        uint32_t group = (uint32_t)strtoul(argv[4], NULL, 10);
        uint32_t gw = parse_ipv4("10.200.0.1");
        for (int i = 0; i < n; ++i) {
            netns_path(path, sizeof path, prefix, i);
            netns_add(path);
        }
        struct rtnl_link *br = rtnl_link_alloc();
        rtnl_link_set_type(br, "bridge");
        rtnl_link_set_name(br, "br0");
        rtnl_link_set_group(br, group);
        rtnl_link_set_flags(br, IFF_UP);
        int err = rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL);
        if (err < 0) die("rtnl_link_add bridge", err);
        rtnl_link_put(br);
        int br_index = (int)if_nametoindex("br0");
        add_address(sk, br_index, gw, 16);
        for (int i = 0; i < n; ++i) {
            netns_path(path, sizeof path, prefix, i);
            int cfd = open(path, O_RDONLY | O_CLOEXEC);
            if (cfd < 0) die(path, 0);
            struct rtnl_link *link = rtnl_link_veth_alloc();
            struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
            snprintf(name, sizeof name, "vh%d", i);
            rtnl_link_set_name(link, name);
            rtnl_link_set_group(link, group);
            rtnl_link_set_master(link, br_index);
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
            add_address(csk, eth0, (10u << 24) | (200u << 16) | ((uint32_t)(i / 200) << 8) | (uint32_t)(i % 200 + 2), 16);
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
    } else {
        for (int i = 0; i <= n; ++i) {
            struct rtnl_link *link = rtnl_link_alloc();
            if (i < n) snprintf(name, sizeof name, "vh%d", i);
            else snprintf(name, sizeof name, "br0");
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
