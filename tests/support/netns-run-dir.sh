# tests/support/netns-run-dir.sh — sourced by tests/run, examples/run-labs and .ci/run.
#
# Creating a named namespace (nsnet's Netns::create, like `ip netns add`) bind-mounts /run/netns
# on itself, shared, so that the namespaces mounted below it propagate; nothing undoes that mount.
# A run leaves no mount behind: netns_run_dir_note, at the start, records whether /run/netns was a
# mount point; netns_run_dir_restore, at the end, unmounts it if it was not and no namespace is
# left in it (a namespace left behind is reported by the tests themselves; its mount stays).
NSNET_NETNS_RUN_DIR=${NSNET_NETNS_RUN_DIR:-/run/netns}
nsnet_netns_run_dir_was_mounted=1

netns_run_dir_note() {
    nsnet_netns_run_dir_was_mounted=0
    mountpoint -q "$NSNET_NETNS_RUN_DIR" 2>/dev/null && nsnet_netns_run_dir_was_mounted=1
    return 0
}

netns_run_dir_restore() {
    ((nsnet_netns_run_dir_was_mounted == 0)) || return 0
    mountpoint -q "$NSNET_NETNS_RUN_DIR" 2>/dev/null || return 0
    if [[ -n $(ls -A "$NSNET_NETNS_RUN_DIR" 2>/dev/null) ]]; then
        echo "$NSNET_NETNS_RUN_DIR stays mounted: namespaces are left in it:" $(ls -A "$NSNET_NETNS_RUN_DIR")
        return 0
    fi
    umount "$NSNET_NETNS_RUN_DIR" || echo "could not unmount $NSNET_NETNS_RUN_DIR (mounted by this run)"
    return 0
}
