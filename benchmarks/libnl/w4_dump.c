/* libnl peer of W4: dump the IPv4 routes into a libnl route cache and print how many there are.
 * usage: libnl_w4_dump */
#include "common.h"

int main(void) {
    struct nl_sock *sk = connect_route();
    struct nl_cache *cache = NULL;
    int err = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
    if (err < 0) die("rtnl_route_alloc_cache", err);
    printf("%d\n", nl_cache_nitems(cache));
    nl_cache_free(cache);
    nl_socket_free(sk);
    return 0;
}
