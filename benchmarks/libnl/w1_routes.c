/* libnl peer of W1: add or delete N IPv4 /32 routes (10.0.0.0, 10.0.0.1, ...) via GATEWAY dev DEV.
 * usage: libnl_w1_routes add|del N GATEWAY DEV */
#include <net/if.h>

#include "common.h"

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s add|del N GATEWAY DEV\n", argv[0]);
        return 2;
    }
    int add = strcmp(argv[1], "add") == 0;
    int n = atoi(argv[2]);
    if (n == 0) return 0;
    struct nl_sock *sk = connect_route();
    int ifindex = (int)if_nametoindex(argv[4]);
    if (!ifindex) die("if_nametoindex", 0);
    struct nl_addr *gw = ipv4(parse_ipv4(argv[3]), 32);
    for (int i = 0; i < n; ++i) {
        struct rtnl_route *r = rtnl_route_alloc();
        rtnl_route_set_family(r, AF_INET);
        rtnl_route_set_table(r, RT_TABLE_MAIN);
        struct nl_addr *dst = ipv4(0x0a000000u + (uint32_t)i, 32);
        rtnl_route_set_dst(r, dst);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(r, nh);
        int err = add ? rtnl_route_add(sk, r, NLM_F_EXCL) : rtnl_route_delete(sk, r, 0);
        if (err < 0) die(add ? "rtnl_route_add" : "rtnl_route_delete", err);
        nl_addr_put(dst);
        rtnl_route_put(r);
    }
    nl_addr_put(gw);
    nl_socket_free(sk);
    return 0;
}
