#!/usr/bin/env bash
# tests/fuzz/capture_seeds.sh — (re)captures the fuzz targets' seed corpora from the running kernel.
#
#   sudo tests/fuzz/capture_seeds.sh [CORPUS_DIR]      (default: tests/fuzz/corpus)
#
# It creates two throwaway namespaces (nsfz<pid>-a, nsfz<pid>-b), fills the first with what nsnet
# reads back — a veth pair to the second namespace, a bridge with ports, vxlan (IPv4 and IPv6),
# macvlan (bridge and source mode), macvtap, tun/tap, ifb, IPv4/IPv6 addresses (peer, broadcast,
# label), routes (gateway, multipath, blackhole/unreachable/prohibit, metrics, other tables, nhid),
# rules with every selector, neighbours (incl. proxy), fdb entries on the bridge and the vxlan,
# nexthops and groups, nf_tables tables/chains/rules (nat, filter, counters, comments, expressions
# nsnet does not model) — whatever this kernel supports; a refused command is reported and
# skipped. It then runs capture_seeds.cpp inside the first namespace to record the dump replies
# (recvmsg bytes, through nsnet's nl::Socket) into CORPUS_DIR/<target>/, and removes both
# namespaces (also on failure). The starting namespace is never touched.
#
# ip_parse's seeds are text, kept by hand in corpus/ip_parse/. Link kinds this kernel lacks (vlan,
# ipvlan without 8021q/ipvlan modules) get seeds from the `ip` requests captured in
# tests/unit/golden/ (same IFLA_INFO_DATA layout), written to rtnl_decode/golden-*.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
OUT=${1:-$ROOT/tests/fuzz/corpus}
[[ $(id -u) == 0 ]] || { echo "capture_seeds.sh: needs root (it creates namespaces)" >&2; exit 1; }

A=nsfz$$-a
B=nsfz$$-b
TMP=$(mktemp -d)
cleanup() {
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

echo "capture_seeds.sh: building the capture helper"
${CXX:-g++} -std=c++20 -O1 -I"$ROOT/include" "$ROOT/tests/fuzz/capture_seeds.cpp" -o "$TMP/capture-seeds" -pthread

ip netns add "$A"
ip netns add "$B"

# Runs one setup command in namespace A; a refusal (missing kernel feature) is reported, not fatal.
in_a() {
    if ! ip netns exec "$A" "$@" >"$TMP/out" 2>&1; then
        echo "  skipped ($(tr '\n' ' ' <"$TMP/out")): $*"
    fi
}

echo "capture_seeds.sh: building objects in $A"
in_a ip link set lo up
# veth pair with its peer in B (link-netnsid), addresses, a bridge with ports
in_a ip link add v0 type veth peer name v0p netns "$B"
ip -n "$B" link set v0p up
in_a ip link add v1 type veth peer name v1p
in_a ip link set v0 up mtu 1400 alias "uplink to b"
in_a ip link add br0 type bridge stp_state 1 forward_delay 400 hello_time 200 max_age 1500 ageing_time 30000 priority 4096 mcast_snooping 0
in_a ip link set br0 type bridge vlan_filtering 1 vlan_protocol 802.1ad
in_a ip link set v1 master br0
in_a ip link set v1p up
in_a ip link set br0 up
in_a ip link set v1 up
in_a ip link set v1 type bridge_slave learning off hairpin on cost 7 priority 9 mcast_flood off isolated on
in_a ip link add ifb0 type ifb
in_a ip link add ifb1 type ifb
in_a ip link set ifb1 group 7 txqueuelen 77
# vxlan (v4 unicast remote, v6 multicast group), macvlan, macvtap, tun/tap
in_a ip addr add 192.0.2.1/24 dev v0
in_a ip addr add 2001:db8:1::1/64 dev v0 nodad
in_a ip link add vx0 type vxlan id 42 local 192.0.2.1 remote 192.0.2.2 dstport 4789 srcport 5000 6000 ttl 9 tos 0x10 ageing 120 maxaddress 100 noudpcsum l2miss l3miss proxy
in_a ip link add vx1 type vxlan id 16000000 group ff05::42 dev v0 dstport 8472 ttl inherit nolearning
in_a ip link add vx2 type vxlan external dstport 4790
in_a ip link set vx0 up
in_a ip link add mv0 link v0 type macvlan mode bridge
in_a ip link add mv1 link v0 type macvlan mode private
in_a ip link add mv3 link v1p type macvlan mode passthru nopromisc
in_a ip link add mv2 link v0 type macvlan mode source
in_a ip link set mv2 type macvlan macaddr add 02:00:00:00:00:aa
in_a ip link set mv2 type macvlan macaddr add 02:00:00:00:00:bb
in_a ip link add mvt0 link v0 type macvtap mode vepa
in_a ip link add vl0 link v0 type vlan id 42 protocol 802.1ad reorder_hdr off gvrp on
in_a ip link add ipv0 link v0 type ipvlan mode l3 private
in_a ip tuntap add tap0 mode tap multi_queue user 1000 group 1000
in_a ip tuntap add tun0 mode tun pi vnet_hdr
in_a ip link set mv0 up
# addresses: peer, broadcast, label, secondary, IPv6 flags, loopback extra
in_a ip addr add 192.0.2.9/24 dev v0 label v0:sec
in_a ip addr add 10.1.0.1 peer 10.1.0.2/32 dev v1
in_a ip addr add 10.2.0.1/16 brd 10.2.255.255 dev br0 label br0:x
in_a ip addr add 2001:db8:2::1/64 dev br0 nodad noprefixroute
in_a ip addr add 2001:db8:3::1/128 dev lo
in_a ip addr add 127.0.0.2/8 dev lo
# neighbours and proxies
in_a ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent
in_a ip neigh add 192.0.2.3 lladdr 02:00:00:00:00:03 dev v0 nud stale router
in_a ip neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:22 dev v0 nud reachable router
in_a ip neigh add proxy 192.0.2.77 dev v0
in_a ip neigh add proxy 2001:db8:1::77 dev v0
# nexthops and groups
in_a ip nexthop add id 1 via 192.0.2.2 dev v0
in_a ip nexthop add id 2 via 192.0.2.3 dev v0 onlink
in_a ip nexthop add id 3 via 2001:db8:1::2 dev v0
in_a ip nexthop add id 4 blackhole
in_a ip nexthop add id 10 group 1/2,3
in_a ip nexthop add id 11 group 1,200/2,56 type resilient buckets 8
in_a ip nexthop add id 20 via 192.0.2.2 fdb
in_a ip nexthop add id 21 group 20 fdb
# routes: gateway, multipath, types, metrics, tables, nhid, src/prefsrc, IPv6
in_a ip route add 198.51.100.0/24 via 192.0.2.2 dev v0 metric 50 mtu 1300 src 192.0.2.1
in_a ip route add 198.51.101.0/24 nexthop via 192.0.2.2 weight 3 nexthop via 192.0.2.3 dev v0 weight 1
in_a ip route add 198.51.102.0/25 nhid 10
in_a ip route add blackhole 203.0.113.0/24
in_a ip route add unreachable 203.0.114.0/24 table 100
in_a ip route add prohibit 203.0.115.0/24 table 70000
in_a ip route add 10.3.0.0/16 dev v0 scope link proto static table 100 tos 0x10
in_a ip route add throw 10.4.0.0/16 table 100
in_a ip route add default via 192.0.2.2 dev v0 proto 250
in_a ip -6 route add 2001:db8:10::/48 via 2001:db8:1::2 dev v0 metric 1024 pref high
in_a ip -6 route add 2001:db8:11::/48 nexthop via 2001:db8:1::2 dev v0 nexthop via fe80::1 dev v0
in_a ip -6 route add 2001:db8:12::/48 from 2001:db8:1::/64 via 2001:db8:1::2 dev v0
in_a ip -6 route add blackhole 2001:db8:13::/48 table 100
in_a ip route add 198.51.103.0/24 via inet6 fe80::1 dev v0
# rules with every selector nsnet decodes
in_a ip rule add from 10.0.0.0/8 to 192.168.0.0/16 table 100 priority 100
in_a ip rule add fwmark 0x10/0xff iif v0 oif br0 table 101 priority 101
in_a ip rule add not from 172.16.0.0/12 ipproto tcp sport 1000-2000 dport 80 table 102 priority 102
in_a ip rule add uidrange 1000-2000 tos 0x10 lookup main suppress_prefixlength 0 priority 103 protocol 77
in_a ip rule add from all goto 110 priority 104
in_a ip rule add from all priority 110 unreachable
in_a ip rule add from all priority 111 prohibit
in_a ip -6 rule add from 2001:db8::/32 to 2001:db8:ff::/48 table 100 priority 200
in_a ip -6 rule add iif lo dport 443 ipproto udp blackhole priority 201
# fdb: the bridge (master, static, vlan) and the vxlan (remotes, vni, port, via)
in_a bridge fdb add 02:00:00:00:01:01 dev v1 master static
in_a bridge fdb add 02:00:00:00:01:02 dev v1 master
in_a bridge fdb add 02:00:00:00:01:03 dev v1 self permanent
in_a bridge fdb add 02:00:00:00:02:01 dev vx0 dst 192.0.2.20
in_a bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.21
in_a bridge fdb append 00:00:00:00:00:00 dev vx0 dst 192.0.2.22 vni 77 port 4790 via v0
in_a bridge fdb add 02:00:00:00:02:02 dev vx0 dst 192.0.2.23 src_vni 9
in_a bridge fdb add 02:00:00:00:02:03 dev vx2 nhid 21 self
# nf_tables: nat and filter tables as nsnet and Docker write them, and expressions nsnet keeps raw
cat >"$TMP/rules.nft" <<'NFT'
table ip fznat {
    comment "nsnet fuzz seeds"
    chain pre { type nat hook prerouting priority -100; policy accept; }
    chain post { type nat hook postrouting priority 100; policy accept; }
    chain filter_fwd { type filter hook forward priority 0; policy drop; }
    chain plain { }
}
add rule ip fznat pre iifname "v0" tcp dport 8080 counter dnat to 10.2.0.2:80 comment "port forward"
add rule ip fznat pre udp dport 53 dnat to 10.2.0.3
add rule ip fznat post ip saddr 10.2.0.0/16 oifname != "br0" counter masquerade
add rule ip fznat post ip saddr 10.5.0.0/23 meta l4proto tcp snat to 192.0.2.1:1000-2000
add rule ip fznat post ip daddr 10.6.0.0/24 meta l4proto udp masquerade to :3000-4000 random,persistent
add rule ip fznat filter_fwd ct state established,related accept
add rule ip fznat filter_fwd iifname "br0" oifname "v0" counter packets 10 bytes 1000 accept
add rule ip fznat filter_fwd meta mark 0x00000010 ip protocol icmp limit rate 10/second log prefix "fz " drop
add rule ip fznat filter_fwd tcp sport 22 jump plain
add rule ip fznat plain return
table ip6 fz6 {
    chain in { type filter hook input priority 0; }
}
add rule ip6 fz6 in ip6 saddr 2001:db8::/32 ip6 daddr 2001:db8:1::1 counter accept
table inet fzinet {
    chain out { type route hook output priority -150; }
}
add rule inet fzinet out meta l4proto udp th dport 4789 counter continue
NFT
in_a nft -f "$TMP/rules.nft"

echo "capture_seeds.sh: capturing into $OUT"
mkdir -p "$OUT"
ip netns exec "$A" "$TMP/capture-seeds" "$OUT"

# Link kinds this kernel may lack: the RTM_NEWLINK requests `ip` sent for them (tests/unit/golden,
# hex after the comment lines; the first message of the first send only).
golden_seed() {
    local name=$1 file=$ROOT/tests/unit/golden/$1.txt
    [[ -f $file ]] || return 0
    python3 - "$file" "$OUT/rtnl_decode/golden-$name" <<'PY'
import sys
hexes, started = [], False
for line in open(sys.argv[1]):
    if line.startswith('#'):
        if started: break
        continue
    started = True
    hexes += line.split()
data = bytes(int(h, 16) for h in hexes)
n = int.from_bytes(data[:4], 'little')
open(sys.argv[2], 'wb').write(data[:n])
PY
}
for g in vlan vlan_8021ad ipvlan_l3s ipvlan_l2_private; do golden_seed "$g"; done

for d in "$OUT"/*/; do
    printf 'capture_seeds.sh: %-14s %4d files %7d bytes\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)" "$(find "$d" -type f -exec cat {} + | wc -c)"
done
