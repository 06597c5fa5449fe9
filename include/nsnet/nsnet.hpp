// nsnet/nsnet.hpp — the umbrella header: the whole library (every object type, raw netlink,
// monitor, NAT, batches, groups and transactions).
//
// `#include <nsnet/nsnet.hpp>` is all a program that builds networks needs. Each header below is
// also usable alone (tests/compile checks that), for programs that want a smaller include.
//
// Not here: the traffic probes of nsnet's tests and labs (ping, TCP and HTTP servers/clients). They
// are test tooling, not network setup, and are not installed: examples/support/nsnet_probe/.
#pragma once

#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/link.hpp"
#include "nsnet/show.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/route.hpp"
#include "nsnet/vxlan.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/tun.hpp"
#include "nsnet/bridge.hpp"
#include "nsnet/macvlan.hpp"
#include "nsnet/ipvlan.hpp"
#include "nsnet/vlan.hpp"
#include "nsnet/rule.hpp"
#include "nsnet/neighbor.hpp"
#include "nsnet/nexthop.hpp"
#include "nsnet/monitor/event.hpp"
#include "nsnet/monitor/view.hpp"
#include "nsnet/monitor/pump.hpp"
#include "nsnet/firewall/table.hpp"
#include "nsnet/firewall/nft_rule.hpp"
#include "nsnet/firewall/nat.hpp"
#include "nsnet/firewall/filter.hpp"
#include "nsnet/firewall/forward.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/request_batch.hpp"
#include "nsnet/route_dump.hpp"
#include "nsnet/link_group.hpp"
#include "nsnet/netns_group.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/conntrack.hpp"
