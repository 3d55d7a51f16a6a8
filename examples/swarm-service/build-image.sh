#!/bin/sh
# build-image.sh: a deployer image from this machine's own binaries
#
#   examples/swarm-service/build-image.sh [TAG]      (default deployer:latest)
#
# No base image, no registry, no Dockerfile: it copies deployer, nginx,
# fcgiwrap, spawn-fcgi and dash with the shared libraries ldd finds for them
# (and libcurl, which deployer loads when it first needs it), plus the few
# /etc files they read, into a directory, and `docker import`s that as TAG.
# The image runs nginx (TLS, workers as www-data) in front of fcgiwrap,
# which runs deployer as root, for the Docker socket (see README).
#
# nginx's server block is ../nginx-fcgiwrap/deployer.nginx, filled in with
# ../fill; nginx listens on LISTEN (default 8443).
#
# Environment: DEPLOYER (the program; default: deployer on PATH, else
# /usr/local/sbin/deployer), LISTEN, DOCKER (default docker; DOCKER_HOST
# and the like as usual).  Needs the Debian packages nginx-light (or any
# nginx), fcgiwrap, spawn-fcgi, dash and libcurl4 on this machine, of the
# architecture of the swarm's managers.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
examples=$(dirname "$here")
tag=${1:-deployer:latest}
docker=${DOCKER:-docker}
listen=${LISTEN:-8443}
deployer=${DEPLOYER:-$(command -v deployer || echo /usr/local/sbin/deployer)}

root=$(mktemp -d "${TMPDIR:-/tmp}/deployer-image.XXXXXX")
trap 'rm -rf "$root" "$root.ldd"' EXIT INT TERM
# mktemp made it 0700: it becomes the image's /, which www-data must cross.
chmod 0755 "$root"

die() {
	echo "build-image.sh: $*" >&2
	exit 1
}

# add SRC [DEST]: copy the file SRC to DEST (default: the same path) in the
# image, following symbolic links.
add() {
	mkdir -p "$root$(dirname "${2:-$1}")"
	cp -L "$1" "$root${2:-$1}"
}

# add_libs FILE: the shared libraries FILE needs, at the paths ldd names.
add_libs() {
	ldd "$1" >"$root.ldd" 2>&1 || die "ldd $1: $(cat "$root.ldd")"
	! grep -q 'not found' "$root.ldd" || die "ldd $1: $(cat "$root.ldd")"
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' \
	    "$root.ldd" | while read -r lib; do
		[ -e "$root$lib" ] || add "$lib"
	done
	rm -f "$root.ldd"
}

# add_bin SRC [DEST]: a program and its libraries.
add_bin() {
	[ -x "$1" ] || die "$1: no such program"
	add "$1" "${2:-$1}"
	add_libs "$1"
}

add_bin "$deployer" /usr/sbin/deployer
add_bin "$(command -v nginx || echo /usr/sbin/nginx)" /usr/sbin/nginx
add_bin "$(command -v fcgiwrap || echo /usr/sbin/fcgiwrap)" /usr/sbin/fcgiwrap
add_bin "$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)" \
    /usr/bin/spawn-fcgi
add_bin "$(command -v dash || echo /bin/dash)" /bin/sh
# deployer opens libcurl with dlopen on the first request that needs it, so
# ldd does not list it: take the one next to deployer's libc (the same
# architecture), else what ldconfig knows.
libdir=$(ldd "$deployer" | awk '$1 == "libc.so.6" { print $3 }')
curl=${libdir%/*}/libcurl.so.4
[ -e "$curl" ] ||
    curl=$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
[ -n "$curl" ] || die "libcurl.so.4 not found (install libcurl4)"
add "$curl"
add_libs "$curl"

# The few files they read: users for nginx and spawn-fcgi, name service
# order, CA certificates for registries (digest resolution), nginx's
# fastcgi_params.
mkdir -p "$root/etc/nginx/sites" "$root/etc/deployer" "$root/run" \
    "$root/tmp" "$root/var/lib/nginx" "$root/var/log/nginx" "$root/root"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
www-data:x:33:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' \
    >"$root/etc/nsswitch.conf"
add /etc/ssl/certs/ca-certificates.crt
add /etc/nginx/fastcgi_params
cp "$here/nginx.conf" "$root/etc/nginx/nginx.conf"
cp "$here/deployer.conf" "$root/etc/deployer/deployer.conf"
cp "$here/entrypoint" "$root/entrypoint"
chmod 0755 "$root/entrypoint"
"$examples/fill" "$examples/nginx-fcgiwrap/deployer.nginx" \
    LISTEN="$listen" SERVER_NAME=_ DEPLOYER=/usr/sbin/deployer \
    CONFIG=/etc/deployer/deployer.conf RUNDIR=/run \
    TLS_CERT=/run/secrets/deployer_tls_cert \
    TLS_KEY=/run/secrets/deployer_tls_key \
    >"$root/etc/nginx/sites/deployer.nginx"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
    "$docker" import \
	-c 'CMD ["/entrypoint"]' \
	-c "EXPOSE $listen" \
	-c 'LABEL org.opencontainers.image.title=deployer' \
	- "$tag" >/dev/null
echo "$tag"
