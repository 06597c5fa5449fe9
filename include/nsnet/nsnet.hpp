// nsnet/nsnet.hpp — the umbrella header: everything public in nsnet.
//
// Include this and nothing else: `#include <nsnet/nsnet.hpp>`. Each header below is also usable
// alone (tests/compile checks that), for programs that want a smaller include.
#pragma once

#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/link.hpp"
#include "nsnet/veth.hpp"
#include "nsnet/route.hpp"
#include "nsnet/probe.hpp"
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
#include "nsnet/monitor.hpp"
#include "nsnet/nat.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/bulk.hpp"
#include "nsnet/transaction.hpp"
