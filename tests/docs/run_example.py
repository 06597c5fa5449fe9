#!/usr/bin/env python3
"""Runs one example program (examples/*.cpp) as a test: run_example.py EXAMPLE [ARGS...].

The example gets a namespace prefix unique to this run (nsex<pid>-) as its first argument, so it
creates only namespaces of its own. The test fails if the example fails, or if it leaves anything
behind: no namespace with the run's prefix may remain in /run/netns, and the links of the starting
namespace (/sys/class/net) must be the same afterwards (other people's namespaces may come and go
meanwhile: only the prefix is checked). Exits 77 (Meson: skipped) without root, or when the
example itself exits 77.
"""
import os
import subprocess
import sys


def state():
    def names(path):
        try:
            return sorted(os.listdir(path))
        except FileNotFoundError:
            return []
    return names("/run/netns"), names("/sys/class/net")


def main():
    if len(sys.argv) < 2:
        print("usage: run_example.py EXAMPLE [ARGS...]", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("SKIP: the examples create namespaces: root needed")
        return 77
    prefix = "nsex%d-" % os.getpid()
    before = state()
    try:
        rc = subprocess.run([sys.argv[1], prefix] + sys.argv[2:], timeout=120).returncode
    except subprocess.TimeoutExpired:
        print("FAIL: %s did not finish within 120 s" % sys.argv[1])
        rc = 1
    after = state()
    leftover = [n for n in after[0] if n.startswith(prefix)]
    new_links = [n for n in after[1] if n not in before[1]]
    if leftover or new_links:
        print("FAIL: left behind: namespaces %s, links in the starting namespace %s" % (leftover, new_links))
        # Remove what this run's prefix names (and nothing else: nothing else is ours).
        for n in leftover:
            subprocess.run(["ip", "netns", "del", n])
        return 1
    if rc == 77:
        return 77
    if rc != 0:
        print("FAIL: %s exited %d" % (sys.argv[1], rc))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
