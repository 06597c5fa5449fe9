#!/bin/bash
# capture_kinds.sh — extra golden captures for the bridge / macvlan / ipvlan / vlan options that
# capture.sh does not cover (multi-option requests, changes of an existing link, ordering with
# netns/address/mtu). Same file format and helpers as capture.sh (README.md), whose helper section
# (everything before its first capture) is sourced from it, so both stay in step.
#
# Usage: sudo tests/unit/golden/capture_kinds.sh [OUTDIR]   (defaults to this directory)
# Works only inside namespaces it creates (nsgold-k*), deletes them on exit, failure or Ctrl-C.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=capture.sh
source <(sed '/^# 1\. veth with the peer in another namespace/,$d' "$HERE/capture.sh")

# =============================================================================================
# bridge (n1: veth-n1/veth-n2 as in capture.sh, so veth-n1 = 3, br0 = 4)
K=$P-k1
mkns $K; mkns $P-k2
q ip -n $K link add veth-n1 type veth peer name veth-n2
q ip -n $K link add br0 type bridge
q ip -n $K link set veth-n1 master br0
LNS=$K
cap bridge_options last rt "RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, IFLA_IFNAME br3, IFLA_LINKINFO{IFLA_INFO_KIND bridge, IFLA_INFO_DATA{...}}: ip emits the bridge options in command-line order, here the order of their IFLA_BR_* numbers: FORWARD_DELAY 1 u32 (centiseconds), HELLO_TIME 2 u32, MAX_AGE 3 u32, AGEING_TIME 4 u32, STP_STATE 5 u32, PRIORITY 6 u16, MCAST_SNOOPING 23 u8. $PROBE. $IP_SEQ" \
    "ip -n $K link add br3 type bridge forward_delay 400 hello_time 200 max_age 1200 ageing_time 6000 stp_state 0 priority 100 mcast_snooping 0"
cap bridge_set_stp last rt "change of an existing bridge: RTM_NEWLINK, flags REQUEST|ACK, ifi_index 4 (br0), IFLA_LINKINFO{IFLA_INFO_KIND bridge, IFLA_INFO_DATA{IFLA_BR_STP_STATE u32 1}}. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $K link set br0 type bridge stp_state 1"
q ip -n $K link set br0 type bridge stp_state 0
SLAVE="RTM_NEWLINK, flags REQUEST|ACK, ifi_index 3 (veth-n1, a br0 port), IFLA_LINKINFO{IFLA_INFO_KIND \"bridge_slave\", IFLA_INFO_SLAVE_DATA{...}}. $LOOKUP. $PROBE. $IP_SEQ"
BRLINK="RTM_SETLINK, flags REQUEST|ACK, ifi_family AF_BRIDGE (7), ifi_index 3 (veth-n1, a br0 port), IFLA_PROTINFO with NLA_F_NESTED {IFLA_BRPORT_*}; bridge(8) emits the attributes in its own fixed order, not the command line's. $LOOKUP. $IP_SEQ"
cap brport_mcast_flood_off_ip last rt "$SLAVE {IFLA_BRPORT_MCAST_FLOOD u8 0}" \
    "ip -n $K link set veth-n1 type bridge_slave mcast_flood off"
cap brport_bcast_flood_off_ip last rt "$SLAVE {IFLA_BRPORT_BCAST_FLOOD u8 0}" \
    "ip -n $K link set veth-n1 type bridge_slave bcast_flood off"
cap brport_multi_ip last rt "$SLAVE {PRIORITY u16 10, COST u32 50, MODE u8 1, LEARNING u8 0, UNICAST_FLOOD u8 0, MCAST_FLOOD u8 0, BCAST_FLOOD u8 0, NEIGH_SUPPRESS u8 1, ISOLATED u8 1}: ip emits them in command-line order, here the order of their IFLA_BRPORT_* numbers" \
    "ip -n $K link set veth-n1 type bridge_slave priority 10 cost 50 hairpin on learning off flood off mcast_flood off bcast_flood off neigh_suppress on isolated on"
cap brport_mcast_flood_off_bridge last rt "$BRLINK {IFLA_BRPORT_MCAST_FLOOD 0}" \
    "bridge -n $K link set dev veth-n1 mcast_flood off"
cap brport_bcast_flood_off_bridge last rt "$BRLINK {IFLA_BRPORT_BCAST_FLOOD 0}" \
    "bridge -n $K link set dev veth-n1 bcast_flood off"
cap brport_multi_bridge last rt "$BRLINK Whatever the command-line order, bridge 6.1 emits MODE (hairpin), UNICAST_FLOOD, MCAST_FLOOD, BCAST_FLOOD, LEARNING, COST u32, PRIORITY u16, NEIGH_SUPPRESS, ISOLATED (checked with the options reversed: same bytes)" \
    "bridge -n $K link set dev veth-n1 priority 10 cost 50 hairpin on learning off flood off mcast_flood off bcast_flood off neigh_suppress on isolated on"

# =============================================================================================
# macvlan / macvtap / ipvlan / vlan on a veth end called ens41 (= 3), k2 as a target namespace
MV=$P-k3
mkns $MV
q ip -n $MV link add ens41 type veth peer name ens41p
q ip -n $MV link add ens41m1 link ens41 type macvlan mode bridge
LNS=$MV
STACK="RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE. ip adds IFLA_NET_NS_FD, IFLA_ADDRESS, IFLA_MTU while parsing (command-line order), then IFLA_LINK, IFLA_IFNAME, IFLA_LINKINFO. $LOOKUP. $PROBE. $IP_SEQ"
cap macvlan_set_mode last rt "change of an existing macvlan: RTM_NEWLINK, flags REQUEST|ACK, ifi_index 4 (ens41m1), IFLA_LINKINFO{IFLA_INFO_KIND macvlan, IFLA_INFO_DATA{IFLA_MACVLAN_MODE u32 2 (vepa)}}. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $MV link set ens41m1 type macvlan mode vepa"
q ip -n $MV link del ens41m1
cap macvlan_address_mtu last rt "$STACK Here: IFLA_ADDRESS, IFLA_MTU 1400, IFLA_LINK 3, IFLA_IFNAME m2, IFLA_LINKINFO{macvlan, {MODE 4}}" \
    "ip -n $MV link add m2 link ens41 address 02:00:00:00:00:47 mtu 1400 type macvlan mode bridge"
cap macvlan_netns_address last rt "$STACK Here: IFLA_NET_NS_FD (fd of /run/netns/$P-k2, see vary), IFLA_ADDRESS, IFLA_LINK 3, IFLA_IFNAME m3, IFLA_LINKINFO{macvlan, {MODE 1 (private)}}" \
    "ip -n $MV link add m3 link ens41 netns $P-k2 address 02:00:00:00:00:48 type macvlan mode private"
q ip -n $MV link del m2
cap macvlan_passthru_nopromisc last rt "$STACK IFLA_INFO_DATA{IFLA_MACVLAN_MODE 8, IFLA_MACVLAN_FLAGS u16 1 (MACVLAN_FLAG_NOPROMISC)}: ip adds MODE and FLAGS after the other options. The kernel refuses it (EINVAL) because ens41 already carries a macvlan (m3, moved to $P-k2): passthru needs the parent for itself; the bytes are still the request" \
    "ip -n $MV link add m4 link ens41 type macvlan mode passthru nopromisc"
q ip -n $MV link del m4
cap macvlan_source_macs last rt "$STACK IFLA_INFO_DATA{IFLA_MACVLAN_MACADDR_MODE u32 3 (MACVLAN_MACADDR_SET), IFLA_MACVLAN_MACADDR_DATA{IFLA_MACVLAN_MACADDR x2}, then IFLA_MACVLAN_MODE u32 16}: the source list is emitted while parsing, the mode at the end" \
    "ip -n $MV link add m5 link ens41 type macvlan mode source macaddr set 02:00:00:00:00:0a 02:00:00:00:00:0b"
q ip -n $MV link del m5
cap macvtap_bridge last rt "$STACK IFLA_INFO_KIND macvtap (7 bytes, no NUL), IFLA_INFO_DATA{IFLA_MACVLAN_MODE 4}" \
    "ip -n $MV link add mt0 link ens41 type macvtap mode bridge"
q ip -n $MV link del mt0
cap ipvlan_netns_l3s_private last rt "$STACK Here: IFLA_NET_NS_FD (see vary), IFLA_LINK 3, IFLA_IFNAME, IFLA_LINKINFO{ipvlan, {IFLA_IPVLAN_MODE u16 2 (l3s), IFLA_IPVLAN_FLAGS u16 1 (private)}}. Refused by a kernel without ipvlan; the bytes are still the request" \
    "ip -n $MV link add ipv1 link ens41 netns $P-k2 type ipvlan mode l3s private"
cap vlan_8021q_netns last rt "$STACK Here: IFLA_NET_NS_FD (see vary), IFLA_LINK 3, IFLA_IFNAME ens41.300, IFLA_LINKINFO{vlan, {IFLA_VLAN_PROTOCOL be16 0x8100, IFLA_VLAN_ID u16 300}} (options in command-line order). Refused by a kernel without 8021q; the bytes are still the request" \
    "ip -n $MV link add ens41.300 link ens41 netns $P-k2 type vlan protocol 802.1Q id 300"
LNS=

if [ -s "$TMP/refused" ]; then
    echo "nothing was sent for: $(tr '\n' ' ' <"$TMP/refused")" >&2
fi
echo "versions: $(ip -V | head -1); $(strace -V | head -1); kernel $(uname -r)" >&2
