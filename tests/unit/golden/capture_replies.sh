#!/bin/bash
# capture_replies.sh — capture the kernel's *replies* that the vxlan / fdb / tun decoders read.
#
# capture.sh records what iproute2 sends; this records what the kernel answers to `ip -d link
# show` and `bridge fdb show`, so decode_vxlan(), decode_fdb() and decode_tun() are tested on real
# kernel bytes. Output files (format as README.md; one "# recv i/n" block per kept datagram):
#   vxlan_reply_link.txt    ip -d link show dev vx0   (learning vxlan, srcport, ttl, ageing, no remote)
#   vxlan_reply_remote.txt  ip -d link show dev vx0   in the second host (remote set, defaults)
#   vxlan_reply_group.txt   ip -d link show dev vx1   (multicast group, nolearning)
#   vxlan_reply_v6.txt      ip -d link show dev vx2   (IPv6 local/remote)
#   fdb_reply_vxlan.txt     bridge fdb show dev vx0   after traffic: a learned entry, appended remotes
#   fdb_reply_bridge.txt    bridge fdb show br br0    a static entry on a bridge port (NTF_MASTER)
#   tun_reply_link.txt      ip -d link show dev tun0  (ip tuntap add tun0 mode tun: persistent)
#   tun_reply_tap_mq.txt    ip -d link show dev tap0  (ip tuntap add tap0 mode tap multi_queue)
# Only the received datagrams whose first message is the one asked for are kept (not bridge's
# RTM_GETLINK name cache, not the NLMSG_DONE). Needs root, strace, iproute2.
#
# Works only inside namespaces it creates (nsgoldr-*), refuses to start if one exists, deletes
# them on exit, failure or Ctrl-C; the starting namespace is never touched.
#
# Usage: sudo tests/unit/golden/capture_replies.sh [OUTDIR]   (OUTDIR defaults to this directory)
set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
P=nsgoldr
TMP=$(mktemp -d /tmp/nsgoldr.XXXXXX)
MADE=()

die() { echo "capture_replies.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for t in strace ip bridge awk ping; do command -v $t >/dev/null || die "missing $t"; done
for ns in $(ip netns list | awk '{print $1}'); do
    case $ns in $P-*) die "namespace $ns already exists (another capture running, or a leftover)";; esac
done
cleanup() {
    local ns
    for ns in "${MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkns() { ip netns add "$1" || die "cannot create namespace $1"; MADE+=("$1"); }
q() { "$@" >/dev/null 2>&1 || die "setup failed: $*"; }
mkdir -p "$OUT"

# strace log -> one line per recvmsg that returned data: "recvmsg <hex>"
recvs() {
    awk '
    function flush() { if (name != "" && hex != "") print name, hex; name = ""; hex = "" }
    {
        line = $0
        sub(/^[0-9]+ +/, "", line)
        if (line ~ /^recvmsg\(/) { flush(); name = "recvmsg"; next }
        if (line ~ /^[a-z_0-9]+\(/) { flush(); next }
        if (line ~ /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  /) {
            if (name == "") next
            n = split(substr(line, 11, 49), tok, " ")
            for (i = 1; i <= n; i++) if (tok[i] ~ /^[0-9a-f][0-9a-f]$/) hex = hex tok[i]
        }
    }
    END { flush() }' "$1"
}

# describe HEX: "#   @off len=.. type=.. flags=.. family/index" per message
describe() {
    awk -v hex="$1" '
    function h2d(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    function u(off, n,   i, v) { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[off + i]; return v }
    BEGIN {
        T[16] = "RTM_NEWLINK"; T[28] = "RTM_NEWNEIGH"; T[3] = "NLMSG_DONE"; T[2] = "NLMSG_ERROR"
        n = length(hex) / 2
        for (i = 0; i < n; i++) b[i] = h2d(substr(hex, 2 * i + 1, 2))
        off = 0
        while (off + 16 <= n) {
            len = u(off, 4); t = u(off + 4, 2)
            extra = ""
            if (t == 16) extra = sprintf("ifi_index=%d", u(off + 20, 4))
            if (t == 28) extra = sprintf("ndm_family=%d ndm_ifindex=%d state=0x%02x flags=0x%02x", b[off + 16], u(off + 20, 4), u(off + 24, 2), b[off + 26])
            printf "#   @%-4d len=%-4d %-14s flags=0x%04x %s\n", off, len, (t in T ? T[t] : "type " t), u(off + 6, 2), extra
            if (len < 16) break
            off += int((len + 3) / 4) * 4
        }
    }'
}
# vary HEX: nlmsg_seq and nlmsg_pid of every message in HEX, as "a-b what" ranges
vary() {
    local hex=$1 n=$(( ${#1} / 2 )) off=0 len out=""
    while [ $((off + 16)) -le "$n" ]; do
        len=$((16#${hex:$((2 * off + 6)):2}${hex:$((2 * off + 4)):2}${hex:$((2 * off + 2)):2}${hex:$((2 * off)):2}))
        [ "$len" -lt 16 ] && break
        out+=", $((off + 8))-$((off + 11)) nlmsg_seq, $((off + 12))-$((off + 15)) nlmsg_pid"
        off=$((off + (len + 3) / 4 * 4))
    done
    echo "${out#, }"
}
hexfmt() { echo "$1" | fold -w32 | sed -e 's/../& /g' -e 's/ $//'; }
links() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); printf "%s%s=%s", sep, $2, $1; sep = " " }'; }

# rcap NAME TYPE PICK NS NOTE CMD: keep the received datagrams whose first message has nlmsg_type
# TYPE: PICK "first" keeps the first (the answer to ip's request; later ones are its name lookups
# of other links), "all" keeps every one.
rcap() {
    local name=$1 type=$2 pick=$3 ns=$4 note=$5 cmd=$6 log=$TMP/$1.strace rc
    local before; before=$(links "$ns")
    eval "strace -f -qq -e trace=sendmsg,sendto,recvmsg -xx -s 65535 -e read=all -o \"\$log\" -- $cmd" >"$TMP/$name.out" 2>&1
    rc=$?
    local -a R keep=(); local hx i t
    mapfile -t R < <(recvs "$log")
    for i in "${!R[@]}"; do
        hx=${R[$i]#* }
        t=$((16#${hx:10:2}${hx:8:2}))
        [ "$t" = "$type" ] && keep+=("$hx")
    done
    [ "$pick" = first ] && [ ${#keep[@]} -gt 1 ] && keep=("${keep[0]}")
    [ ${#keep[@]} = 0 ] && die "$name: no reply of type $type (rc=$rc): $(head -c 300 "$TMP/$name.out")"
    {
        echo "# cmd: $cmd"
        echo "# note: $note"
        echo "# links in $ns: $before"
        echo "# exit status $rc"
        echo "# output: $(tr '\n' '|' <"$TMP/$name.out" | head -c 600)"
        i=0
        for hx in "${keep[@]}"; do
            i=$((i + 1))
            echo "# recv $i/${#keep[@]}"
            describe "$hx"
            echo "# vary: $(vary "$hx"), MAC addresses the kernel generated, counters, timers and cache info inside the messages"
            hexfmt "$hx"
        done
    } >"$OUT/$name.txt"
    echo "$name: rc=$rc kept ${#keep[@]} of ${#R[@]} datagrams" >&2
}

# ---------------------------------------------------------------------------------------------
# Two hosts r1, r2 joined by eth0 (veth, the peer created directly in r2), as in the vxlan lab.
R1=$P-r1; R2=$P-r2
mkns $R1; mkns $R2
q ip -n $R1 link add eth0 type veth peer name eth0 netns $R2
q ip -n $R1 addr add 172.16.0.10/24 dev eth0
q ip -n $R2 addr add 172.16.0.20/24 dev eth0
q ip -n $R1 link set eth0 up
q ip -n $R2 link set eth0 up
# r1: a learning vxlan without a remote (vxlan-learning's A), with every numeric option set.
q ip -n $R1 link add vx0 type vxlan id 100 local 172.16.0.10 dev eth0 dstport 4789 srcport 1000 2000 ttl 64 ageing 120
q ip -n $R1 addr add 172.20.0.10/24 dev vx0
q ip -n $R1 link set vx0 up
# r2: remote r1 (B), defaults otherwise.
q ip -n $R2 link add vx0 type vxlan id 100 local 172.16.0.20 remote 172.16.0.10 dev eth0 dstport 4789
q ip -n $R2 addr add 172.20.0.20/24 dev vx0
q ip -n $R2 link set vx0 up
# r1: one more remote on the all-zeros entry, with its own port, VNI and underlay device.
q bridge -n $R1 fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.40 port 4790 vni 200 via eth0
# B -> A: r1 learns r2's vx0 MAC behind 172.16.0.20.
q ip netns exec $R2 ping -c 2 -W 2 172.20.0.10
# r1: a multicast vxlan without learning, and an IPv6 one.
q ip -n $R1 link add vx1 type vxlan id 200 group 239.1.1.1 dev eth0 dstport 4789 nolearning
q ip -n $R1 link add vx2 type vxlan id 300 local 2001:db8::1 remote 2001:db8::2 dstport 4789
# r1: a bridge with a port and a static entry on it.
q ip -n $R1 link add br0 type bridge
q ip -n $R1 link add p1 type veth peer name p2
q ip -n $R1 link set p1 master br0
q bridge -n $R1 fdb add 02:00:00:00:00:0a dev p1 master static
# r1: tun/tap as `ip tuntap` makes them (persistent).
q ip -n $R1 tuntap add tun0 mode tun
q ip -n $R1 tuntap add tap0 mode tap multi_queue

rcap vxlan_reply_link 16 first $R1 "RTM_NEWLINK of vx0 in r1: IFLA_LINKINFO{KIND vxlan, DATA{ID 100, LINK (eth0), LOCAL 172.16.0.10, no GROUP (no remote), TTL 64, PORT_RANGE 1000-2000, LEARNING 1, AGEING 120, PORT 4789, ...}}. Created with: ip link add vx0 type vxlan id 100 local 172.16.0.10 dev eth0 dstport 4789 srcport 1000 2000 ttl 64 ageing 120" \
    "ip -n $R1 -d link show dev vx0"
rcap vxlan_reply_remote 16 first $R2 "RTM_NEWLINK of vx0 in r2: ID 100, GROUP 172.16.0.10 (the remote), LOCAL 172.16.0.20, LINK eth0, PORT 4789, defaults for the rest (ttl 0 = auto, ageing 300, learning 1, srcport 0-0). Created with the tutorial's: ip link add vx0 type vxlan id 100 local 172.16.0.20 remote 172.16.0.10 dev eth0 dstport 4789" \
    "ip -n $R2 -d link show dev vx0"
rcap vxlan_reply_group 16 first $R1 "RTM_NEWLINK of vx1: ID 200, GROUP 239.1.1.1 (multicast: a group, not a remote), LINK eth0, LEARNING 0" \
    "ip -n $R1 -d link show dev vx1"
rcap vxlan_reply_v6 16 first $R1 "RTM_NEWLINK of vx2: ID 300, LOCAL6 2001:db8::1, GROUP6 2001:db8::2, no LINK" \
    "ip -n $R1 -d link show dev vx2"
rcap fdb_reply_vxlan 28 all $R1 "RTM_NEWNEIGH dump replies (AF_BRIDGE) in r1 after r2 pinged 172.20.0.10 over vx0: bridge's socket is strict (NETLINK_GET_STRICT_CHK), so the kernel sent only vx0's entries: the all-zeros entry of vx0 (permanent, dst 172.16.0.40 port 4790 vni 200 via eth0) and r2's vx0 MAC learned with dst 172.16.0.20 (state NUD_REACHABLE, NTF_SELF)" \
    "bridge -n $R1 fdb show dev vx0"
rcap fdb_reply_bridge 28 all $R1 "RTM_NEWNEIGH dump replies (AF_BRIDGE) for 'br br0': 02:00:00:00:00:0a on port p1 with NDA_MASTER br0 (the bridge's own entries carry ndm_flags 0, not NTF_MASTER), state static = NUD_NOARP 0x40 as the bridge reports it and the ports' own permanent entries" \
    "bridge -n $R1 fdb show br br0"
rcap tun_reply_link 16 first $R1 "RTM_NEWLINK of tun0 (ip tuntap add tun0 mode tun): IFLA_LINKINFO{KIND tun, DATA{TYPE 1 (IFF_TUN), PI 0, VNET_HDR 0, PERSIST 1, MULTI_QUEUE 0, NUM_QUEUES 0, NUM_DISABLED_QUEUES 0}}" \
    "ip -n $R1 -d link show dev tun0"
rcap tun_reply_tap_mq 16 first $R1 "RTM_NEWLINK of tap0 (ip tuntap add tap0 mode tap multi_queue): TYPE 2 (IFF_TAP), PERSIST 1, MULTI_QUEUE 1" \
    "ip -n $R1 -d link show dev tap0"
echo "versions: $(ip -V); $(strace -V | head -1); kernel $(uname -r)" >&2
