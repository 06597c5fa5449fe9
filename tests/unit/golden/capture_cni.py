#!/usr/bin/env python3
# capture_cni.py — golden requests for the link and address settings a CNI bridge plugin uses
# (issue 14): IPv6 `nodad`, txqueuelen, promisc, per-port bridge VLANs. Format as README.md.
#
# Each command runs under strace inside one throwaway namespace (nsgoldcni-<pid>) holding
#   lo=1, v1=2, v0=3 (a veth pair; the peer is registered first), br0=4 (v0 is its port)
# and only the request of the named message type is kept (not iproute2's RTM_GETLINK name
# lookups). The kernel this runs on may refuse some (no CONFIG_BRIDGE_VLAN_FILTERING: `bridge vlan`
# is EOPNOTSUPP); the bytes sent are still iproute2's and valid references. The namespace is deleted
# on exit; the starting namespace is never touched.
#
# Usage: sudo tests/unit/golden/capture_cni.py [OUTDIR [NAME...]]   (NAMEs: only those cases)
import os, re, subprocess, sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
ONLY = set(sys.argv[2:])
NS = f"nsgoldcni-{os.getpid()}"
RTM = {16: "RTM_NEWLINK", 17: "RTM_DELLINK", 19: "RTM_SETLINK", 20: "RTM_NEWADDR", 18: "RTM_GETLINK", 24: "RTM_NEWROUTE"}
IP_SEQ = "iproute2 sets nlmsg_seq to time(NULL) and increments it per request; nlmsg_pid 0"

CASES = [
    ("addr_add_v6_nodad", "ip -n {ns} addr add 2001:db8::1/64 dev v0 nodad", 20,
     "RTM_NEWADDR AF_INET6, ifa_flags IFA_F_NODAD (0x02) in the header (flags <= 0xff), no IFA_FLAGS"),
    ("addr_add_v6_nodad_noprefixroute", "ip -n {ns} addr add 2001:db8::2/64 dev v0 nodad noprefixroute", 20,
     "RTM_NEWADDR AF_INET6, flags NODAD|NOPREFIXROUTE (0x202) do not fit the u8 header field: IFA_FLAGS u32 last, "
     "header ifa_flags 0"),
    ("link_set_txqlen", "ip -n {ns} link set dev v0 txqueuelen 2000", 16,
     "RTM_NEWLINK (ip link set) ifi_index 3, IFLA_TXQLEN u32"),
    ("link_set_promisc_on", "ip -n {ns} link set dev v0 promisc on", 16,
     "RTM_NEWLINK ifi_index 3, ifi_change IFF_PROMISC (0x100), ifi_flags IFF_PROMISC"),
    ("link_set_promisc_off", "ip -n {ns} link set dev v0 promisc off", 16,
     "RTM_NEWLINK ifi_index 3, ifi_change IFF_PROMISC (0x100), ifi_flags 0"),
    ("veth_txqlen", "ip -n {ns} link add vt0 txqueuelen 500 type veth peer name vt1", 16,
     "RTM_NEWLINK create veth with IFLA_TXQLEN on the first end (before IFLA_IFNAME)"),
    ("bridge_vlan_add_pvid_untagged", "bridge -n {ns} vlan add dev v0 vid 10 pvid untagged", 19,
     "RTM_SETLINK AF_BRIDGE ifi_index 3, IFLA_AF_SPEC {IFLA_BRIDGE_VLAN_INFO {flags PVID|UNTAGGED, vid 10}}"),
    ("bridge_vlan_add", "bridge -n {ns} vlan add dev v0 vid 20", 19,
     "RTM_SETLINK AF_BRIDGE ifi_index 3, IFLA_AF_SPEC {IFLA_BRIDGE_VLAN_INFO {flags 0, vid 20}}"),
    ("bridge_vlan_del", "bridge -n {ns} vlan del dev v0 vid 1", 17,
     "RTM_DELLINK AF_BRIDGE ifi_index 3, IFLA_AF_SPEC {IFLA_BRIDGE_VLAN_INFO {flags 0, vid 1}}"),
    ("bridge_vlan_show", "bridge -n {ns} vlan show", 18,
     "RTM_GETLINK dump, family AF_BRIDGE, IFLA_EXT_MASK RTEXT_FILTER_BRVLAN"),
]


def sh(cmd, check=True):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True)


def sends(log):
    calls, cur = [], None
    for line in open(log):
        line = re.sub(r"^\d+ +", "", line)
        if re.match(r"^(sendmsg|sendto)\(", line):
            cur = bytearray()
            calls.append(cur)
        elif re.match(r"^ \| [0-9a-f]{5}  ", line) and cur is not None:
            cur += bytes(int(t, 16) for t in line[10:59].split() if re.fullmatch(r"[0-9a-f]{2}", t))
        elif re.match(r"^[a-z_0-9]+\(", line):
            cur = None
    return [bytes(c) for c in calls]


def main():
    sh(f"ip netns add {NS}")
    try:
        sh(f"ip -n {NS} link add v0 type veth peer name v1 && ip -n {NS} link add br0 type bridge && "
           f"ip -n {NS} link set v0 master br0")
        for name, cmd, typ, note in CASES:
            if ONLY and name not in ONLY: continue
            cmd = cmd.format(ns=NS)
            log = f"/tmp/{NS}.{name}.strace"
            r = sh(f"strace -f -qq -e trace=sendmsg,sendto -xx -s 65535 -e write=all -o {log} -- {cmd}", check=False)
            all_sends = sends(log)
            os.unlink(log)
            kept = [b for b in all_sends if len(b) >= 16 and int.from_bytes(b[4:6], "little") == typ]
            if not kept:
                print(f"!! {name}: nothing of type {typ} sent: {r.stderr}", file=sys.stderr)
                continue
            b = kept[-1]
            ln = int.from_bytes(b[0:4], "little")
            extra = len(b) - ln
            b = b[:ln]
            with open(os.path.join(OUT, name + ".txt"), "w") as f:
                f.write(f"# cmd: {cmd}\n# note: {note}. {IP_SEQ}\n")
                f.write("# links in the namespace before the command: lo=1 v1=2 v0=3 br0=4\n")
                err = r.stderr.strip().replace("\n", " ")
                f.write(f"# exit status {r.returncode}" + (f", stderr: {err[:200]}" if r.returncode else "") + "\n")
                f.write(f"# traced sends: {len(all_sends)}; kept: the last of type {RTM.get(typ, typ)}\n")
                if extra:
                    f.write(f"#   (the {extra} bytes after nlmsg_len are not kept)\n")
                f.write(f"#   @0    len={ln:<4} {RTM.get(typ, typ):24} flags=0x{int.from_bytes(b[6:8], 'little'):04x}\n")
                f.write("# vary: 8-11 nlmsg_seq\n")
                for i in range(0, len(b), 16):
                    f.write(" ".join(f"{x:02x}" for x in b[i:i + 16]) + "\n")
            print(f"{name}: rc={r.returncode}", file=sys.stderr)
    finally:
        sh(f"ip netns del {NS}", check=False)


main()
