#!/usr/bin/env bash
# tests/vm/selftest.sh: prove that tests/vm/run reports what happened in the VM.
#   1. a binary that exits 0 (and creates veth, vlan, ipvlan, dummy, vrf, vxlan links) -> run exits 0
#   2. a binary that exits 1                                                        -> run fails
#   3. a binary that hangs: the guest is killed at --timeout                        -> run fails
#   4. exit 77 counts as skipped; --test-timeout kills one binary and the next still runs
# Extra arguments (e.g. --cache DIR) are passed to every tests/vm/run call.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nsnet-vm-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gcc -static -O2 -Wall -Wextra -o "$tmp/selftest" "$here/selftest.c" || { echo "FAIL  cannot build selftest"; exit 2; }

failures=0
expect() {   # expect WHAT WANT_RC(0|nonzero) PATTERN... -- run args...   (every PATTERN must match)
    local what=$1 want=$2; shift 2
    local patterns=() out=$tmp/out rc t0=$SECONDS ok=1 p
    while [[ $1 != -- ]]; do patterns+=("$1"); shift; done; shift
    "$here/run" "$@" >"$out" 2>&1; rc=$?
    if [[ $want == 0 ]]; then [[ $rc == 0 ]] || ok=0; else [[ $rc != 0 && $rc != 2 ]] || ok=0; fi
    for p in "${patterns[@]}"; do grep -qE -- "$p" "$out" || { ok=0; echo "      missing: /$p/"; }; done
    if [[ $ok == 1 ]]; then
        echo "PASS  $what  (exit $rc, $((SECONDS - t0)) s)"
    else
        echo "FAIL  $what  (exit $rc, wanted $want; output:)"
        sed 's/^/      | /' "$out"
        failures=$((failures + 1))
    fi
    grep -E '^VM (kernel|stage)' "$out" | sed 's/^/      /'
}

expect "exit 0 passes; veth, vlan, ipvlan, dummy, vrf, vxlan work in the VM" 0 \
    '^PASS  vlan v0\.100' '^PASS  ipvlan' '^PASS  vrf' '^PASS  1 selftest' '^VM result: PASS' \
    -- "$@" "$tmp/selftest"
expect "exit 1 fails" nonzero '^FAIL  1 selftest  \(exit 1,' '^VM result: FAIL' \
    -- "$@" "$tmp/selftest" exit 1
expect "a hang is killed at --timeout" nonzero 'still running when the guest was killed after 25 s' \
    '^FAIL  guest killed' '^VM result: FAIL' \
    -- "$@" --timeout 25 "$tmp/selftest" hang
expect "77 is a skip; --test-timeout kills one binary and the next still runs" nonzero \
    '^SKIP  1 selftest  \(exit 77' '^FAIL  2 selftest  \(exit 137' '^PASS  3 selftest' \
    -- "$@" --test-timeout 3 "$tmp/selftest" exit 77 -- "$tmp/selftest" hang -- "$tmp/selftest"
expect "exit 77 alone is a pass" 0 '^SKIP  1 selftest' '^VM result: PASS' -- "$@" "$tmp/selftest" exit 77
if [[ $failures == 0 ]]; then echo "selftest: all passed"; else echo "selftest: $failures failed"; fi
exit $((failures != 0))
