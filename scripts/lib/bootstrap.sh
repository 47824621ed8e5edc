# Installs the Debian packages a command needs, when some are missing.
# Sourced by scripts/tutor, scripts/check and scripts/bench: ensure_packages learner|bench|check

# strace: chapter 06's example counts the system calls of each runtime with it.
LEARNER_PACKAGES=(g++ python3 meson ninja-build pkg-config doctest-dev libfmt-dev pandoc graphviz strace liburing-dev)
# The check adds clang (with its sanitizer runtimes), Chromium with its driver and
# Selenium for the book's browser check, git for the tutor's own tests, and the
# side-by-side bench's peers (scripts/bench --quick runs them all).
# The bench's peers (scripts/bench --install): Asio, libuv, Tokio and smol with
# Debian's cargo, wrk, and nginx to serve them.
BENCH_PACKAGES=("${LEARNER_PACKAGES[@]}" libasio-dev libuv1-dev cargo librust-tokio-dev librust-smol-dev wrk nginx)
CHECK_PACKAGES=("${BENCH_PACKAGES[@]}" clang libclang-rt-14-dev chromium chromium-driver python3-selenium git)

missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}

ensure_packages() {
    local -a wanted missing
    case $1 in
        check) wanted=("${CHECK_PACKAGES[@]}") ;;
        bench) wanted=("${BENCH_PACKAGES[@]}") ;;
        *) wanted=("${LEARNER_PACKAGES[@]}") ;;
    esac
    if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
        echo "note: not a Debian system; make sure these are installed: ${wanted[*]}" >&2
        return 0
    fi
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    ((${#missing[@]} == 0)) && return 0

    local -a sudo=()
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null; then
            echo "error: these packages are missing and there is no sudo to install them:" >&2
            echo "  apt-get install ${missing[*]}" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    echo "Installing what is missing: ${missing[*]}" >&2
    local -a install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}")
    if ! "${install[@]}" >/tmp/rt-tutorial-apt.log 2>&1; then
        # A fresh machine may have no package lists yet, or stale ones.
        "${sudo[@]}" apt-get update -q >>/tmp/rt-tutorial-apt.log 2>&1 || true
        if ! "${install[@]}" >>/tmp/rt-tutorial-apt.log 2>&1; then
            echo "error: apt-get could not install: ${missing[*]} (log: /tmp/rt-tutorial-apt.log)" >&2
            tail -5 /tmp/rt-tutorial-apt.log >&2
            exit 1
        fi
    fi
}
