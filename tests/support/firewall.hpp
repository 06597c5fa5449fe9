// tests/support/firewall.hpp — the nsnet::firewall names the NAT/filter tests use unqualified, in
// one place (included by relative path: "../support/firewall.hpp"). Not `using namespace
// nsnet::firewall`: next to `using namespace nsnet` that makes Rule, RuleOptions, Family and
// PortRange ambiguous (nsnet::Rule is a routing rule, `ip rule`); write those as firewall::Rule.
#pragma once

#include "nsnet/firewall/filter.hpp"
#include "nsnet/firewall/forward.hpp"
#include "nsnet/firewall/nat.hpp"

using nsnet::firewall::Dnat;
using nsnet::firewall::DnatOptions;
using nsnet::firewall::FilterRule;
using nsnet::firewall::FilterRuleOptions;
using nsnet::firewall::ForwardPolicy;
using nsnet::firewall::Hook;
using nsnet::firewall::Masquerade;
using nsnet::firewall::MasqueradeOptions;
using nsnet::firewall::Protocol;
using nsnet::firewall::RawRuleOptions;
using nsnet::firewall::Snat;
using nsnet::firewall::SnatOptions;
using nsnet::firewall::Verdict;
