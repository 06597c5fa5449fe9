#!/bin/bash
# capture_objects.sh — capture the kernel's replies that the rule / neighbour / nexthop decoders read.
#
# capture.sh records what iproute2 sends; this records what the kernel answers to `ip rule show`,
# `ip neigh show` and `ip nexthop show`, so decode_rule(), decode_neighbor() and decode_nexthop()
# are tested on real kernel bytes. Output files (format as README.md; one "# recv i/n" block per
# kept datagram):
#   reply_rule.txt          ip rule show      (default rules + from/lookup, to/iif/fwmark/pref,
#                                             prohibit, ipproto/dport/table 300, not/iif/oif/blackhole)
#   reply_rule6.txt         ip -6 rule show   (default rules + from 2001:db8::/32 lookup 100)
#   reply_neigh.txt         ip neigh show     (permanent, reachable, stale; IPv6 router)
#   reply_neigh_proxy.txt   ip neigh show proxy
#   reply_nexthop.txt       ip nexthop show   (v4 gateways, a weighted group, a blackhole, a v6 gateway)
# Only the datagrams whose first message is of the type asked for are kept. Needs root, strace,
# iproute2. Works only inside a namespace it creates (nsgoldo-*), refuses to start if one exists,
# deletes it on exit, failure or Ctrl-C; the starting namespace is never touched.
#
# Usage: sudo tests/unit/golden/capture_objects.sh [OUTDIR]   (OUTDIR defaults to this directory)
set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
P=nsgoldo
TMP=$(mktemp -d /tmp/nsgoldo.XXXXXX)
MADE=()

die() { echo "capture_objects.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for t in strace ip awk; do command -v $t >/dev/null || die "missing $t"; done
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

# describe HEX: "#   @off len=.. type=.. flags=.. ..." per message
describe() {
    awk -v hex="$1" '
    function h2d(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    function u(off, n,   i, v) { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[off + i]; return v }
    BEGIN {
        T[32] = "RTM_NEWRULE"; T[28] = "RTM_NEWNEIGH"; T[104] = "RTM_NEWNEXTHOP"; T[3] = "NLMSG_DONE"; T[2] = "NLMSG_ERROR"
        n = length(hex) / 2
        for (i = 0; i < n; i++) b[i] = h2d(substr(hex, 2 * i + 1, 2))
        off = 0
        while (off + 16 <= n) {
            len = u(off, 4); t = u(off + 4, 2)
            extra = ""
            if (t == 32) extra = sprintf("family=%d dst_len=%d src_len=%d table=%d action=%d", b[off + 16], b[off + 17], b[off + 18], b[off + 20], b[off + 23])
            if (t == 28) extra = sprintf("ndm_family=%d ndm_ifindex=%d state=0x%02x flags=0x%02x", b[off + 16], u(off + 20, 4), u(off + 24, 2), b[off + 26])
            if (t == 104) extra = sprintf("nh_family=%d flags=0x%x", b[off + 16], u(off + 20, 4))
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

# rcap NAME TYPE NS NOTE CMD: keep every received datagram whose first message has nlmsg_type TYPE.
rcap() {
    local name=$1 type=$2 ns=$3 note=$4 cmd=$5 log=$TMP/$1.strace rc
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
    [ ${#keep[@]} = 0 ] && die "$name: no reply of type $type (rc=$rc): $(head -c 300 "$TMP/$name.out")"
    {
        echo "# cmd: $cmd"
        echo "# note: $note"
        echo "# links in $ns: $before"
        echo "# exit status $rc"
        echo "# output: $(tr '\n' '|' <"$TMP/$name.out" | head -c 900)"
        i=0
        for hx in "${keep[@]}"; do
            i=$((i + 1))
            echo "# recv $i/${#keep[@]}"
            describe "$hx"
            echo "# vary: $(vary "$hx"), timers and cache info inside the messages (NDA_CACHEINFO, NDA_PROBES)"
            hexfmt "$hx"
        done
    } >"$OUT/$name.txt"
    echo "$name: rc=$rc kept ${#keep[@]} of ${#R[@]} datagrams" >&2
}

O=$P-o1
mkns $O
q ip -n $O link add veth-n1 type veth peer name veth-n2
q ip -n $O addr add 10.10.10.1/24 dev veth-n1
q ip -n $O addr add 2001:db8::1/64 dev veth-n1 nodad
q ip -n $O link set veth-n2 up
q ip -n $O link set veth-n1 up
q ip -n $O link set lo up   # a blackhole nexthop uses lo, which must be up
# nexthops
q ip -n $O nexthop add id 1 via 10.10.10.254 dev veth-n1
q ip -n $O nexthop add id 2 via 10.10.10.253 dev veth-n1
q ip -n $O nexthop add id 10 group 1/2,3
q ip -n $O nexthop add id 20 blackhole
q ip -n $O nexthop add id 30 via 2001:db8::fe dev veth-n1

# rules
q ip -n $O rule add from 192.168.1.10 lookup 100
q ip -n $O rule add to 10.0.0.0/8 iif veth-n1 fwmark 0x10/0xff priority 1000 lookup 200
q ip -n $O rule add from 10.1.0.0/16 prohibit
q ip -n $O rule add ipproto tcp dport 80 priority 1500 lookup 300
q ip -n $O rule add not to 10.3.0.0/16 iif veth-n2 oif veth-n1 priority 2000 blackhole
q ip -n $O -6 rule add from 2001:db8::/32 lookup 100
# neighbours
q ip -n $O neigh add 10.10.10.9 lladdr 02:00:00:00:00:09 dev veth-n1 nud permanent
q ip -n $O neigh add 10.10.10.11 lladdr 02:00:00:00:00:0b dev veth-n1 nud reachable
q ip -n $O neigh add 10.10.10.12 lladdr 02:00:00:00:00:0c dev veth-n1 nud stale
q ip -n $O neigh add 2001:db8::9 lladdr 02:00:00:00:00:09 dev veth-n1 router
q ip -n $O neigh add proxy 10.10.10.50 dev veth-n1
rcap reply_rule 32 $O "RTM_NEWRULE dump replies (AF_INET): 0 local, 1000 to 10.0.0.0/8 iif veth-n1 fwmark 0x10/0xff lookup 200, 1500 ipproto tcp dport 80 lookup 300 (FRA_TABLE), 2000 not to 10.3.0.0/16 iif veth-n2 oif veth-n1 blackhole (FIB_RULE_INVERT), with kernel-picked priorities: 999 from 10.1.0.0/16 prohibit (one below the lowest non-zero priority when it was added), 32765 from 192.168.1.10 lookup 100 (added first); 32766 main, 32767 default. Table 300 is FRA_TABLE with header table RT_TABLE_COMPAT 252" \
    "ip -n $O rule show"
rcap reply_rule6 32 $O "RTM_NEWRULE dump replies (AF_INET6): 0 local, from 2001:db8::/32 lookup 100 (priority 32765), 32766 main" \
    "ip -n $O -6 rule show"
rcap reply_neigh 28 $O "RTM_NEWNEIGH dump replies (AF_INET and AF_INET6) on veth-n1 (ifindex 3): 10.10.10.9 permanent, 10.10.10.11 reachable, 10.10.10.12 stale, 2001:db8::9 router permanent; and the kernel's own IPv6 multicast entries (NUD_NOARP) on veth-n1 and veth-n2" \
    "ip -n $O neigh show"
rcap reply_neigh_proxy 28 $O "RTM_NEWNEIGH dump replies of the proxy table (ndm_flags NTF_PROXY): 10.10.10.50 on veth-n1" \
    "ip -n $O neigh show proxy"
rcap reply_nexthop 104 $O "RTM_NEWNEXTHOP dump replies: id 1 via 10.10.10.254 dev veth-n1, id 2 via 10.10.10.253, id 10 group 1/2,3 (family AF_UNSPEC), id 20 blackhole, id 30 via 2001:db8::fe dev veth-n1 (AF_INET6)" \
    "ip -n $O nexthop show"
echo "versions: $(ip -V); $(strace -V | head -1); kernel $(uname -r)" >&2
