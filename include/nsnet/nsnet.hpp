// nsnet/nsnet.hpp — the umbrella header: the whole library (every object type, raw netlink,
// monitor, NAT, bulk and transactions).
//
// `#include <nsnet/nsnet.hpp>` is all a program that builds networks needs. Each header below is
// also usable alone (tests/compile checks that), for programs that want a smaller include.
//
// Deliberately NOT included: nsnet/probe.hpp — the traffic probes for labs and tests (ping, TCP and
// HTTP servers/clients, the `ip a` view). They are test tooling, not network setup, and they cost
// every includer ~0.3-0.45 s of compile time; include <nsnet/probe.hpp> explicitly where you use
// them (like {fmt}'s split between fmt/core.h and fmt/format.h).
#pragma once

#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/link.hpp"
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
#include "nsnet/monitor.hpp"
#include "nsnet/nat.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/sysctl.hpp"
#include "nsnet/bulk.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/conntrack.hpp"
