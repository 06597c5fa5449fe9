/* benchmarks/floor/floor.c — the "floor": W1 and W3 done with raw rtnetlink by hand, pipelined, with
 * nothing a library adds (no objects, no error texts, no look-ups it can avoid). What nsnet is
 * measured against: how close it gets to the kernel's own cost.
 *
 *   floor w1 add|del N GATEWAY DEV      in the namespace it was started in: N IPv4 /32 routes
 *                                       10.0.0.0, 10.0.0.1, ... via GATEWAY dev DEV. All requests are
 *                                       built first, sent in 64 KiB sendmsg calls without waiting,
 *                                       and only the very last one carries NLM_F_ACK ("acklast"):
 *                                       the kernel answers refusals anyway, so once the last ack is
 *                                       in, silence means success.
 *   floor w3 setup PREFIX N P GROUP     started inside the "host" namespace: namespaces PREFIXc0..
 *                                       (unshare + bind mount, as `ip netns add`; each one's rtnetlink
 *                                       socket opened while inside), then every host-side request in
 *                                       one sendmsg (bridges brK, K = 0 .. (N-1)/P, with assigned
 *                                       ifindexes and their addresses 10.(200+K).0.1/16, then N veths
 *                                       vhI master brK (K = I / P) up with the peer eth0 in cI), then
 *                                       per container one look-up (eth0's ifindex) and one sendmsg of
 *                                       lo up, eth0 up, address 10.(200+K).X.Y/16, default route via
 *                                       10.(200+K).0.1 (acklast); the containers' answers are
 *                                       collected at the end. P containers per bridge: a bridge's port
 *                                       numbers are 1..1023.
 *   floor w3 teardown PREFIX N GROUP    one RTM_DELLINK for the group, then umount + unlink each name.
 *
 * Any refusal is printed and the program exits 1 (the benchmark driver stops). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define BRIDGE_INDEX 40000 /* brK's, plus K: assigned, so that the veths can name their master in the same sendmsg */

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- a growing buffer of netlink messages ---- */
struct buf {
    char *p;
    size_t len, cap;
};

static void *grow(struct buf *b, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("realloc");
    }
    void *at = b->p + b->len;
    memset(at, 0, n);
    b->len += n;
    return at;
}

static struct nlmsghdr *msg_begin(struct buf *b, uint16_t type, uint16_t flags, uint32_t seq, size_t family_len) {
    struct nlmsghdr *h = grow(b, NLMSG_HDRLEN + NLMSG_ALIGN(family_len));
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | flags;
    h->nlmsg_seq = seq;
    return h;
}
/* Offsets, not pointers: the buffer may move while a message grows. */
static size_t msg_start(struct buf *b) { return b->len; }
static void msg_end(struct buf *b, size_t start) { ((struct nlmsghdr *)(b->p + start))->nlmsg_len = (uint32_t)(b->len - start); }
static void *family(struct buf *b, size_t start) { return b->p + start + NLMSG_HDRLEN; }

static void put(struct buf *b, uint16_t type, const void *data, size_t len) {
    struct rtattr *a = grow(b, RTA_SPACE(len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
}
static void put_u32(struct buf *b, uint16_t type, uint32_t v) { put(b, type, &v, 4); }
static void put_str(struct buf *b, uint16_t type, const char *s) { put(b, type, s, strlen(s) + 1); }
static size_t nest_begin(struct buf *b, uint16_t type) {
    size_t at = b->len;
    struct rtattr *a = grow(b, RTA_LENGTH(0));
    a->rta_type = type;
    return at;
}
static void nest_end(struct buf *b, size_t at) { ((struct rtattr *)(b->p + at))->rta_len = (unsigned short)(b->len - at); }

/* ---- sockets ---- */
static int open_rtnl(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) die("socket");
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("bind");
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t len) {
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    /* Whole messages, up to CHUNK bytes per sendmsg. */
    size_t off = 0;
    while (off < len) {
        size_t end = off;
        while (end < len) {
            const struct nlmsghdr *h = (const struct nlmsghdr *)(p + end);
            if (end > off && end + h->nlmsg_len - off > CHUNK) break;
            end += NLMSG_ALIGN(h->nlmsg_len);
        }
        struct iovec iov = {(void *)(p + off), end - off};
        struct msghdr m = {.msg_name = &kernel, .msg_namelen = sizeof kernel, .msg_iov = &iov, .msg_iovlen = 1};
        if (sendmsg(fd, &m, 0) < 0) die("sendmsg");
        off = end;
    }
}

/* Reads answers until the ack of `last_seq`; a refusal of any request ends the program. Calls
 * on_reply for other messages (a GET's answer). */
static void collect(int fd, uint32_t last_seq, const char *what, void (*on_reply)(const struct nlmsghdr *, void *), void *arg) {
    static char rb[64 * 1024];
    for (;;) {
        ssize_t n = recv(fd, rb, sizeof rb, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("recv");
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (e->error) {
                    errno = -e->error;
                    fprintf(stderr, "floor: %s: request %u refused: %s\n", what, h->nlmsg_seq, strerror(-e->error));
                    exit(1);
                }
                if (h->nlmsg_seq == last_seq) return;
            } else if (on_reply) {
                on_reply(h, arg);
                if (h->nlmsg_seq == last_seq) return;
            }
        }
    }
}

/* ---- W1 ---- */
static int w1(int argc, char **argv) {
    if (argc != 6) return 2;
    int add = strcmp(argv[2], "add") == 0;
    uint32_t n = (uint32_t)strtoul(argv[3], NULL, 10);
    if (n == 0) return 0;
    struct in_addr gw;
    if (inet_pton(AF_INET, argv[4], &gw) != 1) return 2;
    int fd = open_rtnl();
    /* The device's index: one RTM_GETLINK. */
    uint32_t oif = 0;
    {
        struct buf q = {0};
        size_t s = msg_start(&q);
        msg_begin(&q, RTM_GETLINK, 0, 1, sizeof(struct ifinfomsg));
        ((struct ifinfomsg *)family(&q, s))->ifi_family = AF_UNSPEC;
        put_str(&q, IFLA_IFNAME, argv[5]);
        msg_end(&q, s);
        send_all(fd, q.p, q.len);
        char rb[16384];
        ssize_t r = recv(fd, rb, sizeof rb, 0);
        if (r < 0) die("recv");
        struct nlmsghdr *h = (struct nlmsghdr *)rb;
        if (h->nlmsg_type != RTM_NEWLINK) {
            fprintf(stderr, "floor: no device %s\n", argv[5]);
            return 1;
        }
        oif = (uint32_t)((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
        free(q.p);
    }
    struct buf b = {0};
    b.cap = (size_t)n * 52 + 64;
    b.p = malloc(b.cap);
    if (!b.p) die("malloc");
    for (uint32_t i = 0; i < n; ++i) {
        uint16_t flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
        if (i + 1 == n) flags |= NLM_F_ACK;
        size_t s = msg_start(&b);
        msg_begin(&b, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, 100 + i, sizeof(struct rtmsg));
        struct rtmsg *rt = family(&b, s);
        rt->rtm_family = AF_INET;
        rt->rtm_dst_len = 32;
        rt->rtm_table = RT_TABLE_MAIN;
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
        rt->rtm_type = RTN_UNICAST;
        uint32_t dst = htonl(0x0a000000u + i);
        put(&b, RTA_DST, &dst, 4);
        put(&b, RTA_GATEWAY, &gw, 4);
        put_u32(&b, RTA_OIF, oif);
        msg_end(&b, s);
    }
    send_all(fd, b.p, b.len);
    collect(fd, 100 + n - 1, add ? "add route" : "delete route", NULL, NULL);
    return 0;
}

/* ---- W3 ---- */
static void netns_path(char *buf, size_t len, const char *prefix, int i) { snprintf(buf, len, "/run/netns/%sc%d", prefix, i); }

static void link_up(struct buf *b, uint32_t seq, int index, uint16_t flags) {
    size_t s = msg_start(b);
    msg_begin(b, RTM_NEWLINK, flags, seq, sizeof(struct ifinfomsg));
    struct ifinfomsg *ifi = family(b, s);
    ifi->ifi_index = index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    msg_end(b, s);
}

static void on_link(const struct nlmsghdr *h, void *arg) {
    if (h->nlmsg_type == RTM_NEWLINK) *(int *)arg = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
}

/* Bridge K's address, 10.(200+K).0.1, its containers' gateway (network byte order). */
static uint32_t w3_gateway(int bridge) { return htonl(0x0a000001u | (uint32_t)(200 + bridge) << 16); }

static int w3_setup(const char *prefix, int n, int per_bridge, uint32_t group) {
    int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host < 0) die("open host namespace");
    int hs = open_rtnl();
    int *cs = calloc((size_t)n, sizeof *cs), *nsfd = calloc((size_t)n, sizeof *nsfd);
    char path[256];
    mkdir("/run/netns", 0755);
    for (int i = 0; i < n; ++i) {
        netns_path(path, sizeof path, prefix, i);
        int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
        if (f < 0) die(path);
        close(f);
        if (unshare(CLONE_NEWNET) != 0) die("unshare");
        if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) != 0) die("mount");
        nsfd[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (nsfd[i] < 0) die("open namespace");
        cs[i] = open_rtnl();
    }
    if (setns(host, CLONE_NEWNET) != 0) die("setns back");

    /* Host: the bridges and their addresses, then every veth, in one sendmsg (64 KiB chunks),
     * acklast. Every bridge comes first, so that no veth takes an index a bridge is assigned. */
    struct buf b = {0};
    uint32_t seq = 1;
    size_t s, li;
    struct ifinfomsg *ifi;
    struct ifaddrmsg *ifa;
    const int bridges = (n + per_bridge - 1) / per_bridge;
    for (int k = 0; k < bridges; ++k) {
        char name[IFNAMSIZ];
        snprintf(name, sizeof name, "br%d", k);
        s = msg_start(&b);
        msg_begin(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq++, sizeof(struct ifinfomsg));
        ifi = family(&b, s);
        ifi->ifi_index = BRIDGE_INDEX + k;
        ifi->ifi_flags = ifi->ifi_change = IFF_UP;
        put_str(&b, IFLA_IFNAME, name);
        put_u32(&b, IFLA_GROUP, group);
        li = nest_begin(&b, IFLA_LINKINFO);
        put_str(&b, IFLA_INFO_KIND, "bridge");
        nest_end(&b, li);
        msg_end(&b, s);

        s = msg_start(&b);
        msg_begin(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, seq++, sizeof(struct ifaddrmsg));
        ifa = family(&b, s);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = 16;
        ifa->ifa_index = (uint32_t)(BRIDGE_INDEX + k);
        uint32_t gw = w3_gateway(k);
        put(&b, IFA_LOCAL, &gw, 4);
        put(&b, IFA_ADDRESS, &gw, 4);
        msg_end(&b, s);
    }

    for (int i = 0; i < n; ++i) {
        char name[IFNAMSIZ];
        snprintf(name, sizeof name, "vh%d", i);
        s = msg_start(&b);
        msg_begin(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | (i + 1 == n ? NLM_F_ACK : 0), seq++, sizeof(struct ifinfomsg));
        ifi = family(&b, s);
        ifi->ifi_flags = ifi->ifi_change = IFF_UP;
        put_str(&b, IFLA_IFNAME, name);
        put_u32(&b, IFLA_GROUP, group);
        put_u32(&b, IFLA_MASTER, (uint32_t)(BRIDGE_INDEX + i / per_bridge));
        li = nest_begin(&b, IFLA_LINKINFO);
        put_str(&b, IFLA_INFO_KIND, "veth");
        size_t data = nest_begin(&b, IFLA_INFO_DATA);
        size_t peer = nest_begin(&b, VETH_INFO_PEER);
        grow(&b, sizeof(struct ifinfomsg));
        put_str(&b, IFLA_IFNAME, "eth0");
        put_u32(&b, IFLA_NET_NS_FD, (uint32_t)nsfd[i]);
        nest_end(&b, peer);
        nest_end(&b, data);
        nest_end(&b, li);
        msg_end(&b, s);
    }
    send_all(hs, b.p, b.len);
    /* The kernel did the work inside sendmsg: the answers are queued already, so reading them now
     * costs no wait, and a refused host request is reported as itself. */
    collect(hs, seq - 1, "host requests", NULL, NULL);

    /* Containers: one look-up, then one sendmsg each; answers collected at the end. */
    for (int i = 0; i < n; ++i) {
        b.len = 0;
        s = msg_start(&b);
        msg_begin(&b, RTM_GETLINK, 0, 1, sizeof(struct ifinfomsg));
        put_str(&b, IFLA_IFNAME, "eth0");
        put_u32(&b, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        msg_end(&b, s);
        send_all(cs[i], b.p, b.len);
        int eth0 = 0;
        collect(cs[i], 1, "look up eth0", on_link, &eth0);
        if (!eth0) {
            fprintf(stderr, "floor: no eth0 in container %d\n", i);
            return 1;
        }
        b.len = 0;
        link_up(&b, 2, 1, 0); /* lo is always ifindex 1 (LOOPBACK_IFINDEX) */
        link_up(&b, 3, eth0, 0);
        s = msg_start(&b);
        msg_begin(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, 4, sizeof(struct ifaddrmsg));
        ifa = family(&b, s);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = 16;
        ifa->ifa_index = (uint32_t)eth0;
        /* 10.(200+K).X.Y, X.Y from the container's place on its bridge (bridge 0: 10.200.X.Y as ever). */
        int bridge = i / per_bridge, place = i % per_bridge;
        uint32_t gw = w3_gateway(bridge);
        uint32_t a = htonl(0x0a000000u | (uint32_t)(200 + bridge) << 16 | (uint32_t)(place / 200) << 8 | (uint32_t)(place % 200 + 2));
        put(&b, IFA_LOCAL, &a, 4);
        put(&b, IFA_ADDRESS, &a, 4);
        msg_end(&b, s);
        s = msg_start(&b);
        msg_begin(&b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, 5, sizeof(struct rtmsg));
        struct rtmsg *rt = family(&b, s);
        rt->rtm_family = AF_INET;
        rt->rtm_table = RT_TABLE_MAIN;
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_scope = RT_SCOPE_UNIVERSE;
        rt->rtm_type = RTN_UNICAST;
        put(&b, RTA_GATEWAY, &gw, 4);
        msg_end(&b, s);
        send_all(cs[i], b.p, b.len);
    }
    for (int i = 0; i < n; ++i) collect(cs[i], 5, "container requests", NULL, NULL);
    return 0;
}

static int w3_teardown(const char *prefix, int n, uint32_t group) {
    int hs = open_rtnl();
    struct buf b = {0};
    size_t s = msg_start(&b);
    msg_begin(&b, RTM_DELLINK, NLM_F_ACK, 1, sizeof(struct ifinfomsg));
    put_u32(&b, IFLA_GROUP, group);
    msg_end(&b, s);
    send_all(hs, b.p, b.len);
    collect(hs, 1, "delete group", NULL, NULL);
    char path[256];
    for (int i = 0; i < n; ++i) {
        netns_path(path, sizeof path, prefix, i);
        if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) die("umount");
        if (unlink(path) != 0) die("unlink");
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "w1") == 0) return w1(argc, argv);
    if (argc == 7 && strcmp(argv[1], "w3") == 0 && strcmp(argv[2], "setup") == 0) {
        int n = atoi(argv[4]), per_bridge = atoi(argv[5]);
        uint32_t group = (uint32_t)strtoul(argv[6], NULL, 10);
        if (per_bridge < 1) return 2;
        return w3_setup(argv[3], n, per_bridge, group);
    }
    if (argc == 6 && strcmp(argv[1], "w3") == 0 && strcmp(argv[2], "teardown") == 0)
        return w3_teardown(argv[3], atoi(argv[4]), (uint32_t)strtoul(argv[5], NULL, 10));
    fprintf(stderr, "usage: floor w1 add|del N GATEWAY DEV | floor w3 setup PREFIX N P GROUP | floor w3 teardown PREFIX N GROUP\n");
    return 2;
}
