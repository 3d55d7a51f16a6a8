#!/bin/bash
# setup.sh: install the Debian packages the build, the tests and the demo need
#
# Idempotent: installs only what dpkg says is missing (one `apt-get update`
# first), and nothing at all when everything is there, so it is cheap to run
# before every test run.  Needs root only when something is missing.
#
#   tests/setup.sh            install what is missing
#   tests/setup.sh --check    only say what is missing (exit 1), as make
#                             check does before its first integration test
#
# Package maintainer scripts must not start services: a dockerd, nginx,
# lighttpd or apache2 started by `apt-get install` would hold ports and the
# system docker socket that the tests never use.  While installing, a
# /usr/sbin/policy-rc.d that exits 101 ("action forbidden") is put in place
# (unless one exists already) and removed afterwards.
set -eu

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	libcurl4-openssl-dev libcjson-dev libfcgi-dev libssl-dev
	# integration tests: daemons, images, FastCGI tools
	docker.io beanstalkd busybox-static libfcgi-bin spawn-fcgi
	# web server tests and the demo
	nginx-light fcgiwrap lighttpd lighttpd-mod-openssl apache2
	libapache2-mod-fcgid systemd yq
	docker-registry apache2-utils openssl
	# test tools: the stack needs ip/ss (iproute2), ps (procps),
	# unshare/nsenter (util-linux)
	curl socat jq shellcheck iproute2 procps util-linux perl
	# metrics: a real Prometheus scrapes the program, promtool checks it
	prometheus
	# make lint: static analysis and the format check
	cppcheck clang-format
	# analysis builds
	valgrind clang libclang-rt-14-dev
)

# not_installed PACKAGE...: those dpkg does not list as installed ("ii":
# absent, half-installed, or removed with its configuration left).
not_installed() {
	local -A ok=()
	local status name p
	while read -r status name; do
		[ "$status" != ii ] || ok[${name%%:*}]=1
	done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" \
	    2>/dev/null)
	for p in "$@"; do
		[ -n "${ok[$p]-}" ] || printf '%s\n' "$p"
	done
}

mapfile -t missing < <(not_installed "${packages[@]}")
if [ "${1-}" = --check ]; then
	[ ${#missing[@]} -gt 0 ] || exit 0
	echo "the integration tests need packages that are missing: ${missing[*]}; run tests/setup.sh (as root) first" >&2
	exit 1
fi
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all ${#packages[@]} packages are installed"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "setup: missing packages: ${missing[*]}" >&2
	echo "setup: run as root (or: apt-get install ${missing[*]})" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=
cleanup() {
	if [ -n "$made_policy" ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# tests/setup.sh: no service starts during installs\nexit 101\n' \
	    >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Mirrors are sometimes briefly unreachable: one retry each.
apt_get() {
	apt-get "$@" || { sleep 5; apt-get "$@"; }
}
apt_get -q update
apt_get -q -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${missing[@]}"

# Check the result rather than trust it.
mapfile -t still < <(not_installed "${missing[@]}")
if [ ${#still[@]} -gt 0 ]; then
	echo "setup: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "setup: installed ${#missing[@]} packages"
