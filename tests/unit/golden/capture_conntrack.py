#!/usr/bin/env python3
# capture_conntrack.py — capture what the `conntrack` tool (conntrack-tools 1.4.7,
# libnetfilter_conntrack) sends and receives over ctnetlink, for tests/unit/ct/conntrack_test.cpp.
#
# Inside one throwaway namespace (nsgoldct-<pid>) it enables connection tracking with an nft
# `ct state new counter` rule on output (conntrack hooks register only when something uses them),
# sends UDP datagrams to 127.0.0.1:5353, 127.0.0.1:5354 and [::1]:5353, then traces
#   conntrack -L                                     -> ct_dump.txt (send) + ct_dump_reply.txt (recv)
#   conntrack -D -p udp --orig-port-dst 5353         -> ct_delete.txt (the IPCTNL_MSG_CT_DELETE sends)
#   conntrack -L -m 7                                -> ct_dump_mark.txt (the dump filtered by the kernel)
#   conntrack -C                                     -> ct_count.txt (send) + ct_count_reply.txt (recv)
# Format as README.md. libnetfilter_conntrack does not zero the padding of its u16 attributes, so
# those 2-byte pads are listed in "# vary:" of ct_delete.txt. The namespace is deleted on exit;
# the starting namespace is never touched.
#
# Usage: sudo tests/unit/golden/capture_conntrack.py [OUTDIR]
import os, re, subprocess, sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
NS = f"nsgoldct-{os.getpid()}"


def sh(*a, **kw):
    return subprocess.run(list(a), check=kw.get("check", True), capture_output=True, text=True)


def trace(cmd):
    log = f"/tmp/{NS}.strace"
    r = subprocess.run(["ip", "netns", "exec", NS, "strace", "-f", "-qq", "-e", "trace=sendto,recvmsg", "-xx", "-s",
                        "65535", "-e", "write=all", "-e", "read=all", "-o", log] + cmd, capture_output=True, text=True)
    calls, cur = [], None
    for line in open(log):
        line = re.sub(r"^\d+ +", "", line)
        m = re.match(r"^(sendto|recvmsg)\(", line)
        if m:
            cur = [m.group(1), bytearray()]
            calls.append(cur)
            continue
        m = re.match(r"^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} ?)+)", line)
        if m and cur:
            cur[1] += bytes(int(t, 16) for t in line[10:59].split() if re.fullmatch(r"[0-9a-f]{2}", t))
    os.unlink(log)
    return r, [(c, bytes(b)) for c, b in calls if b]


def messages(b):
    out, off = [], 0
    while off + 16 <= len(b):
        ln = int.from_bytes(b[off:off + 4], "little")
        if ln < 16: break
        out.append((off, ln, int.from_bytes(b[off + 4:off + 6], "little"), int.from_bytes(b[off + 6:off + 8], "little")))
        off += (ln + 3) & ~3
    return out


def hexlines(b):
    return "".join(" ".join(f"{x:02x}" for x in b[i:i + 16]) + "\n" for i in range(0, len(b), 16))


def u16_pads(b, start, end):
    """Offsets of the 2 pad bytes after every 6-byte (u16) attribute in b[start:end], recursively."""
    pads, off = [], start
    while off + 4 <= end:
        ln, typ = int.from_bytes(b[off:off + 2], "little"), int.from_bytes(b[off + 2:off + 4], "little")
        if ln < 4: break
        if typ & 0x8000: pads += u16_pads(b, off + 4, off + ln)
        elif ln == 6: pads.append((off + 6, off + 7))
        elif ln == 5: pads.append((off + 5, off + 7))
        off += (ln + 3) & ~3
    return pads


def write(name, cmd, note, rc, blocks, kind):
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# cmd: ip netns exec {NS} {' '.join(cmd)}\n# note: {note}\n# exit status {rc}\n")
        for i, (b, vary) in enumerate(blocks):
            if len(blocks) > 1: f.write(f"# {kind} {i + 1}/{len(blocks)}\n")
            for off, ln, typ, fl in messages(b):
                f.write(f"#   @{off:<4} len={ln:<4} type=0x{typ:04x} flags=0x{fl:04x}\n")
            f.write(f"# vary: {vary}\n")
            f.write(hexlines(b))
    print(f"{name}: {len(blocks)} block(s)", file=sys.stderr)


def main():
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "netns", "exec", NS, "nft", "add table inet t; add chain inet t c { type filter hook output priority 0; };"
           " add rule inet t c ct state new counter")
        sh("ip", "netns", "exec", NS, "python3", "-c",
           "import socket\n"
           "for p in (5353, 5354): socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', p))\n"
           "socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('::1', 5353))\n")
        cmd = ["conntrack", "-L"]
        r, calls = trace(cmd)
        sends = [b for c, b in calls if c == "sendto"]
        recvs = [b for c, b in calls if c == "recvmsg"]
        write("ct_dump", cmd, "IPCTNL_MSG_CT_GET dump, AF_UNSPEC (every family)", r.returncode,
              [(sends[0], "8-11 nlmsg_seq")], "send")
        write("ct_dump_reply", cmd, "the dump's replies: IPCTNL_MSG_CT_NEW per entry (3 UDP entries, unreplied, "
              "mark 0, zone 0), then NLMSG_DONE", r.returncode,
              [(b, "8-11 nlmsg_seq, 12-15 nlmsg_pid in every message, CTA_TIMEOUT and CTA_ID values") for b in recvs],
              "recv")
        cmd = ["conntrack", "-D", "-p", "udp", "--orig-port-dst", "5353"]
        r, calls = trace(cmd)
        dels = [b for c, b in calls if c == "sendto" and b[4:6] == bytes([2, 1])]
        blocks = []
        for b in dels:
            pads = u16_pads(b, 20, len(b))
            blocks.append((b, ", ".join(["8-11 nlmsg_seq"] + [f"{a}-{z} u16 attribute padding (not zeroed)" for a, z in pads])))
        write("ct_delete", cmd, "dump, then one IPCTNL_MSG_CT_DELETE per matching entry (NLM_F_ACK): CTA_TUPLE_ORIG, "
              "CTA_TUPLE_REPLY, CTA_STATUS, CTA_TIMEOUT, CTA_MARK as dumped", r.returncode, blocks, "send")
        cmd = ["conntrack", "-L", "-m", "7"]
        r, calls = trace(cmd)
        sends = [b for c, b in calls if c == "sendto"]
        write("ct_dump_mark", cmd, "IPCTNL_MSG_CT_GET dump, AF_UNSPEC, CTA_MARK 7 and CTA_MARK_MASK 0xffffffff",
              r.returncode, [(sends[0], "8-11 nlmsg_seq")], "send")
        cmd = ["conntrack", "-C"]
        r, calls = trace(cmd)
        sends = [b for c, b in calls if c == "sendto"]
        recvs = [b for c, b in calls if c == "recvmsg"]
        write("ct_count", cmd, "IPCTNL_MSG_CT_GET_STATS, AF_UNSPEC, no NLM_F_ACK", r.returncode,
              [(sends[0], "8-11 nlmsg_seq")], "send")
        write("ct_count_reply", cmd, "its answer: CTA_STATS_GLOBAL_ENTRIES (the 1 entry left after the delete "
              "above), CTA_STATS_GLOBAL_MAX_ENTRIES (nf_conntrack_max)", r.returncode,
              [(recvs[0], "8-11 nlmsg_seq, 12-15 nlmsg_pid, 32-35 nf_conntrack_max")], "recv")
    finally:
        sh("ip", "netns", "del", NS, check=False)


main()
