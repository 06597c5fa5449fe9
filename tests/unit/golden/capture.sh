#!/bin/bash
# capture.sh — re-capture the golden netlink request bytes in this directory.
#
# Runs each iproute2 / nft command under strace inside throwaway namespaces named nsgold-* and
# writes one <name>.txt per request (format: README.md). Needs root, strace, iproute2, nftables.
# It never touches the starting namespace, refuses to run if nsgold-* namespaces already exist,
# and deletes every namespace it made on exit (also on failure or Ctrl-C).
#
# Usage: sudo tests/unit/golden/capture.sh [OUTDIR]     (OUTDIR defaults to this directory)
set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
P=nsgold
TMP=$(mktemp -d /tmp/nsgold.XXXXXX)
MADE=()

die() { echo "capture.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for t in strace ip bridge nft awk; do command -v $t >/dev/null || die "missing $t"; done
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
# quiet setup / teardown helper (not captured)
q() { "$@" >/dev/null 2>&1; }

mkdir -p "$OUT"

# ---------------------------------------------------------------------------------------------
# strace log -> one line per sendmsg/sendto: "<syscall> <hex bytes without separators>"
# (strace's -e write=all hex dump of the whole buffer; sendmsg iovecs are concatenated)
sends() {
    awk '
    function flush() { if (name != "") print name, hex; name = ""; hex = "" }
    {
        line = $0
        sub(/^[0-9]+ +/, "", line)              # "-f -o file" prefixes syscall lines with the pid
        sub(/^\[pid +[0-9]+\] /, "", line)
        if (line ~ /^(sendmsg|sendto)\(/) { flush(); name = substr(line, 1, index(line, "(") - 1); next }
        if (line ~ /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  /) {
            if (name == "") next
            n = split(substr(line, 11, 49), tok, " ")
            for (i = 1; i <= n; i++) if (tok[i] ~ /^[0-9a-f][0-9a-f]$/) hex = hex tok[i]
            next
        }
        if (line ~ /^ \* [0-9]+ bytes in buffer/) next
        if (line ~ /^[a-z_0-9]+\(/ || line ~ /^</) flush()
    }
    END { flush() }' "$1"
}

# describe FAMILY HEX: one "# " line per netlink message in HEX (offset, length, type, flags, seq, pid)
describe() {
    awk -v fam="$1" -v hex="$2" '
    function h2d(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    function u(off, n,   i, v) { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[off + i]; return v }
    function rtname(t) {
        if (t in RT) return RT[t]; return sprintf("type %d", t) }
    function nfname(t) {
        if (t in NFM) return NFM[t]; return sprintf("subsys %d msg %d", int(t / 256), t % 256) }
    function flagnames(t, f,   s, isget) {
        s = ""
        if (f % 2) s = s "|REQUEST"
        if (int(f / 2) % 2) s = s "|MULTI"
        if (int(f / 4) % 2) s = s "|ACK"
        if (int(f / 8) % 2) s = s "|ECHO"
        isget = (fam == "rt" && t >= 16 && t % 4 == 2) || (fam == "nf" && t == 2576) || \
                (fam == "nf" && t >= 2560 && (t % 256) in NFGET)
        if (isget) {
            if (int(f / 256) % 2) s = s "|ROOT"
            if (int(f / 512) % 2) s = s "|MATCH"
        } else {
            if (int(f / 256) % 2) s = s "|REPLACE"
            if (int(f / 512) % 2) s = s "|EXCL"
            if (int(f / 1024) % 2) s = s "|CREATE"
            if (int(f / 2048) % 2) s = s "|APPEND"
        }
        return substr(s, 2)
    }
    BEGIN {
        na = split("NEWLINK DELLINK GETLINK SETLINK NEWADDR DELADDR GETADDR - NEWROUTE DELROUTE GETROUTE - NEWNEIGH DELNEIGH GETNEIGH - NEWRULE DELRULE GETRULE", a, " ")
        for (i = 1; i <= na; i++) if (a[i] != "-") RT[15 + i] = "RTM_" a[i]
        RT[104] = "RTM_NEWNEXTHOP"; RT[105] = "RTM_DELNEXTHOP"; RT[106] = "RTM_GETNEXTHOP"
        NFM[16] = "NFNL_MSG_BATCH_BEGIN"; NFM[17] = "NFNL_MSG_BATCH_END"
        na = split("NEWTABLE GETTABLE DELTABLE NEWCHAIN GETCHAIN DELCHAIN NEWRULE GETRULE DELRULE NEWSET GETSET DELSET NEWSETELEM GETSETELEM DELSETELEM NEWGEN GETGEN TRACE NEWOBJ GETOBJ DELOBJ GETOBJ_RESET NEWFLOWTABLE GETFLOWTABLE DELFLOWTABLE", a, " ")
        for (i = 1; i <= na; i++) NFM[2560 + i - 1] = "NFT_MSG_" a[i]
        NFGET[1] = 1; NFGET[4] = 1; NFGET[7] = 1; NFGET[10] = 1; NFGET[13] = 1; NFGET[16] = 1; NFGET[19] = 1; NFGET[21] = 1; NFGET[23] = 1
        n = length(hex) / 2
        for (i = 0; i < n; i++) b[i] = h2d(substr(hex, 2 * i + 1, 2))
        off = 0
        while (off + 16 <= n) {
            len = u(off, 4); t = u(off + 4, 2); f = u(off + 6, 2)
            printf "#   @%-4d len=%-4d %-24s flags=0x%04x %-26s seq=%u pid=%u\n", off, len, \
                (fam == "nf" ? nfname(t) : rtname(t)), f, "(" flagnames(t, f) ")", u(off + 8, 4), u(off + 12, 4)
            if (len < 16) break
            off += int((len + 3) / 4) * 4
        }
        if (off != n) printf "#   (%d trailing bytes)\n", n - off
    }'
}

hexfmt() { echo "$1" | fold -w32 | sed -e 's/../& /g' -e 's/ $//'; }

# links NS: "lo=1 veth-n2=2 ..." (ifindex of every link in NS)
links() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); printf "%s%s=%s", sep, $2, $1; sep = " " }'; }

# span HEX: number of bytes covered by the complete netlink messages at the start of HEX
span() {
    awk -v hex="$1" 'BEGIN {
        n = length(hex) / 2; off = 0
        while (off + 16 <= n) {
            len = 0
            for (i = 3; i >= 0; i--) len = len * 256 + index("0123456789abcdef", substr(hex, 2 * (off + i) + 1, 1)) * 16 - 16 \
                + index("0123456789abcdef", substr(hex, 2 * (off + i) + 2, 1)) - 1
            if (len < 16 || off + len > n) break
            off += int((len + 3) / 4) * 4
            if (off > n) off = n
        }
        print off }'
}

# vary HEX: the byte ranges that differ between runs: nlmsg_seq (iproute2: time-based) of every
# message, a non-zero nlmsg_pid, and the value of every IFLA_NET_NS_FD attribute (an fd number)
vary() {
    local hex=$1 fam=$2 n=$(( ${#1} / 2 )) off=0 len out="" i
    while [ $((off + 16)) -le "$n" ]; do
        len=$((16#${hex:$((2 * off + 6)):2}${hex:$((2 * off + 4)):2}${hex:$((2 * off + 2)):2}${hex:$((2 * off)):2}))
        [ "$len" -lt 16 ] && break
        [ "$fam" = rt ] && out+=", $((off + 8))-$((off + 11)) nlmsg_seq"
        if [ "${hex:$((2 * off + 24)):8}" != 00000000 ]; then
            out+=", $((off + 12))-$((off + 15)) nlmsg_pid"
            # an RTM_DELNEIGH that is an echoed dump reply (ip neigh flush): its timers vary too
            if [ "$fam" = rt ] && [ "${hex:$((2 * off + 8)):4}" = 1d00 ]; then
                local a=$((off + 28)) al at
                while [ $((a + 4)) -le $((off + len)) ]; do
                    al=$((16#${hex:$((2 * a + 2)):2}${hex:$((2 * a)):2}))
                    at=$((16#${hex:$((2 * a + 6)):2}${hex:$((2 * a + 4)):2}))
                    [ "$al" -lt 4 ] && break
                    [ "$at" = 3 ] && out+=", $((a + 4))-$((a + al - 1)) NDA_CACHEINFO"
                    [ "$at" = 4 ] && out+=", $((a + 4))-$((a + al - 1)) NDA_PROBES"
                    a=$((a + (al + 3) / 4 * 4))
                done
            fi
        fi
        off=$((off + (len + 3) / 4 * 4))
    done
    for ((i = 0; i + 8 <= n; i += 4)); do
        [ "${hex:$((2 * i)):8}" = 08001c00 ] && \
            out+=", $((i + 4))-$((i + 7)) IFLA_NET_NS_FD fd (=$((16#${hex:$((2 * i + 8)):2})) here)"
    done
    echo "${out#, }"
}

# cap NAME PICK FAMILY NOTE CMD
#   PICK:   last   — the last send (iproute2 probes / resolves names first, the request comes last)
#           type=N — the last send whose first message has nlmsg_type N (decimal)
#           dump   — every send whose first message has NLM_F_DUMP (each under "# send i/n")
#           all    — every send except iproute2's seq-0 RTM_NEWLINK probe (each under "# send i/n")
#           batch  — the last sendmsg whose first message is NFNL_MSG_BATCH_BEGIN (nft)
#   FAMILY: rt (rtnetlink) or nf (nfnetlink): names message types in the comments, seq handling
#   CMD:    the exact command line; run with eval so that the "# cmd:" line is exactly what ran.
#   $LNS (optional): namespace whose link indices are listed in the note (taken before CMD runs)
# Bytes after the last complete message (iproute2's dump requests send sizeof(struct req) with
# zero padding past nlmsg_len) are dropped; the "# send" line / note says how many.
cap() {
    local name=$1 pick=$2 fam=$3 note=$4 cmd=$5
    local log=$TMP/$name.strace f=$OUT/$name.txt rc before=""
    [ -n "${LNS:-}" ] && before=$(links "$LNS")
    eval "strace -f -qq -e trace=sendmsg,sendto -xx -s 65535 -e write=all -o \"\$log\" -- $cmd" \
        >"$TMP/$name.out" 2>&1
    rc=$?
    local -a S; local n i keep=() summary="" hx sp multi=0 t
    mapfile -t S < <(sends "$log"); n=${#S[@]}
    for i in "${!S[@]}"; do
        hx=${S[$i]#* }
        summary+=" #$((i + 1)):$(describe "$fam" "$hx" | head -1 | awk '{print $4}')"
    done
    for i in "${!S[@]}"; do
        hx=${S[$i]#* }
        t=$((16#${hx:10:2}${hx:8:2}))
        case $pick in
            last) [ $i = $((n - 1)) ] && keep+=("$i") ;;
            type=*) [ "$t" = "${pick#type=}" ] && keep=("$i") ;;
            dump) [ $(( 16#${hx:14:2} & 3 )) = 3 ] && keep+=("$i"); multi=1 ;;
            all) [ "$t" = 16 ] && [ "${hx:16:8}" = 00000000 ] && [ "$fam" = rt ] || keep+=("$i"); multi=1 ;;
            batch) [ "$t" = 16 ] && [ "${hx:0:8}" = 14000000 ] && keep=("$i") ;;
        esac
    done
    if [ ${#keep[@]} = 0 ]; then
        echo "!! $name: nothing sent (rc=$rc): $(head -c 300 "$TMP/$name.out")" >&2
        echo "$name" >>"$TMP/refused"
        return
    fi
    {
        echo "# cmd: $cmd"
        echo "# note: $note"
        [ -n "$before" ] && echo "# links in $LNS before the command: $before"
        echo "# exit status $rc$( [ $rc != 0 ] && printf ', stderr: %s' "$(tr '\n' ' ' <"$TMP/$name.out" | head -c 200)")"
        echo "# traced sends:$summary; kept: $(for i in "${keep[@]}"; do printf '#%d ' $((i + 1)); done)"
        for i in "${keep[@]}"; do
            hx=${S[$i]#* }
            sp=$(span "$hx")
            [ $multi = 1 ] && echo "# send $((i + 1))/$n"
            [ $((sp * 2)) -lt ${#hx} ] && echo "#   (${S[$i]%% *} carried $(( ${#hx} / 2 )) bytes; the $(( ${#hx} / 2 - sp )) bytes after the last message (padding, $( [ -z "$(echo "${hx:$((2 * sp))}" | tr -d 0)" ] && echo all zero || echo NOT all zero)) are not kept)"
            hx=${hx:0:$((2 * sp))}
            describe "$fam" "$hx"
            local v; v=$(vary "$hx" "$fam")
            echo "# vary: ${v:-nothing}"
            hexfmt "$hx"
        done
    } >"$f"
    echo "$name: rc=$rc kept ${#keep[@]} of $n sends" >&2
}

IP_SEQ="iproute2 sets nlmsg_seq to time(NULL) (rtnl_open) and increments it per request; nlmsg_pid 0"
PROBE="send #1 (sendto, seq 0, empty ifinfomsg, NLM_F_ACK) is iproute2's RTM_NEWLINK probe (iplink_have_newlink), not part of the request"
LOOKUP="the RTM_GETLINK send(s) before it are iproute2 resolving a name to an ifindex (IFLA_IFNAME + IFLA_EXT_MASK)"

# =============================================================================================
# 1. veth with the peer in another namespace (ns1 -> ns2)
mkns $P-ns1; mkns $P-ns2
LNS=$P-ns1 cap veth_peer_netns last rt \
"RTM_NEWLINK, flags REQUEST|ACK|EXCL|CREATE, ifinfomsg all zero; IFLA_IFNAME eth0, IFLA_LINKINFO{IFLA_INFO_KIND veth, IFLA_INFO_DATA{VETH_INFO_PEER: struct ifinfomsg (zero) then IFLA_NET_NS_FD, IFLA_IFNAME eth0}}. The IFLA_NET_NS_FD value is the fd ip opened on /run/netns/$P-ns2 (process dependent, see vary). $PROBE. $IP_SEQ" \
"ip -n $P-ns1 link add eth0 type veth peer name eth0 netns $P-ns2"

# =============================================================================================
# 2.-6. main namespace n1 (n2 exists as a target)
mkns $P-n1; mkns $P-n2
N1=$P-n1
LNS=$N1
cap veth_simple last rt "RTM_NEWLINK like veth_peer_netns without IFLA_NET_NS_FD. The kernel registers the peer first, so afterwards veth-n2=2 and veth-n1=3 (lo=1); every later file in $N1 uses these. $PROBE. $IP_SEQ" \
    "ip -n $N1 link add veth-n1 type veth peer name veth-n2"
q ip -n $N1 link set veth-n2 up
cap link_up last rt "RTM_NEWLINK, flags REQUEST|ACK, ifi_index 3 (veth-n1), ifi_flags IFF_UP, ifi_change IFF_UP, no attributes. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 up"
cap link_down last rt "RTM_NEWLINK, ifi_index 3, ifi_flags 0, ifi_change IFF_UP. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 down"
cap link_mtu last rt "RTM_NEWLINK, ifi_index 3, ifi_change 0, IFLA_MTU 1400. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 mtu 1400"
cap link_address last rt "RTM_NEWLINK, ifi_index 3, IFLA_ADDRESS (6 bytes). $LOOKUP (two of them here: ip also looks up the link's address length). $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 address 02:00:00:00:00:01"
cap link_rename last rt "RTM_NEWLINK, ifi_index 3, IFLA_IFNAME vn1 (the link is down). $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 name vn1"
q ip -n $N1 link set vn1 name veth-n1
cap link_netns last rt "RTM_NEWLINK, ifi_index 3, IFLA_NET_NS_FD = the fd ip opened on /run/netns/$P-n2 (process dependent, see vary). $LOOKUP. $PROBE. $IP_SEQ. (moved back afterwards; it keeps ifindex 3)" \
    "ip -n $N1 link set veth-n1 netns $P-n2"
q ip -n $P-n2 link set veth-n1 netns $N1

cap bridge_add last rt "RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, IFLA_IFNAME br0, IFLA_LINKINFO{IFLA_INFO_KIND bridge}. br0 becomes ifindex 4. $PROBE. $IP_SEQ" \
    "ip -n $N1 link add br0 type bridge"
cap bridge_stp last rt "as bridge_add plus IFLA_INFO_DATA{IFLA_BR_STP_STATE u32 1}. $PROBE. $IP_SEQ" \
    "ip -n $N1 link add br1 type bridge stp_state 1"
cap bridge_vlan_filtering last rt "as bridge_add plus IFLA_INFO_DATA{IFLA_BR_VLAN_FILTERING u8 1}. This kernel (no CONFIG_BRIDGE_VLAN_FILTERING) refused it with EOPNOTSUPP; the bytes are still the request. $PROBE. $IP_SEQ" \
    "ip -n $N1 link add br2 type bridge vlan_filtering 1"
cap link_master last rt "RTM_NEWLINK, ifi_index 3 (veth-n1), IFLA_MASTER 4 (br0). $LOOKUP (one per name). $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 master br0"

SLAVE="RTM_NEWLINK, ifi_index 3 (veth-n1, a br0 port), IFLA_LINKINFO{IFLA_INFO_KIND \"bridge_slave\", IFLA_INFO_SLAVE_DATA{...}}: note the kind is the literal type word bridge_slave, and ip sends IFLA_INFO_SLAVE_DATA, not IFLA_INFO_DATA. $LOOKUP. $PROBE. $IP_SEQ"
BRLINK="RTM_SETLINK (not NEWLINK), flags REQUEST|ACK, ifi_family AF_BRIDGE (7), ifi_index 3 (veth-n1, a br0 port), IFLA_PROTINFO with NLA_F_NESTED {IFLA_BRPORT_* u8}. $LOOKUP. $IP_SEQ"
cap brport_hairpin_ip last rt "ip form of hairpin: $SLAVE {IFLA_BRPORT_MODE u8 1}" \
    "ip -n $N1 link set veth-n1 type bridge_slave hairpin on"
cap brport_hairpin_bridge last rt "bridge form of hairpin: $BRLINK {IFLA_BRPORT_MODE 1}" \
    "bridge -n $N1 link set dev veth-n1 hairpin on"
cap brport_learning_off_ip last rt "ip form: $SLAVE {IFLA_BRPORT_LEARNING u8 0}" \
    "ip -n $N1 link set veth-n1 type bridge_slave learning off"
cap brport_learning_off_bridge last rt "bridge form: $BRLINK {IFLA_BRPORT_LEARNING 0}" \
    "bridge -n $N1 link set dev veth-n1 learning off"
cap brport_flood_off_ip last rt "ip form: $SLAVE {IFLA_BRPORT_UNICAST_FLOOD u8 0}" \
    "ip -n $N1 link set veth-n1 type bridge_slave flood off"
cap brport_flood_off_bridge last rt "bridge form: $BRLINK {IFLA_BRPORT_UNICAST_FLOOD 0}" \
    "bridge -n $N1 link set dev veth-n1 flood off"
cap brport_isolated_ip last rt "ip form: $SLAVE {IFLA_BRPORT_ISOLATED u8 1}" \
    "ip -n $N1 link set veth-n1 type bridge_slave isolated on"
cap brport_isolated_bridge last rt "bridge form: $BRLINK {IFLA_BRPORT_ISOLATED 1}" \
    "bridge -n $N1 link set dev veth-n1 isolated on"
cap fdb_add_brport_static last rt "RTM_NEWNEIGH, REQUEST|ACK|EXCL|CREATE, ndmsg family AF_BRIDGE, ifindex 3 (veth-n1, a br0 port), ndm_state 0x0042 (NUD_NOARP|NUD_REACHABLE: what 'static' means to bridge), ndm_flags NTF_MASTER, NDA_LLADDR. $LOOKUP. $IP_SEQ" \
    "bridge -n $N1 fdb add 02:00:00:00:00:0a dev veth-n1 master static"
cap link_nomaster last rt "RTM_NEWLINK, ifi_index 3, IFLA_MASTER 0. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link set veth-n1 nomaster"

# ---- addresses
cap addr_add_v4 last rt "RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, ifaddrmsg {AF_INET, prefixlen 24, flags 0, scope 0, index 3 (veth-n1)}, IFA_LOCAL then IFA_ADDRESS, both 10.10.10.1. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 addr add 10.10.10.1/24 dev veth-n1"
cap addr_del_v4 last rt "RTM_DELADDR, REQUEST|ACK, same body as addr_add_v4. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 addr del 10.10.10.1/24 dev veth-n1"
cap addr_add_v4_brd last rt "as addr_add_v4 plus IFA_BROADCAST 10.10.10.255, computed by ip from 'brd +'. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 addr add 10.10.10.1/24 brd + dev veth-n1"
cap addr_add_v6 last rt "RTM_NEWADDR AF_INET6 prefixlen 64 index 3, IFA_LOCAL then IFA_ADDRESS (both 2001:db8::1). $LOOKUP. $IP_SEQ" \
    "ip -n $N1 addr add 2001:db8::1/64 dev veth-n1"
q ip -n $N1 link set veth-n1 up

# ---- routes (veth-n1 up, 10.10.10.1/24 and 2001:db8::1/64 on it)
RTMSG="rtmsg {family, dst_len, src_len 0, tos 0, table, protocol, scope, type, flags 0}"
cap route_add_gw last rt "RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE, $RTMSG = {AF_INET, 16, 0, 0, RT_TABLE_MAIN 254, RTPROT_BOOT 3, RT_SCOPE_UNIVERSE 0, RTN_UNICAST 1, 0}; RTA_DST 10.20.0.0 then RTA_GATEWAY; no RTA_OIF, no RTA_TABLE. No name lookup. $IP_SEQ" \
    "ip -n $N1 route add 10.20.0.0/16 via 10.10.10.254"
cap route_add_dev last rt "RTM_NEWROUTE, rtm_scope RT_SCOPE_LINK 253 (ip picks link scope when there is no gateway), RTA_DST then RTA_OIF 3 (veth-n1). $LOOKUP. $IP_SEQ" \
    "ip -n $N1 route add 10.30.0.0/16 dev veth-n1"
cap route_default last rt "RTM_NEWROUTE, dst_len 0 and no RTA_DST at all, RTA_GATEWAY. $IP_SEQ" \
    "ip -n $N1 route add default via 10.10.10.254"
cap route_table_metric last rt "RTM_NEWROUTE, rtm_table 100 in the header and no RTA_TABLE (ip adds RTA_TABLE only for ids >= 256), RTA_DST, RTA_GATEWAY, RTA_PRIORITY 50. $IP_SEQ" \
    "ip -n $N1 route add 10.40.0.0/16 via 10.10.10.254 table 100 metric 50"
cap route_replace last rt "RTM_NEWROUTE with REQUEST|ACK|REPLACE|CREATE (0x0505). $IP_SEQ" \
    "ip -n $N1 route replace 10.20.0.0/16 via 10.10.10.253"
cap route_del last rt "RTM_DELROUTE, REQUEST|ACK, rtmsg {AF_INET, 16, 0, 0, table 254, protocol 0, scope RT_SCOPE_NOWHERE 255, type 0}, RTA_DST. $IP_SEQ" \
    "ip -n $N1 route del 10.20.0.0/16"
cap route_v6 last rt "RTM_NEWROUTE AF_INET6, dst_len 64, table 254, RTPROT_BOOT, scope universe, unicast; RTA_DST then RTA_GATEWAY (16 bytes each). $IP_SEQ" \
    "ip -n $N1 route add 2001:db8:1::/64 via 2001:db8::fe"
cap route_multipath last rt "RTM_NEWROUTE, RTA_DST then RTA_MULTIPATH: per hop struct rtnexthop {len 16, flags 0, hops = weight-1, ifindex 0} followed by RTA_GATEWAY. $IP_SEQ" \
    "ip -n $N1 route add 10.50.0.0/16 nexthop via 10.10.10.253 weight 1 nexthop via 10.10.10.254 weight 2"
cap route_blackhole last rt "RTM_NEWROUTE, rtm_type RTN_BLACKHOLE 6, scope universe, RTA_DST only. $IP_SEQ" \
    "ip -n $N1 route add blackhole 10.60.0.0/16"
cap route_unreachable last rt "RTM_NEWROUTE, rtm_type RTN_UNREACHABLE 7, RTA_DST only. $IP_SEQ" \
    "ip -n $N1 route add unreachable 10.61.0.0/16"
cap route_get type=26 rt "RTM_GETROUTE, flags REQUEST only (no ACK, no dump flags), rtmsg {AF_INET, dst_len 32, src_len 0, tos 0, table 0, protocol 0, scope 0, type 0, rtm_flags RTM_F_LOOKUP_TABLE 0x1000}, RTA_DST. The send after it is an RTM_GETLINK ip makes to print the device name of the answer. $IP_SEQ" \
    "ip -n $N1 route get 10.20.1.1"

# ---- rules
RULE="fib_rule_hdr {family, dst_len, src_len, tos, table, res1, res2, action, flags}"
cap rule_add_from last rt "RTM_NEWRULE, REQUEST|ACK|EXCL|CREATE, $RULE = {AF_INET, 0, 32, 0, 100, 0, 0, FR_ACT_TO_TBL 1, 0}, FRA_SRC; table 100 only in the header (FRA_TABLE only for ids >= 256). $IP_SEQ" \
    "ip -n $N1 rule add from 192.168.1.10 lookup 100"
cap rule_add_to_iif_fwmark last rt "RTM_NEWRULE, header {AF_INET, dst_len 8, 0, 0, table 200, 0, 0, FR_ACT_TO_TBL, 0}; attributes in this order: FRA_DST, FRA_IIFNAME \"veth-n1\" (a name, no lookup), FRA_FWMARK 0x10, FRA_FWMASK 0xff, FRA_PRIORITY 1000. $IP_SEQ" \
    "ip -n $N1 rule add to 10.0.0.0/8 iif veth-n1 fwmark 0x10/0xff priority 1000 lookup 200"
cap rule_add_prohibit last rt "RTM_NEWRULE, header {AF_INET, 0, 16, 0, table 0, 0, 0, FR_ACT_PROHIBIT 8, 0}, FRA_SRC. $IP_SEQ" \
    "ip -n $N1 rule add from 10.1.0.0/16 prohibit"
cap rule_del last rt "RTM_DELRULE, REQUEST|ACK, header {AF_INET, 0, 32, 0, table 100, 0, 0, action 0 (FR_ACT_UNSPEC: ip does not set TO_TBL on del), 0}, FRA_SRC. $IP_SEQ" \
    "ip -n $N1 rule del from 192.168.1.10 lookup 100"

# ---- neighbours
NDMSG="ndmsg {family, pad, pad, ifindex 3 (veth-n1), state u16, flags u8, type 0}"
cap neigh_add_permanent last rt "RTM_NEWNEIGH, REQUEST|ACK|EXCL|CREATE, $NDMSG = {AF_INET, NUD_PERMANENT 0x80, 0}; NDA_DST then NDA_LLADDR. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 neigh add 10.10.10.9 lladdr 02:00:00:00:00:09 dev veth-n1 nud permanent"
cap neigh_replace_reachable last rt "RTM_NEWNEIGH, REQUEST|ACK|REPLACE|CREATE, state NUD_REACHABLE 0x02, NDA_DST, NDA_LLADDR. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 neigh replace 10.10.10.9 lladdr 02:00:00:00:00:09 dev veth-n1 nud reachable"
cap neigh_add_v6_router last rt "RTM_NEWNEIGH AF_INET6, state NUD_PERMANENT (ip's default for add), ndm_flags NTF_ROUTER 0x80, NDA_DST (16 bytes), NDA_LLADDR. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 neigh add 2001:db8::9 lladdr 02:00:00:00:00:09 dev veth-n1 router"
cap neigh_add_proxy last rt "RTM_NEWNEIGH AF_INET, state NUD_PERMANENT, ndm_flags NTF_PROXY 0x08, NDA_DST only. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 neigh add proxy 10.10.10.50 dev veth-n1"
cap neigh_del last rt "RTM_DELNEIGH, REQUEST|ACK, state NUD_PERMANENT 0x80 (ip's default state is left in the header), NDA_DST. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 neigh del 10.10.10.9 dev veth-n1"
q ip -n $N1 neigh add 10.10.10.11 lladdr 02:00:00:00:00:0b dev veth-n1 nud reachable
q ip -n $N1 neigh add 10.10.10.12 lladdr 02:00:00:00:00:0c dev veth-n1 nud stale
cap neigh_flush all rt "every send of the flush, in order: an RTM_GETLINK dump (ip's ifindex/name cache), the RTM_GETNEIGH dump filtered with NDA_IFINDEX 3, one sendto carrying an RTM_DELNEIGH per flushable entry (10.10.10.11 reachable and 10.10.10.12 stale, in the kernel's dump order, which can differ between runs; the permanent v6 router entry and the proxy entry are not flushed by default), then the repeat RTM_GETNEIGH dump that finds nothing more. The RTM_DELNEIGH messages are the kernel's dump replies sent back with the type changed: flags REQUEST only (no ACK), nlmsg_pid = ip's process id, attributes NDA_DST, NDA_LLADDR, NDA_PROBES, NDA_CACHEINFO (timers: vary per run). $IP_SEQ" \
    "ip -n $N1 neigh flush dev veth-n1"

# ---- nexthops
cap nexthop_add_1 last rt "RTM_NEWNEXTHOP (104), REQUEST|ACK|EXCL|CREATE, nhmsg {AF_INET, scope 0, protocol 0, resvd 0, flags 0}; NHA_ID 1, NHA_GATEWAY, NHA_OIF 3 (veth-n1) in that order. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 nexthop add id 1 via 10.10.10.254 dev veth-n1"
cap nexthop_add_2 last rt "as nexthop_add_1 with NHA_ID 2 and gateway 10.10.10.253. $LOOKUP. $IP_SEQ" \
    "ip -n $N1 nexthop add id 2 via 10.10.10.253 dev veth-n1"
cap nexthop_add_group last rt "RTM_NEWNEXTHOP, nhmsg family AF_UNSPEC 0; NHA_ID 10, NHA_GROUP = array of struct nexthop_grp {u32 id, u8 weight-1, u8 0, u16 0}: {1, 0} {2, 2} ('1/2,3' = id 1 weight 1, id 2 weight 3). $IP_SEQ" \
    "ip -n $N1 nexthop add id 10 group 1/2,3"
cap route_nhid last rt "RTM_NEWROUTE (table 254, RTPROT_BOOT, universe, unicast), RTA_DST, RTA_NH_ID 10. $IP_SEQ" \
    "ip -n $N1 route add 10.70.0.0/16 nhid 10"

# ---- dump requests (only the sends with NLM_F_DUMP are kept)
cap dump_link dump rt "RTM_GETLINK dump: flags REQUEST|DUMP (0x0301, no ACK), ifi_family AF_PACKET 17 (!), IFLA_EXT_MASK RTEXT_FILTER_VF 1. $PROBE. $IP_SEQ" \
    "ip -n $N1 link show"
cap dump_addr dump rt "ip addr show dumps links (RTM_GETLINK, ifi_family AF_UNSPEC, IFLA_EXT_MASK 1) then addresses (RTM_GETADDR, ifaddrmsg all zero, nlmsg_len 24). $IP_SEQ" \
    "ip -n $N1 addr show"
cap dump_route4 dump rt "RTM_GETROUTE dump, rtmsg {AF_INET, rest 0} plus RTA_TABLE 254 (ip asks the kernel to filter on table main). The later RTM_GETLINK send (ip resolving an ifindex for printing) is not kept. $IP_SEQ" \
    "ip -n $N1 -4 route show"
cap dump_rule dump rt "RTM_GETRULE dump, fib_rule_hdr {AF_INET, rest 0} (ip rule show without -6 is IPv4 only). $IP_SEQ" \
    "ip -n $N1 rule show"
cap dump_neigh dump rt "an RTM_GETLINK dump (ip's ifindex/name cache) then the RTM_GETNEIGH dump, ndmsg all zero, nlmsg_len 28 (sizeof nlmsghdr + ndmsg). $IP_SEQ" \
    "ip -n $N1 neigh show"

cap link_del last rt "RTM_DELLINK, REQUEST|ACK, ifi_index 3, no attributes. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $N1 link del veth-n1"

# =============================================================================================
# 7.-8. macvlan / ipvlan on a veth end called ens41
MV=$P-mv
mkns $MV
q ip -n $MV link add ens41 type veth peer name ens41p
LNS=$MV
for mode in bridge vepa private passthru source; do
    cap macvlan_$mode last rt "RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE; attributes in this order: IFLA_LINK 3 (ens41), IFLA_IFNAME, IFLA_LINKINFO{IFLA_INFO_KIND macvlan, IFLA_INFO_DATA{IFLA_MACVLAN_MODE u32: private 1, vepa 2, bridge 4, passthru 8, source 16}}. $LOOKUP. $PROBE. $IP_SEQ" \
        "ip -n $MV link add ens41m1 link ens41 type macvlan mode $mode"
    q ip -n $MV link del ens41m1
done
cap macvlan_netns last rt "RTM_NEWLINK for a macvlan created directly in another namespace: attributes IFLA_NET_NS_FD (fd ip opened on /run/netns/$P-ns2, see vary), IFLA_LINK 3 (ens41, an index in $MV, the namespace of the request socket), IFLA_IFNAME m1, IFLA_LINKINFO{macvlan, {IFLA_MACVLAN_MODE 4}}. iproute2 accepts 'netns' before 'type'. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $MV link add m1 link ens41 netns $P-ns2 type macvlan mode bridge"
for mode in l2 l3 l3s "l2 bridge" "l2 private" "l2 vepa"; do
    cap "ipvlan_${mode// /_}" last rt "RTM_NEWLINK: IFLA_LINK 3 (ens41), IFLA_IFNAME, IFLA_LINKINFO{IFLA_INFO_KIND ipvlan, IFLA_INFO_DATA{IFLA_IPVLAN_MODE u16 (l2 0, l3 1, l3s 2), IFLA_IPVLAN_FLAGS u16 (bridge 0, private 1, vepa 2; always sent)}}. This kernel has no ipvlan and answered 'Unknown device type'; the bytes are still the request. $LOOKUP. $PROBE. $IP_SEQ" \
        "ip -n $MV link add ipvlan1 link ens41 type ipvlan mode $mode"
    q ip -n $MV link del ipvlan1
done

# =============================================================================================
# 9. vlan on veth-ns1
VL=$P-vl
mkns $VL
q ip -n $VL link add veth-ns1 type veth peer name veth-ns2
LNS=$VL
cap vlan last rt "RTM_NEWLINK: IFLA_LINK 3 (veth-ns1), IFLA_IFNAME veth-ns1.100, IFLA_LINKINFO{IFLA_INFO_KIND vlan, IFLA_INFO_DATA{IFLA_VLAN_ID u16 100}}. This kernel has no 8021q ('Unknown device type'); the bytes are still the request. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $VL link add veth-ns1.100 link veth-ns1 type vlan id 100"
cap vlan_8021ad last rt "as vlan.txt, IFLA_INFO_DATA{IFLA_VLAN_PROTOCOL 0x88a8 (big endian u16), IFLA_VLAN_ID 200}: ip emits the vlan options in command-line order. Refused by this kernel. $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $VL link add veth-ns1.200 link veth-ns1 type vlan proto 802.1ad id 200"

# =============================================================================================
# 10.-11. vxlan and its fdb on eth0 (172.16.0.10/24)
VX=$P-vx
mkns $VX
q ip -n $VX link add eth0 type veth peer name eth0p
q ip -n $VX addr add 172.16.0.10/24 dev eth0
q ip -n $VX link set eth0p up
q ip -n $VX link set eth0 up
LNS=$VX
VXN="RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE: IFLA_IFNAME, IFLA_LINKINFO{IFLA_INFO_KIND vxlan, IFLA_INFO_DATA{...}} (the lower device is IFLA_VXLAN_LINK inside the data, not IFLA_LINK). ip always adds IFLA_VXLAN_LEARNING (1 unless nolearning); IFLA_VXLAN_PORT is big endian. $LOOKUP. $PROBE. $IP_SEQ"
cap vxlan last rt "$VXN Data order: LINK 3 (eth0), ID 100, LOCAL 172.16.0.10, GROUP 172.16.0.20 (remote is sent as IFLA_VXLAN_GROUP), LEARNING 1, PORT 4789. vx0 becomes ifindex 4 (fdb_* files)." \
    "ip -n $VX link add vx0 type vxlan id 100 dstport 4789 local 172.16.0.10 remote 172.16.0.20 dev eth0"
cap vxlan_group last rt "$VXN Data order: LINK 3, ID 200, GROUP 239.1.1.1, LEARNING 1, PORT 4789." \
    "ip -n $VX link add vx1 type vxlan id 200 group 239.1.1.1 dev eth0 dstport 4789"
cap vxlan_nolearning_ttl_ports last rt "$VXN Data order: LINK 3, TTL u8 64, PORT_RANGE {low 1000, high 2000} big endian, ID 300, LEARNING 0, PORT 4789 (ttl and port range are emitted while parsing, the rest at the end)." \
    "ip -n $VX link add vx2 type vxlan id 300 dstport 4789 dev eth0 nolearning ttl 64 srcport 1000 2000"
cap vxlan_nolocal last rt "$VXN Data order: LINK 3, ID 400, LEARNING 1, PORT 4789 (no LOCAL/GROUP)." \
    "ip -n $VX link add vx3 type vxlan id 400 dstport 4789 dev eth0"
FDB="ndmsg {AF_BRIDGE 7, ifindex 4 (vx0), state 0x00c0 (NUD_PERMANENT|NUD_NOARP: bridge's default 'permanent'), flags NTF_SELF 0x02 (no 'master' given), type 0}; NDA_LLADDR then NDA_DST. $LOOKUP. $IP_SEQ"
cap fdb_append_zero last rt "RTM_NEWNEIGH, flags REQUEST|ACK|CREATE|APPEND (0x0c05), $FDB" \
    "bridge -n $VX fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.30"
cap fdb_add last rt "RTM_NEWNEIGH, flags REQUEST|ACK|EXCL|CREATE (0x0605), $FDB" \
    "bridge -n $VX fdb add 02:00:00:00:00:09 dev vx0 dst 172.16.0.30"
cap fdb_del last rt "RTM_DELNEIGH, flags REQUEST|ACK, same body as fdb_add (state 0x00c0 kept). $FDB" \
    "bridge -n $VX fdb del 02:00:00:00:00:09 dev vx0 dst 172.16.0.30"
# (vxlan.hpp / fdb.hpp: the remaining options and operations; vx0=4 still, new vxlans get 8, 9, ...)
cap fdb_replace last rt "RTM_NEWNEIGH, flags REQUEST|ACK|REPLACE|CREATE (0x0505), $FDB" \
    "bridge -n $VX fdb replace 02:00:00:00:00:09 dev vx0 dst 172.16.0.31"
cap fdb_add_dynamic last rt "RTM_NEWNEIGH, flags REQUEST|ACK|EXCL|CREATE, state NUD_REACHABLE 0x0002 ('dynamic' clears NUD_NOARP), flags NTF_SELF; NDA_LLADDR, NDA_DST. $LOOKUP. $IP_SEQ" \
    "bridge -n $VX fdb add 02:00:00:00:00:0b dev vx0 dst 172.16.0.32 dynamic"
cap fdb_append_opts last rt "RTM_NEWNEIGH, flags REQUEST|ACK|CREATE|APPEND (0x0c05), $FDB Attribute order: NDA_LLADDR, NDA_DST, NDA_PORT (u16 big endian), NDA_VNI (u32), NDA_IFINDEX 3 (via eth0)." \
    "bridge -n $VX fdb append 00:00:00:00:00:00 dev vx0 dst 172.16.0.40 port 4790 vni 200 via eth0"
cap fdb_del_zero last rt "RTM_DELNEIGH, flags REQUEST|ACK: removes only the remote 172.16.0.30 of the all-zeros entry (fdb_append_zero). $FDB" \
    "bridge -n $VX fdb del 00:00:00:00:00:00 dev vx0 dst 172.16.0.30"
cap fdb_show_dev dump rt "an RTM_GETLINK dump (bridge's ifindex/name cache) then the RTM_GETNEIGH dump: ndmsg {AF_BRIDGE 7, ifindex 4 (vx0)}, nlmsg_len 28, flags REQUEST|DUMP, no ACK. bridge sets NETLINK_GET_STRICT_CHK, so the kernel filters by ndm_ifindex; on a socket without it (legacy parsing of an ndmsg-sized request) the kernel ignores ndm_ifindex and sends every device's entries, so filter the replies too. $LOOKUP. $IP_SEQ" \
    "bridge -n $VX fdb show dev vx0"
cap vxlan_local last rt "$VXN The tutorial's 'Server A' without a remote (id 700 here: VNI 100 on port 4789 is taken by vx0): Data order: LINK 3, ID 700, LOCAL 172.16.0.10, LEARNING 1, PORT 4789." \
    "ip -n $VX link add vx4 type vxlan id 700 local 172.16.0.10 dev eth0 dstport 4789"
cap vxlan_v6 last rt "$VXN IPv6 endpoints, no dev: Data order: ID 500, LOCAL6 2001:db8::1, GROUP6 2001:db8::2 (remote), LEARNING 1, PORT 4789." \
    "ip -n $VX link add vx5 type vxlan id 500 local 2001:db8::1 remote 2001:db8::2 dstport 4789"
cap vxlan_ageing last rt "$VXN Data order: LINK 3, TTL 10, AGEING u32 120 (both emitted while parsing), ID 600, LEARNING 1, PORT 4789." \
    "ip -n $VX link add vx6 type vxlan id 600 dev eth0 ttl 10 ageing 120 dstport 4789"
cap vxlan_set last rt "ip link set ... type vxlan: RTM_NEWLINK flags REQUEST|ACK (no CREATE), ifi_index 4 (vx0), no IFLA_IFNAME; IFLA_LINKINFO{IFLA_INFO_KIND vxlan, IFLA_INFO_DATA{TTL 10, AGEING 60 (while parsing), GROUP 172.16.0.21, LEARNING 0}}: no ID, no PORT (a change sends only what was given). $LOOKUP. $PROBE. $IP_SEQ" \
    "ip -n $VX link set vx0 type vxlan remote 172.16.0.21 ttl 10 nolearning ageing 60"
LNS=

# =============================================================================================
# 12. tun/tap: ioctl based, raw strace text
TT=$P-tt
mkns $TT
{
    echo "# tun/tap devices are made with ioctls on /dev/net/tun, not netlink. strace 6.1 does not decode"
    echo "# the struct ifreq behind TUNSETIFF; its ifr_flags are read back from sysfs tun_flags below"
    echo "# (IFF_TUN 0x0001 / IFF_TAP 0x0002, IFF_NO_PI 0x1000 set by ip by default; the kernel adds"
    echo "# IFF_PERSIST 0x0800 after TUNSETPERSIST 1). ifr_name is the device name. The openat of"
    echo "# /run/netns/$TT and /etc/netns/$TT come from 'ip -n'."
    for kind in tun tap; do
        c="ip -n $TT tuntap add ${kind}0 mode $kind"
        echo "# cmd: strace -e trace=ioctl,openat $c"
        strace -qq -e trace=ioctl,openat -o "$TMP/tt.strace" $c >/dev/null 2>&1
        echo "# exit status $?"
        grep -v -e '/etc/ld.so.cache' -e '/lib/' "$TMP/tt.strace"
        echo "# tun_flags of ${kind}0 afterwards: $(ip netns exec $TT cat /sys/class/net/${kind}0/tun_flags 2>&1)"
    done
    echo "# (shared-library openat lines removed)"
    echo "# links in $TT afterwards: $(links $TT)"
} >"$OUT/tuntap_ioctl.txt"
echo "tuntap_ioctl: done" >&2

# =============================================================================================
# 17. nftables batches. Captured in $P-nft; the same sequence runs first with --debug=netlink in
# $P-nftdbg for the .debug.txt files, so the captured namespace sees exactly the listed commands
# (object handles are per table counters: they depend on everything committed before).
NF=$P-nft; NFD=$P-nftdbg
mkns $NF; mkns $NFD
NFT="ip netns exec $NF nft"
NF_NOTE="the whole sendmsg carrying the batch: NFNL_MSG_BATCH_BEGIN (nfgenmsg AF_UNSPEC, version 0, res_id htons(NFNL_SUBSYS_NFTABLES 10)), the command's message(s), NFNL_MSG_BATCH_END (same nfgenmsg). nft sets no NLM_F_ACK; nlmsg_seq counts 0,1,2 within the batch; nlmsg_pid 0; every nest carries NLA_F_NESTED; strings include their NUL; integers in expressions are big endian. Earlier sends (NFT_MSG_GETGEN, cache dumps) are not kept"
# nftcap NAME NOTE ARGS: capture "nft ARGS" in $NF, and "nft --debug=netlink ARGS" in $NFD
nftcap() {
    local name=$1 note=$2 args=$3
    local dcmd="ip netns exec $NFD nft --debug=netlink $args"
    eval "$dcmd" >"$TMP/$name.dbg" 2>&1
    if [ -s "$TMP/$name.dbg" ]; then
        { echo "# cmd: $dcmd"
          echo "# (the same command with --debug=netlink, run in a mirror namespace with the same history)"
          cat "$TMP/$name.dbg"; } >"$OUT/$name.debug.txt"
    fi
    cap "$name" batch nf "$NF_NOTE. $note" "$NFT $args"
}
nftcap nft_add_table "NFT_MSG_NEWTABLE, flags REQUEST only (no CREATE for 'add table'), nfgenmsg family NFPROTO_IPV4 2; NFTA_TABLE_NAME nsnet, NFTA_TABLE_FLAGS 0" \
    "add table ip nsnet"
nftcap nft_add_chain_postrouting "NFT_MSG_NEWCHAIN, flags REQUEST|CREATE; NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, NFTA_CHAIN_TYPE nat, NFTA_CHAIN_POLICY NF_ACCEPT 1, NFTA_CHAIN_HOOK{NFTA_HOOK_HOOKNUM NF_INET_POST_ROUTING 4, NFTA_HOOK_PRIORITY 100}" \
    "add chain ip nsnet postrouting '{ type nat hook postrouting priority 100; policy accept; }'"
nftcap nft_rule_masquerade "NFT_MSG_NEWRULE, flags REQUEST|CREATE|APPEND; NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_EXPRESSIONS{elem{NFTA_EXPR_NAME, NFTA_EXPR_DATA{...}}...}; the expressions are listed in nft_rule_masquerade.debug.txt (oifname compares 16 bytes, IFNAMSIZ, zero padded; masq has an empty NFTA_EXPR_DATA nest)" \
    "add rule ip nsnet postrouting ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade"
nftcap nft_add_chain_prerouting "NFT_MSG_NEWCHAIN nat hook NF_INET_PRE_ROUTING 0 priority -100; no NFTA_CHAIN_POLICY (none given)" \
    "add chain ip nsnet prerouting '{ type nat hook prerouting priority -100; }'"
nftcap nft_rule_dnat "NFT_MSG_NEWRULE REQUEST|CREATE|APPEND; expressions in the .debug.txt" \
    "add rule ip nsnet prerouting tcp dport 8080 dnat to 172.17.10.10:80"
nftcap nft_rule_dnat_iifname "NFT_MSG_NEWRULE; expressions in the .debug.txt" \
    "add rule ip nsnet prerouting iifname \"ens41\" tcp dport 8080 dnat to 172.17.10.10:80"
nftcap nft_rule_dnat_daddr "NFT_MSG_NEWRULE; expressions in the .debug.txt" \
    "add rule ip nsnet prerouting ip daddr 192.168.54.230 tcp dport 8080 dnat to 172.17.10.10:80"
nftcap nft_add_chain_output "NFT_MSG_NEWCHAIN nat hook NF_INET_LOCAL_OUT 3 priority -100, no policy" \
    "add chain ip nsnet output '{ type nat hook output priority -100; }'"
nftcap nft_rule_output_dnat "NFT_MSG_NEWRULE in chain output; expressions in the .debug.txt" \
    "add rule ip nsnet output ip daddr 192.168.54.230 tcp dport 8080 dnat to 172.17.10.10:80"
nftcap nft_rule_snat "NFT_MSG_NEWRULE; expressions in the .debug.txt" \
    "add rule ip nsnet postrouting ip saddr 10.0.0.0/8 snat to 192.168.54.230"
nftcap nft_add_chain_forward "NFT_MSG_NEWCHAIN filter hook NF_INET_FORWARD 2 priority 0 policy accept" \
    "add chain ip nsnet forward '{ type filter hook forward priority 0; policy accept; }'"
nftcap nft_rule_forward_counter "NFT_MSG_NEWRULE; expressions in the .debug.txt (counter is sent with zero packets/bytes)" \
    "add rule ip nsnet forward ip saddr 10.0.0.0/8 counter accept"
nftcap nft_rule_dnat_udp "NFT_MSG_NEWRULE; expressions in the .debug.txt" \
    "add rule ip nsnet prerouting udp dport 5353 dnat to 172.17.10.10:53"
H=$($NFT -a list chain ip nsnet forward | awk '/counter/ { print $NF; exit }')
[ -n "$H" ] || die "no handle for the forward counter rule"
$NFT -a list ruleset >"$TMP/ruleset.txt"
nftcap nft_delete_rule "NFT_MSG_DELRULE, flags REQUEST only; NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_HANDLE u64 big endian $H (the handle 'nft -a list' showed for the counter rule after exactly the commands above, see nft_ruleset_handles.txt)" \
    "delete rule ip nsnet forward handle $H"
nftcap nft_delete_table "NFT_MSG_DELTABLE, flags REQUEST only; NFTA_TABLE_NAME nsnet" \
    "delete table ip nsnet"
{
    echo "# cmd: $NFT -a list ruleset"
    echo "# (just before nft_delete_rule: shows the handles)"
    cat "$TMP/ruleset.txt"
} >"$OUT/nft_ruleset_handles.txt"

if [ -s "$TMP/refused" ]; then
    echo "nothing was sent for: $(tr '\n' ' ' <"$TMP/refused")" >&2
fi
echo "versions: $(ip -V | head -1); $(nft --version); $(strace -V | head -1); kernel $(uname -r)" >&2
