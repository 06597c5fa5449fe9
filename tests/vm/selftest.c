/* tests/vm/selftest.c: a tiny static program that checks the VM harness end to end.
 *
 *   selftest            check the guest environment, then in a fresh network namespace (unshare)
 *                       create with raw rtnetlink: a veth pair, a vlan (id 100) on it, an ipvlan,
 *                       a dummy, a vrf and a vxlan; exit 0 if all worked, 1 otherwise, 77 if not root
 *   selftest exit N     exit with status N
 *   selftest hang       sleep forever (the harness must kill the guest)
 *
 * Build: gcc -static -O2 -o selftest tests/vm/selftest.c. Needs no tool (no ip, no nft).
 * Deliberately not nsnet code: it tests the harness, not the library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what, const char *detail) {
    printf("%s  %s%s%s\n", ok ? "PASS" : "FAIL", what, detail ? "  " : "", detail ? detail : "");
    if (!ok) failures++;
}

struct req {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
    char buf[1024];
};

static struct rtattr *put(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len) {
    struct rtattr *a = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}
static struct rtattr *nest(struct nlmsghdr *nh, unsigned short type) { return put(nh, type, NULL, 0); }
static void end(struct nlmsghdr *nh, struct rtattr *a) { a->rta_len = (char *)nh + nh->nlmsg_len - (char *)a; }
static void put_str(struct nlmsghdr *nh, unsigned short type, const char *s) { put(nh, type, s, strlen(s) + 1); }

static void start(struct req *r, const char *name, const char *kind, int parent) {
    memset(r, 0, sizeof *r);
    r->nh.nlmsg_len = NLMSG_LENGTH(sizeof r->ifi);
    r->nh.nlmsg_type = RTM_NEWLINK;
    r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    r->ifi.ifi_family = AF_UNSPEC;
    put_str(&r->nh, IFLA_IFNAME, name);
    if (parent) put(&r->nh, IFLA_LINK, &parent, sizeof parent);
    (void)kind;
}

/* send and wait for the ack; returns 0 or -errno */
static int transact(int fd, struct nlmsghdr *nh) {
    static unsigned seq;
    nh->nlmsg_seq = ++seq;
    if (send(fd, nh, nh->nlmsg_len, 0) < 0) return -errno;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return -errno;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR) return -EPROTO;
    return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

static void report(int err, const char *what) {
    char detail[128];
    snprintf(detail, sizeof detail, "(%s)", err ? strerror(-err) : "ok");
    check(err == 0, what, detail);
}

static int link_simple(int fd, const char *name, const char *kind, int parent, unsigned short data_type,
                       const void *data, size_t len) {
    struct req r;
    start(&r, name, kind, parent);
    struct rtattr *li = nest(&r.nh, IFLA_LINKINFO);
    put_str(&r.nh, IFLA_INFO_KIND, kind);
    if (data_type) {
        struct rtattr *d = nest(&r.nh, IFLA_INFO_DATA);
        put(&r.nh, data_type, data, len);
        end(&r.nh, d);
    }
    end(&r.nh, li);
    return transact(fd, &r.nh);
}

static int environment(void) {
    check(access("/proc/self/ns/net", R_OK) == 0, "/proc mounted", NULL);
    struct stat st;
    check(stat("/run/netns", &st) == 0 && S_ISDIR(st.st_mode), "/run/netns exists", NULL);
    check(access("/proc/sys/net/ipv4/ip_forward", W_OK) == 0, "/proc/sys/net writable", NULL);
    int tun = open("/dev/net/tun", O_RDWR);
    check(tun >= 0, "/dev/net/tun opens", tun < 0 ? strerror(errno) : NULL);
    if (tun >= 0) close(tun);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
        printf("selftest: exiting with %d\n", atoi(argv[2]));
        return atoi(argv[2]);
    }
    if (argc >= 2 && strcmp(argv[1], "hang") == 0) {
        printf("selftest: hanging\n");
        for (;;) pause();
    }
    if (geteuid() != 0) {
        printf("SKIP  selftest needs root\n");
        return 77;
    }
    FILE *f = fopen("/proc/sys/kernel/osrelease", "r");
    char rel[128] = "?";
    if (f) { if (fgets(rel, sizeof rel, f)) rel[strcspn(rel, "\n")] = 0; fclose(f); }
    printf("selftest on kernel %s\n", rel);
    environment();

    /* a fresh network namespace of our own: nothing here touches the starting one */
    if (unshare(CLONE_NEWNET) != 0) { check(0, "unshare(CLONE_NEWNET)", strerror(errno)); return 1; }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) { check(0, "socket(AF_NETLINK)", strerror(errno)); return 1; }

    struct req r;  /* veth v0 <-> v1 */
    start(&r, "v0", "veth", 0);
    struct rtattr *li = nest(&r.nh, IFLA_LINKINFO);
    put_str(&r.nh, IFLA_INFO_KIND, "veth");
    struct rtattr *data = nest(&r.nh, IFLA_INFO_DATA);
    struct rtattr *peer = nest(&r.nh, VETH_INFO_PEER);
    struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
    memcpy((char *)&r.nh + r.nh.nlmsg_len, &pifi, sizeof pifi);
    r.nh.nlmsg_len += NLMSG_ALIGN(sizeof pifi);
    put_str(&r.nh, IFLA_IFNAME, "v1");
    end(&r.nh, peer);
    end(&r.nh, data);
    end(&r.nh, li);
    report(transact(fd, &r.nh), "veth v0/v1");

    int v0 = (int)if_nametoindex("v0");
    unsigned short vid = 100;
    report(link_simple(fd, "v0.100", "vlan", v0, IFLA_VLAN_ID, &vid, sizeof vid), "vlan v0.100 (8021q)");
    unsigned short mode = IPVLAN_MODE_L2;
    report(link_simple(fd, "ipv0", "ipvlan", v0, IFLA_IPVLAN_MODE, &mode, sizeof mode), "ipvlan ipv0 on v0");
    report(link_simple(fd, "dum0", "dummy", 0, 0, NULL, 0), "dummy dum0");
    unsigned table = 10;
    report(link_simple(fd, "vrf0", "vrf", 0, IFLA_VRF_TABLE, &table, sizeof table), "vrf vrf0 table 10");
    unsigned vni = 42;
    report(link_simple(fd, "vx0", "vxlan", 0, IFLA_VXLAN_ID, &vni, sizeof vni), "vxlan vx0 id 42");
    close(fd);
    printf("selftest: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
