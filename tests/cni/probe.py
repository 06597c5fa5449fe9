#!/usr/bin/env python3
"""Probes for the CNI behaviour matrix (tests/cni/run). Run inside a namespace the test created.

  probe.py serve NAME tcp:PORT|udp:PORT...   answer every TCP connection / UDP datagram with
                                             "NAME PEER" (PEER: the source address seen)
  probe.py tcp HOST PORT                     print the answer, or "no-answer"
  probe.py udp HOST PORT                     one datagram; print the answer, or "no-answer"
  probe.py udpstream HOST PORT STOPFILE      one socket (fixed source port) sending every 100 ms
                                             until 3 s after STOPFILE exists; print the answering
                                             names in order, e.g. "c1 c3" (repeats collapsed)
  probe.py json FILE EXPR                    print a value from a JSON file (a tiny jq)
  probe.py conf KIND NAME BRIDGE DATADIR PORTS [PREV]
                                             print a network config: KIND bridge (reference
                                             bridge), portmap (reference portmap) or nsnet
                                             (nsnet-bridge: both); PORTS "18080:80/tcp,..." or
                                             "-"; PREV a result file (prevResult)
"""
import json
import os
import socket
import sys
import threading
import time


def peer(addr):
    a = addr[0]
    return a[7:] if a.startswith("::ffff:") else a


def serve(name, specs):
    threads = []
    for spec in specs:
        proto, port = spec.split(":")
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", int(port)))
        if proto == "tcp":
            s.listen(64)

            def loop(s=s):
                while True:
                    c, a = s.accept()
                    try:
                        c.sendall(f"{name} {peer(a)}\n".encode())
                    finally:
                        c.close()
        else:
            def loop(s=s):
                while True:
                    _, a = s.recvfrom(2048)
                    s.sendto(f"{name} {peer(a)}\n".encode(), a)
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        threads.append(t)
    print("ready", flush=True)
    for t in threads:
        t.join()


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(host, port):
    try:
        with socket.socket(family(host), socket.SOCK_STREAM) as s:
            s.settimeout(1.5)
            s.connect((host, int(port)))
            data = s.recv(200).decode().strip()
            return data or "no-answer"
    except (OSError, socket.timeout):
        return "no-answer"


def udp(host, port):
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        for _ in range(5):
            try:
                s.sendto(b"x", (host, int(port)))
                data, _ = s.recvfrom(200)
                return data.decode().strip()
            except (OSError, socket.timeout):
                pass
    return "no-answer"


def udpstream(host, port, stopfile):
    names = []
    end = time.monotonic() + 60  # at most; normally until 3 s after STOPFILE appears
    stop_at = None
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.settimeout(0.1)
        while time.monotonic() < end:
            if stop_at is None and os.path.exists(stopfile):
                stop_at = time.monotonic() + 3
                end = min(end, stop_at)
            try:
                s.sendto(b"x", (host, int(port)))
            except OSError:
                pass
            t0 = time.monotonic()
            while time.monotonic() - t0 < 0.1:
                try:
                    data, _ = s.recvfrom(200)
                except (OSError, socket.timeout):
                    break
                n = data.decode().split()[0]
                if not names or names[-1] != n:
                    names.append(n)
    return " ".join(names) if names else "no-answer"


def conf(kind, name, bridge, datadir, ports, prev=None):
    mappings = []
    if ports != "-":
        for p in ports.split(","):
            hp, rest = p.split(":")
            cp, proto = rest.split("/")
            mappings.append({"hostPort": int(hp), "containerPort": int(cp), "protocol": proto})
    c = {"cniVersion": "1.0.0", "name": name}
    if kind in ("bridge", "nsnet"):
        c.update({
            "type": "bridge" if kind == "bridge" else "nsnet-bridge",
            "bridge": bridge, "isGateway": True, "ipMasq": True, "hairpinMode": True,
            "ipam": {"type": "host-local",
                     "ranges": [[{"subnet": "10.88.0.0/24"}], [{"subnet": "fd00:88::/64"}]],
                     "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
                     "dataDir": datadir}})
    if kind in ("portmap", "nsnet"):
        if kind == "portmap":
            c["type"] = "portmap"
        c["capabilities"] = {"portMappings": True}
        c["runtimeConfig"] = {"portMappings": mappings}
    if prev:
        with open(prev) as f:
            c["prevResult"] = json.load(f)
    print(json.dumps(c))


def main(argv):
    cmd = argv[1]
    if cmd == "serve":
        serve(argv[2], argv[3:])
    elif cmd == "tcp":
        print(tcp(argv[2], argv[3]))
    elif cmd == "udp":
        print(udp(argv[2], argv[3]))
    elif cmd == "udpstream":
        print(udpstream(argv[2], argv[3], argv[4]), flush=True)
    elif cmd == "json":
        with open(argv[2]) as f:
            v = json.load(f)
        print(eval(argv[3], {"v": v}))
    elif cmd == "conf":
        conf(*argv[2:])
    else:
        sys.exit(f"probe.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
