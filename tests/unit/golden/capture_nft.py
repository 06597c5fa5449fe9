#!/usr/bin/env python3
# capture_nft.py — golden nft batches for the tutorial's NAT rules that capture.sh does not make:
#   nft_rule_dnat_9090.txt    the tutorial's second port forward (tcp 9090 -> 172.17.10.20:80)
#   nft_tutorial_batch.txt    `nft -f` of the whole tutorial NAT setup in one batch, as nsnet's
#                             NatBatch sends it: table (with nsnet's comment), two nat chains,
#                             masquerade and the two DNATs
# (+ .debug.txt: `nft --debug=netlink` of the same, from a mirror namespace).
#
# Same file format as capture.sh (README.md). Runs only inside namespaces it creates (nsgoldn-*),
# refuses to start if one exists, deletes them on exit, failure or Ctrl-C.
#
# Usage: sudo tests/unit/golden/capture_nft.py [OUTDIR]   (defaults to this directory)
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
P = "nsgoldn"
made = []

NFM = {16: "NFNL_MSG_BATCH_BEGIN", 17: "NFNL_MSG_BATCH_END"}
for i, n in enumerate("NEWTABLE GETTABLE DELTABLE NEWCHAIN GETCHAIN DELCHAIN NEWRULE GETRULE DELRULE NEWSET GETSET "
                      "DELSET NEWSETELEM GETSETELEM DELSETELEM NEWGEN GETGEN TRACE NEWOBJ GETOBJ DELOBJ GETOBJ_RESET "
                      "NEWFLOWTABLE GETFLOWTABLE DELFLOWTABLE".split()):
    NFM[0xA00 + i] = "NFT_MSG_" + n
NOTE = ("the whole sendmsg carrying the batch: NFNL_MSG_BATCH_BEGIN (nfgenmsg AF_UNSPEC, version 0, res_id "
        "htons(NFNL_SUBSYS_NFTABLES 10)), the command's message(s), NFNL_MSG_BATCH_END. nft sets no NLM_F_ACK; "
        "nlmsg_seq counts from 0 within the batch; nlmsg_pid 0. Earlier sends (NFT_MSG_GETGEN, cache dumps) are not kept")


def die(msg):
    print(f"capture_nft.py: {msg}", file=sys.stderr)
    sys.exit(1)


def sh(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        die(f"{args} failed: {r.stderr.strip()}")
    return r


def cleanup(*_):
    for ns in made:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    made.clear()


def mkns(name):
    sh(["ip", "netns", "add", name])
    made.append(name)


def flagnames(f):
    names = [(1, "REQUEST"), (2, "MULTI"), (4, "ACK"), (8, "ECHO"), (0x100, "REPLACE"), (0x200, "EXCL"),
             (0x400, "CREATE"), (0x800, "APPEND")]
    return "|".join(n for b, n in names if f & b)


def describe(data):
    lines, off = [], 0
    while off + 16 <= len(data):
        ln, t, f, seq, pid = struct.unpack_from("<IHHII", data, off)
        name = NFM.get(t, f"type {t}")
        lines.append(f"#   @{off:<4d} len={ln:<4d} {name:<24s} flags=0x{f:04x} {'(' + flagnames(f) + ')':<26s} "
                     f"seq={seq} pid={pid}")
        if ln < 16:
            break
        off += (ln + 3) & ~3
    return lines


def batch_send(ns, nft_args):
    """Runs nft under strace in ns; returns (exit status, stderr, bytes of the batch sendmsg, list of send types)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log")
        r = subprocess.run(["ip", "netns", "exec", ns, "strace", "-f", "-qq", "-e", "trace=sendmsg,sendto", "-xx",
                            "-s", "65535", "-e", "write=all", "-o", log, "--", "nft"] + nft_args,
                           capture_output=True, text=True)
        sends, cur = [], None
        for line in open(log):
            line = re.sub(r"^\d+ +", "", line)
            if line.startswith(("sendmsg(", "sendto(")):
                cur = bytearray()
                sends.append(cur)
                continue
            m = re.match(r"^ \| [0-9a-f]{5}  (.{48})", line)
            if m and cur is not None:
                cur += bytes.fromhex("".join(t for t in m.group(1).split() if re.fullmatch("[0-9a-f]{2}", t)))
    types = []
    for s in sends:
        t = struct.unpack_from("<H", s, 4)[0] if len(s) >= 6 else 0
        types.append(NFM.get(t, f"type {t}"))
    kept = [i for i, s in enumerate(sends) if len(s) >= 6 and struct.unpack_from("<H", s, 4)[0] == 16]
    if not kept:
        die(f"nft {' '.join(nft_args)}: no batch was sent (exit {r.returncode}: {r.stderr.strip()})")
    return r.returncode, r.stderr.strip(), bytes(sends[kept[-1]]), types, kept[-1]


def write(name, cmd, note, ns, nft_args, dbg_ns):
    status, err, data, types, k = batch_send(ns, nft_args)
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"# cmd: {cmd}\n# note: {NOTE}. {note}\n")
        f.write(f"# exit status {status}" + (f", stderr: {err}" if err else "") + "\n")
        f.write("# traced sends: " + " ".join(f"#{i + 1}:{t}" for i, t in enumerate(types)) + f"; kept: #{k + 1}\n")
        for line in describe(data):
            f.write(line + "\n")
        f.write("# vary: nothing\n")
        h = data.hex()
        for i in range(0, len(h), 32):
            f.write(" ".join(h[j:j + 2] for j in range(i, min(i + 32, len(h)), 2)) + "\n")
    r = sh(["ip", "netns", "exec", dbg_ns, "nft", "--debug=netlink"] + nft_args, check=False)
    with open(os.path.join(OUT, name + ".debug.txt"), "w") as f:
        f.write(f"# cmd: {cmd.replace(ns, dbg_ns, 1).replace(' nft ', ' nft --debug=netlink ', 1)}\n")
        f.write("# (the same command with --debug=netlink, run in a mirror namespace with the same history)\n")
        f.write(r.stdout)
    print(f"{name}: done", file=sys.stderr)


def main():
    if os.geteuid() != 0:
        die("needs root")
    for tool in ("strace", "ip", "nft"):
        if sh(["sh", "-c", f"command -v {tool}"], check=False).returncode:
            die(f"missing {tool}")
    if any(line.split()[0].startswith(P + "-") for line in sh(["ip", "netns", "list"]).stdout.splitlines() if line):
        die(f"a namespace {P}-* exists already (another capture running, or a leftover)")
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        a, b = f"{P}-a", f"{P}-b"  # b mirrors a for --debug=netlink
        tutorial = [
            'add table ip nsnet { comment "managed by nsnet"; }',
            "add chain ip nsnet postrouting { type nat hook postrouting priority 100; }",
            "add chain ip nsnet prerouting { type nat hook prerouting priority -100; }",
            'add rule ip nsnet postrouting ip saddr 172.17.0.0/16 oifname != "docker0" masquerade',
            "add rule ip nsnet prerouting tcp dport 8080 dnat to 172.17.10.10:80",
            "add rule ip nsnet prerouting tcp dport 9090 dnat to 172.17.10.20:80",
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".nft", delete=False) as f:
            f.write("\n".join(tutorial) + "\n")
            path = f.name
        os.chmod(path, 0o644)
        try:
            mkns(a)
            mkns(b)
            write("nft_tutorial_batch", f"ip netns exec {a} nft -f FILE   (FILE: " + " ; ".join(tutorial) + ")",
                  "Fresh namespace. One batch: NFT_MSG_NEWTABLE (NFTA_TABLE_USERDATA = libnftnl comment TLV: type 0, "
                  "length, text with NUL), NFT_MSG_NEWCHAIN x2 (no policy), NFT_MSG_NEWRULE x3",
                  a, ["-f", path], b)
            for ns in (a, b):
                sh(["ip", "netns", "exec", ns, "nft", "flush", "ruleset"])
                sh(["ip", "netns", "exec", ns, "nft", "-f", path])
            write("nft_rule_dnat_9090", f"ip netns exec {a} nft add rule ip nsnet prerouting tcp dport 9090 dnat to "
                  "172.17.10.20:80", "After the tutorial batch. NFT_MSG_NEWRULE (REQUEST|CREATE|APPEND)",
                  a, ["add", "rule", "ip", "nsnet", "prerouting", "tcp", "dport", "9090", "dnat", "to",
                      "172.17.10.20:80"], b)
        finally:
            os.unlink(path)
    finally:
        cleanup()
    print("versions: " + sh(["nft", "--version"]).stdout.strip() + "; kernel " + os.uname().release, file=sys.stderr)


if __name__ == "__main__":
    main()
