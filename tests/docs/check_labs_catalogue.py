#!/usr/bin/env python3
"""Checks that examples/labs/LABS.md and the lab driver know the same labs, in the same order.

  check_labs_catalogue.py LABS_BINARY LABS.md

`labs --list` prints one lab per line, its id first. LABS.md has one `## ID — title` section per
lab (other `##` sections, such as the ground rules, have no id of the driver's form before the
dash). Exits 1 naming every id that is on one side only, or when the order differs.
"""
import re
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    listing = subprocess.run([sys.argv[1], "--list"], capture_output=True, text=True, check=True).stdout
    driver = [line.split()[0] for line in listing.splitlines() if line.strip()]
    doc = []
    for line in open(sys.argv[2], encoding="utf-8"):
        m = re.match(r"^## ([a-z0-9][a-z0-9-]*) —", line)
        if m:
            doc.append(m.group(1))
    ok = True
    for lab in driver:
        if lab not in doc:
            print("FAIL: lab '%s' (labs --list) has no '## %s — ...' section in %s" % (lab, lab, sys.argv[2]))
            ok = False
    for lab in doc:
        if lab not in driver:
            print("FAIL: %s describes lab '%s', which labs --list does not have" % (sys.argv[2], lab))
            ok = False
    if ok and driver != doc:
        print("FAIL: the order differs:\n  labs --list: %s\n  %s: %s" % (" ".join(driver), sys.argv[2], " ".join(doc)))
        ok = False
    if not driver:
        print("FAIL: labs --list printed no lab")
        ok = False
    if ok:
        print("%d labs, the same in labs --list and %s" % (len(driver), sys.argv[2]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
