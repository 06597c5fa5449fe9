#!/usr/bin/env python3
# capture_firewall.py — golden nft batches for nsnet::firewall::Rule (include/nsnet/firewall/rule.hpp):
# the rules a CNI bridge + portmap setup needs, in table `inet nsnet`, each with the comment nsnet
# writes ("owner:OWNER nsnet:TAG"), written as `nft add rule ...` would (+ .debug.txt from
# `nft --debug=netlink`). tests/unit/nft/rule_test.cpp builds the same rules from RuleOptions and
# compares bytes and debug text.
#
# Same file format and helpers as capture_nft.py (README.md). Runs only inside namespaces it creates
# (nsgoldf-*), refuses to start if one exists, deletes them on exit, failure or Ctrl-C.
#
# Usage: sudo tests/unit/golden/capture_firewall.py [OUTDIR]   (defaults to this directory)
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capture_nft as c  # noqa: E402

c.P = "nsgoldf"
c.OUT = sys.argv[1] if len(sys.argv) > 1 else c.HERE

SETUP = [
    'add table inet nsnet { comment "managed by nsnet"; }',
    "add chain inet nsnet prerouting { type nat hook prerouting priority -100; }",
    "add chain inet nsnet postrouting { type nat hook postrouting priority 100; }",
    "add chain inet nsnet forward { type filter hook forward priority 0; }",
    "add chain inet nsnet cni-ctr",
]
TAG = ' comment "owner:ctr1 nsnet:0123456789abcdef"'
RULES = [
    ("fw_portmap_mark", "prerouting",
     "ip saddr 10.88.0.0/16 fib daddr type local tcp dport 8080 counter meta mark set meta mark | 0x2000"),
    ("fw_portmap_dnat", "prerouting",
     "meta nfproto ipv4 fib daddr type local tcp dport 8080 counter dnat ip to 10.88.0.2:80"),
    ("fw_portmap_dnat6", "prerouting",
     "ip6 daddr fd00::1 udp dport 5000-5010 counter dnat ip6 to [fd00::2]:6000-6010"),
    ("fw_masq_marked", "postrouting", "meta mark & 0x2000 == 0x2000 counter masquerade"),
    ("fw_masq_ports", "postrouting",
     "ip saddr 10.88.0.0/16 ip daddr != 10.88.0.0/16 meta l4proto tcp counter masquerade to :1024-65535"),
    ("fw_ct_accept", "forward", "ct state established,related counter accept"),
    ("fw_jump", "forward", 'iifname != "cni0" ct mark 0x10 counter ct mark set 0x5 jump cni-ctr'),
    ("fw_redirect", "prerouting", "tcp dport 80 counter redirect to :8080"),
]


def main():
    if os.geteuid() != 0:
        c.die("needs root")
    if any(line.split()[0].startswith(c.P + "-") for line in c.sh(["ip", "netns", "list"]).stdout.splitlines() if line):
        c.die(f"a namespace {c.P}-* exists already (another capture running, or a leftover)")
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        a, b = f"{c.P}-a", f"{c.P}-b"
        c.mkns(a)
        c.mkns(b)
        for ns in (a, b):
            for line in SETUP:
                c.sh(["ip", "netns", "exec", ns, "nft"] + [line])
        for name, chain, text in RULES:
            cmd = f"add rule inet nsnet {chain} {text}{TAG}"
            args = ["-f", "-"]
            # nft reads the rule from a file so the quotes of the comment survive as written
            path = f"/tmp/{c.P}-{name}.nft"
            with open(path, "w") as f:
                f.write(cmd + "\n")
            os.chmod(path, 0o644)
            args = ["-f", path]
            try:
                c.write(name, f"ip netns exec {a} nft -f FILE   (FILE: {cmd})",
                        "After: " + " ; ".join(SETUP) + ". NFT_MSG_NEWRULE (REQUEST|CREATE|APPEND) with "
                        "NFTA_RULE_USERDATA (libnftnl comment TLV)", a, args, b)
            finally:
                os.unlink(path)
    finally:
        c.cleanup()
    print("versions: " + c.sh(["nft", "--version"]).stdout.strip() + "; kernel " + os.uname().release, file=sys.stderr)


if __name__ == "__main__":
    main()
