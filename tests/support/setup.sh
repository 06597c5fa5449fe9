# tests/support/setup.sh — sourced by the scripts that prepare a machine and a build directory:
# tests/run, examples/run-labs, .ci/run, tests/fuzz/run, tests/compile/newest-uapi, benchmarks/run.
# One copy of the two steps they all take, so that a fix to one (a flag apt-get needs on a newer
# release, a meson option that must be re-applied) reaches every script.
#
# nsnet_install_missing PKG...
#   Installs with apt-get the packages dpkg does not report as installed (a fresh machine has
#   none): at most one `apt-get update` per process, no recommended packages, no questions. Without
#   root it names what is missing and returns 1. The caller's $PROG names it in what it prints.
# nsnet_meson_setup DIR ARGS...
#   `meson setup DIR ARGS`, or `meson setup --reconfigure DIR ARGS` when DIR is a build directory
#   already (which also applies changed options and picks up new headers for tests/compile).

nsnet_install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) != 0 ]]; then
        echo "${PROG:-$0}: missing packages: ${missing[*]}; run as root (sudo ${PROG:-$0}) to install them" >&2
        return 1
    fi
    echo "==== ${PROG:-$0}: installing ${missing[*]}"
    if [[ -z ${nsnet_apt_updated:-} ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
        nsnet_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

nsnet_meson_setup() {
    local dir=$1
    shift
    if [[ -f $dir/build.ninja ]]; then
        meson setup --reconfigure "$dir" "$@"
    else
        meson setup "$dir" "$@"
    fi
}
