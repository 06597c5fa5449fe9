/* libnl peer of W2: create N veth pairs xa<i>/xb<i> tagged with GROUP, or delete them one by one.
 * usage: libnl_w2_veth create N GROUP | delete N */
#include <netlink/route/link/veth.h>

#include "common.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s create N GROUP | delete N\n", argv[0]);
        return 2;
    }
    int create = strcmp(argv[1], "create") == 0;
    int n = atoi(argv[2]);
    uint32_t group = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
    struct nl_sock *sk = connect_route();
    char name[IFNAMSIZ];
    for (int i = 0; i < n; ++i) {
        if (create) {
            struct rtnl_link *link = rtnl_link_veth_alloc();
            struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
            snprintf(name, sizeof name, "xa%d", i);
            rtnl_link_set_name(link, name);
            rtnl_link_set_group(link, group);
            snprintf(name, sizeof name, "xb%d", i);
            rtnl_link_set_name(peer, name);
            rtnl_link_set_group(peer, group);
            int err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
            if (err < 0) die("rtnl_link_add", err);
            rtnl_link_put(peer);
            rtnl_link_veth_release(link);
        } else {
            struct rtnl_link *link = rtnl_link_alloc();
            snprintf(name, sizeof name, "xa%d", i);
            rtnl_link_set_name(link, name);
            int err = rtnl_link_delete(sk, link);
            if (err < 0) die("rtnl_link_delete", err);
            rtnl_link_put(link);
        }
    }
    nl_socket_free(sk);
    return 0;
}
