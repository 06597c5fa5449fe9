#!/usr/bin/env python3
# capture_extra.py — more golden files: route/link/address requests capture.sh does not make, and
# kernel *replies* (dumps, route get) for the decoder tests.
#
# Same file format as capture.sh (README.md). Request files keep one send ("# vary:" + hex);
# reply files keep every datagram ip received for the chosen request, each under "# recv k/n".
# Runs only inside namespaces it creates (nsgoldx-*), refuses to start if one exists, deletes them
# on exit, failure or Ctrl-C. The starting namespace is never touched.
#
# Usage: sudo tests/unit/golden/capture_extra.py [OUTDIR]   (defaults to this directory)
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
P = "nsgoldx"
N1, N2 = f"{P}-n1", f"{P}-n2"
made = []

RTM = {16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK", 20: "RTM_NEWADDR", 21: "RTM_DELADDR",
       22: "RTM_GETADDR", 24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE", 2: "NLMSG_ERROR",
       3: "NLMSG_DONE"}
IP_SEQ = "iproute2 sets nlmsg_seq to time(NULL) (rtnl_open) and increments it per request; nlmsg_pid 0"


def die(msg):
    print(f"capture_extra.py: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        die(f"'{cmd}' failed: {r.stderr.strip()}")
    return r


def cleanup(*_):
    for ns in made:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    made.clear()


def mkns(name):
    sh(f"ip netns add {name}")
    made.append(name)


def flagnames(t, f):
    names = [(1, "REQUEST"), (2, "MULTI"), (4, "ACK"), (8, "ECHO")]
    if t >= 16 and t % 4 == 2:
        names += [(0x100, "ROOT"), (0x200, "MATCH")]
    else:
        names += [(0x100, "REPLACE"), (0x200, "EXCL"), (0x400, "CREATE"), (0x800, "APPEND")]
    return "|".join(n for bit, n in names if f & bit)


def messages(data):
    off = 0
    while off + 16 <= len(data):
        ln, t, f, seq, pid = struct.unpack_from("<IHHII", data, off)
        if ln < 16 or off + ln > len(data):
            break
        yield off, ln, t, f, seq, pid
        off += (ln + 3) & ~3


def describe(data):
    return [f"#   @{off:<4d} len={ln:<4d} {RTM.get(t, f'type {t}'):<24s} flags=0x{f:04x} {'(' + flagnames(t, f) + ')':<26s} seq={seq} pid={pid}"
            for off, ln, t, f, seq, pid in messages(data)]


def span(data):
    end = 0
    for off, ln, *_ in messages(data):
        end = off + ((ln + 3) & ~3)
    return min(end, len(data))


def vary(data, reply):
    out = []
    for off, ln, t, f, seq, pid in messages(data):
        out.append(f"{off + 8}-{off + 11} nlmsg_seq")
        if pid:
            out.append(f"{off + 12}-{off + 15} nlmsg_pid")
    if not reply:
        for i in range(0, len(data) - 7, 4):
            if data[i:i + 4] == b"\x08\x00\x1c\x00":
                out.append(f"{i + 4}-{i + 7} IFLA_NET_NS_FD fd (={data[i + 4]} here)")
    else:
        out.append("counters, timers and cache info inside the messages (IFLA_STATS*, RTA_CACHEINFO, IFA_CACHEINFO)")
    return ", ".join(out) or "nothing"


def hexlines(data):
    return [" ".join(f"{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]


def strace_log(cmd, trace, io):
    with tempfile.NamedTemporaryFile(prefix="nsgoldx.", suffix=".strace", delete=False) as tf:
        log = tf.name
    r = subprocess.run(f"strace -f -qq -e trace={trace} -xx -s 65535 -e {io}=all -o {log} -- {cmd}",
                       shell=True, capture_output=True, text=True)
    calls = []  # (syscall, bytes)
    cur = None
    with open(log) as fh:
        for line in fh:
            line = re.sub(r"^\d+ +", "", line.rstrip("\n"))
            m = re.match(r"^(sendmsg|sendto|recvmsg)\(", line)
            if m:
                cur = [m.group(1), bytearray()]
                calls.append(cur)
                continue
            m = re.match(r"^ \| [0-9a-f]{5}  (.{48})", line)
            if m and cur is not None:
                cur[1] += bytes(int(x, 16) for x in m.group(1).split())
    os.unlink(log)
    return r, [(c, bytes(b)) for c, b in calls if b]


def links(ns):
    r = sh(f"ip -n {ns} -o link show", check=False)
    return " ".join(f"{re.sub('@.*', '', l.split(': ')[1])}={l.split(': ')[0]}" for l in r.stdout.splitlines())


def cap(name, note, cmd, pick="last", ns=N1):
    """A request: the last send (pick="last"), the last send of a message type (pick=int) or the
    first send of a type (pick=("first", int))."""
    before = links(ns) if ns else ""
    r, calls = strace_log(cmd, "sendmsg,sendto", "write")
    sends = [(c, b) for c, b in calls if c != "recvmsg"]
    if pick == "last":
        keep = len(sends) - 1
    elif isinstance(pick, tuple):
        keep = min(i for i, (c, b) in enumerate(sends) if struct.unpack_from("<H", b, 4)[0] == pick[1])
    else:
        keep = max(i for i, (c, b) in enumerate(sends) if struct.unpack_from("<H", b, 4)[0] == pick)
    data = sends[keep][1]
    data = data[:span(data)]
    summary = " ".join(f"#{i + 1}:{RTM.get(struct.unpack_from('<H', b, 4)[0], '?')}" for i, (c, b) in enumerate(sends))
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# cmd: {cmd}\n# note: {note}. {IP_SEQ}\n")
        if ns:
            f.write(f"# links in {ns} before the command: {before}\n")
        f.write(f"# exit status {r.returncode}" + (f", stderr: {r.stderr.strip()[:200]}" if r.returncode else "") + "\n")
        f.write(f"# traced sends: {summary}; kept: #{keep + 1}\n")
        f.write("\n".join(describe(data)) + "\n")
        f.write(f"# vary: {vary(data, False)}\n")
        f.write("\n".join(hexlines(data)) + "\n")
    print(f"{name}: rc={r.returncode}", file=sys.stderr)


def cap_replies(name, note, cmd, ns=N1):
    """Kernel replies: every recvmsg datagram that carried data, each as one block."""
    before = links(ns)
    r, calls = strace_log(cmd, "recvmsg", "read")
    recvs = [b for c, b in calls if c == "recvmsg"]
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# cmd: {cmd}\n# note: {note}. Kernel replies (recvmsg data), one block per datagram\n")
        f.write(f"# links in {ns} before the command: {before}\n")
        f.write(f"# exit status {r.returncode}" + (f", stderr: {r.stderr.strip()[:200]}" if r.returncode else "") + "\n")
        for i, data in enumerate(recvs):
            f.write(f"# recv {i + 1}/{len(recvs)}\n")
            f.write("\n".join(describe(data)) + "\n")
            f.write(f"# vary: {vary(data, True)}\n")
            f.write("\n".join(hexlines(data)) + "\n")
    print(f"{name}: rc={r.returncode}, {len(recvs)} datagrams", file=sys.stderr)


def main():
    if os.geteuid() != 0:
        die("needs root")
    for t in ("strace", "ip"):
        if sh(f"command -v {t}", check=False).returncode:
            die(f"missing {t}")
    existing = sh("ip netns list", check=False).stdout.split()
    if any(n.startswith(P + "-") for n in existing):
        die("an nsgoldx-* namespace exists already (another capture running, or a leftover)")
    os.makedirs(OUT, exist_ok=True)

    mkns(N1)
    mkns(N2)
    q = lambda c: sh(c)
    # Same layout as capture.sh's nsgold-n1: veth-n2=2, veth-n1=3, fixed MACs for stable replies.
    q(f"ip -n {N1} link add veth-n1 address 02:00:00:00:01:01 type veth peer name veth-n2 address 02:00:00:00:01:02")
    q(f"ip -n {N1} addr add 10.10.10.1/24 brd + dev veth-n1")
    q(f"ip -n {N1} addr add 2001:db8::1/64 dev veth-n1 nodad")
    q(f"ip -n {N1} link set veth-n2 up")
    q(f"ip -n {N1} link set veth-n1 up")
    q(f"ip -n {N1} link set lo up")

    # ---- links
    cap("veth_options", "RTM_NEWLINK veth: main end IFLA_ADDRESS, IFLA_MTU, IFLA_GROUP (command-line order), IFLA_IFNAME, IFLA_LINKINFO{KIND veth, DATA{PEER: ifinfomsg, IFLA_NET_NS_FD, IFLA_ADDRESS, IFLA_MTU, IFLA_GROUP, IFLA_IFNAME}}",
        f"ip -n {N1} link add va address 02:00:00:00:00:0a mtu 1400 group 5 type veth peer name vb netns {N2} address 02:00:00:00:00:0b mtu 1400 group 5")
    cap("veth_up", "RTM_NEWLINK veth created up: ifi_flags IFF_UP, ifi_change IFF_UP in the main end's ifinfomsg; the peer's stays zero",
        f"ip -n {N1} link add vc up type veth peer name vd")
    cap("link_get_name", "the name lookup ip makes before showing one link (ll_link_get, its first RTM_GETLINK; the later ones are the AF_PACKET 'show' request and a lookup of the peer's name): REQUEST only, ifinfomsg zero, IFLA_EXT_MASK (RTEXT_FILTER_VF|RTEXT_FILTER_SKIP_STATS = 9) then IFLA_IFNAME",
        f"ip -n {N1} link show dev veth-n1", pick=("first", 18))

    # ---- addresses
    cap("addr_add_v4_opts", "RTM_NEWADDR AF_INET, scope RT_SCOPE_LINK 253 in the header; attributes IFA_LOCAL, IFA_LABEL, IFA_ADDRESS, IFA_BROADCAST (ip adds IFA_ADDRESS and the computed broadcast after the label)",
        f"ip -n {N1} addr add 10.10.20.2/24 brd + scope link label veth-n1:x dev veth-n1")
    cap("addr_add_peer", "RTM_NEWADDR point-to-point: prefixlen 32 (the peer's), IFA_LOCAL, IFA_ADDRESS = the peer (added where 'peer' is parsed), IFA_LABEL",
        f"ip -n {N1} addr add 10.10.30.1 peer 10.10.30.2/32 label veth-n1:p dev veth-n1")
    cap("addr_add_loopback", "RTM_NEWADDR for 127.0.0.2/8 without a scope: ip's default_scope() gives 127.0.0.0/8 RT_SCOPE_HOST 254 in the header",
        f"ip -n {N1} addr add 127.0.0.2/8 dev lo")
    cap("addr_replace_v4", "RTM_NEWADDR with REQUEST|ACK|REPLACE|CREATE",
        f"ip -n {N1} addr replace 10.10.10.2/24 dev veth-n1")
    cap("addr_del_v6", "RTM_DELADDR AF_INET6, IFA_LOCAL then IFA_ADDRESS",
        f"ip -n {N1} addr del 2001:db8::1/64 dev veth-n1")
    q(f"ip -n {N1} addr add 2001:db8::1/64 dev veth-n1 nodad")

    # ---- routes
    cap("route_add_full", "RTM_NEWROUTE: table 1000 does not fit rtm_table, so rtm_table is RT_TABLE_UNSPEC 0 and RTA_TABLE 1000 is sent; protocol static 4 in the header; attributes in command-line order, RTA_OIF last (ip resolves dev after parsing)",
        f"ip -n {N1} route add 10.80.0.0/16 via 10.10.10.254 src 10.10.10.1 table 1000 metric 100 proto static dev veth-n1")
    cap("route_del_full", "RTM_DELROUTE with gateway, table 1000 (RTA_TABLE), metric and dev: protocol 0, scope NOWHERE, type 0",
        f"ip -n {N1} route del 10.80.0.0/16 via 10.10.10.254 table 1000 metric 100 dev veth-n1")
    cap("route_add_local", "RTM_NEWROUTE type RTN_LOCAL 2: table RT_TABLE_LOCAL 255, scope RT_SCOPE_HOST 254 (ip's defaults for local), RTA_DST /32, RTA_OIF",
        f"ip -n {N1} route add local 10.90.0.1 dev veth-n1")
    cap("route_prohibit", "RTM_NEWROUTE type RTN_PROHIBIT 8, scope universe, RTA_DST only",
        f"ip -n {N1} route add prohibit 10.62.0.0/16")
    cap("route_default_v6", "RTM_NEWROUTE AF_INET6 default: dst_len 0, no RTA_DST, RTA_GATEWAY, RTA_OIF",
        f"ip -n {N1} -6 route add default via 2001:db8::fe dev veth-n1")
    cap("route_v6_dev_table", "RTM_NEWROUTE AF_INET6 without gateway: scope universe (ip uses link scope for IPv4 only), rtm_table 0 + RTA_TABLE 1000, RTA_DST, RTA_TABLE, RTA_PRIORITY, RTA_OIF",
        f"ip -n {N1} route add 2001:db8:2::/64 table 1000 metric 10 dev veth-n1")
    cap("route_onlink", "RTM_NEWROUTE with rtm_flags RTNH_F_ONLINK 4: RTA_DST, RTA_GATEWAY, RTA_OIF",
        f"ip -n {N1} route add 10.81.0.0/16 via 192.0.2.1 dev veth-n1 onlink")
    cap("route_multipath_dev", "RTM_NEWROUTE RTA_MULTIPATH with devices: rtnexthop {len 16, flags 0, hops weight-1, ifindex 3} + RTA_GATEWAY per hop",
        f"ip -n {N1} route add 10.51.0.0/16 nexthop via 10.10.10.253 dev veth-n1 weight 1 nexthop via 10.10.10.252 dev veth-n1 weight 3")
    cap("route_multipath_v6", "RTM_NEWROUTE AF_INET6 with RTA_MULTIPATH (16-byte gateways)",
        f"ip -n {N1} -6 route add 2001:db8:5::/64 nexthop via 2001:db8::fd dev veth-n1 nexthop via 2001:db8::fc dev veth-n1")
    cap("route_append", "RTM_NEWROUTE with REQUEST|ACK|CREATE|APPEND (0x0c05)",
        f"ip -n {N1} route append 10.50.0.0/16 via 10.10.10.251")
    q(f"ip -n {N1} route add 10.20.0.0/16 via 10.10.10.254")
    q(f"ip -n {N1} -6 route add 2001:db8:1::/64 via 2001:db8::fe")
    cap("route_get_v6", "RTM_GETROUTE AF_INET6: REQUEST only, dst_len 128, no RTM_F_LOOKUP_TABLE (ip sets it for IPv4 only), RTA_DST",
        f"ip -n {N1} route get 2001:db8:1::1", pick=26)
    cap("route_get_opts", "RTM_GETROUTE AF_INET with from, mark and oif: src_len 32, RTM_F_LOOKUP_TABLE; RTA_DST, RTA_SRC, RTA_MARK, then RTA_OIF (devices are resolved after parsing)",
        f"ip -n {N1} route get 10.20.1.1 from 10.10.10.1 mark 7 oif veth-n1", pick=26)
    cap("route_get_iif", "RTM_GETROUTE with from and iif (an input-route lookup): RTA_DST, RTA_SRC, RTA_IIF, RTA_MARK. The kernel answered EHOSTUNREACH (forwarding is off in the namespace); the bytes are still the request",
        f"ip -n {N1} route get 10.20.1.1 from 10.10.10.9 iif veth-n2 mark 7", pick=26)
    cap("route_get_fibmatch", "RTM_GETROUTE with rtm_flags RTM_F_LOOKUP_TABLE|RTM_F_FIB_MATCH (0x3000)",
        f"ip -n {N1} route get fibmatch 10.20.1.1", pick=26)
    cap("dump_route6", "RTM_GETROUTE dump AF_INET6 plus RTA_TABLE 254",
        f"ip -n {N1} -6 route show", pick=26)
    cap("dump_route_all", "RTM_GETROUTE dump for 'table all': rtmsg AF_INET, no RTA_TABLE",
        f"ip -n {N1} -4 route show table all", pick=26)

    # ---- kernel replies for the decoder tests
    q(f"ip -n {N1} route add 10.40.0.0/16 via 10.10.10.254 table 100 metric 50")
    q(f"ip -n {N1} route add blackhole 10.60.0.0/16")
    q(f"ip -n {N1} route add 10.80.0.0/16 via 10.10.10.254 src 10.10.10.1 table 1000 metric 100 proto static dev veth-n1")
    q(f"ip -n {N1} route add default via 10.10.10.254 metric 10")
    q(f"ip -n {N1} route add 10.52.0.0/16 nexthop via 10.10.10.253 weight 1 nexthop via 10.10.10.254 weight 2")
    q(f"ip -n {N1} route add unreachable 10.61.0.0/16")
    cap_replies("reply_route4", "ip -4 route show: the RTM_NEWROUTE dump then NLMSG_DONE. ip turns on NETLINK_GET_STRICT_CHK, so the kernel honours RTA_TABLE 254 and sends table main only: default via .254 metric 10, the kernel's subnet routes (10.10.10.0/24, 10.10.20.0/24, 10.10.30.2 peer), 10.20/16 via .254, 10.50/16 via .251 (appended), 10.51/16 multipath via .253 dev 3 weight 1 + via .252 dev 3 weight 3, 10.52/16 multipath via .253 weight 1 + .254 weight 2, 10.60/16 blackhole, 10.61/16 unreachable, 10.62/16 prohibit, 10.81/16 via 192.0.2.1 onlink",
                f"ip -n {N1} -4 route show")
    cap_replies("reply_route_all", "ip -4 route show table all: every IPv4 table, including table 100 (10.40/16 via .254 metric 50), table 1000 (10.80/16 via .254 dev 3 proto static src 10.10.10.1 metric 100, RTA_TABLE 1000) and the local table (local 10.90.0.1, local/broadcast entries of the addresses, 127.0.0.0/8)",
                f"ip -n {N1} -4 route show table all")
    cap_replies("reply_route6", "ip -6 route show: RTM_NEWROUTE dump of IPv6 routes (main, local, table 1000) then NLMSG_DONE. Routes include 2001:db8::/64 kernel, 2001:db8:1::/64 via ::fe, 2001:db8:5::/64 multipath, default via 2001:db8::fe, table 1000 2001:db8:2::/64 metric 10",
                f"ip -n {N1} -6 route show")
    cap_replies("reply_route_get", "ip route get 10.20.1.1: one RTM_NEWROUTE answer (rtm_flags RTM_F_LOOKUP_TABLE, table main, RTA_DST 10.20.1.1/32, RTA_OIF 3, RTA_PREFSRC 10.10.10.1, RTA_GATEWAY 10.10.10.254, RTA_UID, RTA_CACHEINFO); the later datagram answers ip's RTM_GETLINK for printing",
                f"ip -n {N1} route get 10.20.1.1")
    cap_replies("reply_route_get6", "ip route get 2001:db8:1::1: the RTM_NEWROUTE answer (RTA_GATEWAY 2001:db8::fe, RTA_OIF 3, RTA_PREFSRC 2001:db8::1)",
                f"ip -n {N1} route get 2001:db8:1::1")
    cap_replies("reply_link", "ip link show: the RTM_NEWLINK dump (lo, veth-n2 02:00:00:00:01:02, veth-n1 02:00:00:00:01:01 mtu 1500 up, vc/vd veth pair) then NLMSG_DONE",
                f"ip -n {N1} link show")
    cap_replies("reply_addr", "ip addr show: the RTM_NEWLINK dump, then the RTM_NEWADDR dump (lo 127.0.0.1/8, veth-n1 10.10.10.1/24 brd 10.10.10.255, 10.10.10.2/24 secondary, 10.10.20.2/24 scope link label veth-n1:x, ::1/128, 2001:db8::1/64 nodad, fe80::/64 link-local)",
                f"ip -n {N1} addr show")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, lambda *_: (cleanup(), sys.exit(130)))
    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(143)))
    try:
        main()
    finally:
        cleanup()
