// nsnet/nft/text.hpp — a rule's expressions back to nft's own syntax, as `nft list ruleset` shows them.
//
// Layer: nf_tables decoders, no I/O. Recognises the sequences nft (and nsnet, which emits the same)
// generates for: meta nfproto / l4proto / iifname / oifname / mark, ip and ip6 saddr/daddr
// (prefixes, negation), tcp/udp sport/dport (ports and ranges), fib daddr type, ct state / mark,
// counter, meta/ct mark set, snat/dnat/masquerade/redirect (addresses, ports, ranges), verdicts
// (accept, drop, return, jump, goto) and the comment. Anything else is printed in
// `nft --debug=netlink` notation (`[ lookup ... ]`) so nothing is silently dropped.
#pragma once

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "nsnet/detail/config.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/nft/expr.hpp"
#include "nsnet/nft/rule.hpp"

namespace nsnet::nft {

// `ip saddr 10.88.0.0/16 tcp dport 8080 counter packets 0 bytes 0 dnat ip to 10.88.0.2:80 comment "x"`.
// with_counters=false leaves counter values out (`counter`).
NSNET_LAZY NSNET_DECL std::string to_text(const Rule& r, bool with_counters = true);

}  // namespace nsnet::nft

#if NSNET_DEFINITIONS
#include "nsnet/impl/nft/text.ipp"
#endif
