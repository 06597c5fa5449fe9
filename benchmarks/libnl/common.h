/* benchmarks/libnl/common.h — what the libnl peer programs share.
 *
 * Each program does one workload phase with libnl-3 / libnl-route-3 the way a libnl user would
 * (one object and one synchronous request per item: libnl's rtnl_*_add/delete wait for the ack),
 * in the network namespace it was started in (the benchmark driver starts it there). They are
 * built only for the benchmarks: nsnet never links libnl. */
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

static inline void die(const char *what, int err) {
    fprintf(stderr, "%s: %s\n", what, err < 0 ? nl_geterror(err) : strerror(errno));
    exit(1);
}

static inline struct nl_sock *connect_route(void) {
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) die("nl_socket_alloc", 0);
    int err = nl_connect(sk, NETLINK_ROUTE);
    if (err < 0) die("nl_connect", err);
    return sk;
}

static inline struct nl_addr *ipv4(uint32_t host_order, int prefixlen) {
    uint32_t be = htonl(host_order);
    struct nl_addr *a = nl_addr_build(AF_INET, &be, 4);
    if (!a) die("nl_addr_build", 0);
    nl_addr_set_prefixlen(a, prefixlen);
    return a;
}

static inline uint32_t parse_ipv4(const char *text) {
    struct in_addr in;
    if (inet_pton(AF_INET, text, &in) != 1) {
        fprintf(stderr, "bad address %s\n", text);
        exit(2);
    }
    return ntohl(in.s_addr);
}
