#!/bin/bash
# run.sh: build deployer and watch it deploy, on a throwaway loopback stack
#
#   examples/demo/run.sh        (as root, on Debian 12)
#
# Installs what is missing (tests/setup.sh), builds the program, then
# starts a private Swarm manager (dockerd in its own network namespace,
# tests/stack.sh), a registry, beanstalkd, and nginx + fcgiwrap configured from
# examples/nginx-fcgiwrap with a self-signed certificate; creates a
# service, deploys a new image with curl over HTTPS, waits for the
# rollout, and prints the answer, the service and the notification.
# Everything it started is stopped and removed at the end (KEEP=1 keeps
# it running until you press Enter).
set -eu

top=$(cd "${0%/*}/../.." && pwd -P)
cd "$top"

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

say "Packages"
tests/setup.sh

if [ ! -x src/deployer ] || [ ! -f Makefile ]; then
	say "Building"
	autoreconf -fi
	./configure --quiet
fi
make -j2 --quiet src/deployer

demo=$(mktemp -d /tmp/deployer-demo.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	tests/stack.sh stop "$demo/stack" >/dev/null 2>&1 || true
	rm -rf "$demo"
}
trap cleanup EXIT

say "A Swarm manager, a registry and beanstalkd on loopback"
tests/stack.sh start "$demo/stack"
# shellcheck source=/dev/null
. "$demo/stack/stack.env"
docker() { /usr/bin/docker -H "$DOCKER_HOST" "$@"; }
# The registry runs in the stack's network namespace, where dockerd's
# 127.0.0.1 is (dockerd speaks plain HTTP to a loopback registry).
reg=127.0.0.1:5000
mkdir -p "$demo/registry"
cat >"$demo/registry/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $demo/registry
http:
  addr: $reg
YML
nsenter --net="/proc/$(cat "$demo/stack/dockerd.pid")/ns/net" -- \
    docker-registry serve "$demo/registry/config.yml" \
    >>"$demo/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	nsenter --net="/proc/$(cat "$demo/stack/dockerd.pid")/ns/net" -- \
	    curl -sf -o /dev/null "http://$reg/v2/" && break
	sleep 0.2
done
for v in v1 v2; do
	docker tag "local/app:$v" "$reg/blog:$v"
	docker push -q "$reg/blog:$v" >/dev/null
done
docker service create --detach --quiet --name blog --replicas 2 \
    --label deployer.allowUpdates=true --stop-grace-period 1s \
    --update-monitor 1s "$reg/blog:v1" >/dev/null 2>&1
echo "registry $reg has blog:v1 and blog:v2; service blog runs blog:v1 (2 replicas)"

say "nginx + fcgiwrap from examples/nginx-fcgiwrap, with a self-signed certificate"
token=$(openssl rand -hex 32)
port=$(bash -c '. tests/stack.sh; stack_free_port')
template=$(printf '%s' '{{.Action}} of {{.Image}} to {{.ServiceName}}: {{.State}} (request {{.RequestID}})' | base64 -w0)
mkdir -p "$demo/run" "$demo/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$demo/tls.key" -out "$demo/tls.pem" 2>/dev/null
examples/fill examples/deployer.conf TOKEN="$token" \
    DOCKER_HOST="$DOCKER_HOST" \
    NOTIFY_FLAGS="{\"addr\": \"$BEANSTALK_ADDR\", \"tube\": \"deploys\", \"template\": \"$template\"}" \
    >"$demo/deployer.conf"
printf 'spool_dir = off\n' >>"$demo/deployer.conf"
chmod 0600 "$demo/deployer.conf"
examples/fill examples/nginx-fcgiwrap/deployer.nginx LISTEN="127.0.0.1:$port" \
    SERVER_NAME=localhost TLS_CERT="$demo/tls.pem" TLS_KEY="$demo/tls.key" \
    DEPLOYER="$top/src/deployer" CONFIG="$demo/deployer.conf" \
    RUNDIR="$demo/run" >"$demo/site.conf"
cp /etc/nginx/fastcgi_params "$demo/fastcgi_params"
cat >"$demo/nginx.conf" <<CONF
user www-data;
worker_processes 1;
pid $demo/run/nginx.pid;
error_log $demo/logs/error.log;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	access_log $demo/logs/access.log;
	client_body_temp_path $demo/run/body;
	fastcgi_temp_path $demo/run/fastcgi;
	proxy_temp_path $demo/run/proxy;
	include $demo/site.conf;
}
CONF
# nginx's workers run as www-data: they may reach the FastCGI socket
# (group www-data, as Debian's fcgiwrap.socket sets it) and nothing else;
# fcgiwrap and the program run as root here, to reach the demo's Docker
# socket (on a real host: a dedicated user in the docker group).
chmod 0755 "$demo" "$demo/run"
fcgiwrap -s "unix:$demo/run/fcgiwrap.sock" 2>>"$demo/logs/error.log" &
pids+=($!)
for _ in $(seq 50); do
	[ -S "$demo/run/fcgiwrap.sock" ] && break
	sleep 0.1
done
chgrp www-data "$demo/run/fcgiwrap.sock"
chmod 0660 "$demo/run/fcgiwrap.sock"
nginx -p "$demo" -c "$demo/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 50); do
	curl -skf -o /dev/null "https://127.0.0.1:$port/deploy/health" && break
	sleep 0.1
done
echo "https://127.0.0.1:$port/deploy/ -> fcgiwrap -> src/deployer (CGI)"

say "The pipeline's last step"
cmd="curl --fail -sk -H \"Authorization: \$TOKEN\" -X PUT -d '{\"image\": \"$reg/blog:v2\"}' 'https://127.0.0.1:$port/deploy/service/blog?wait=60'"
echo "\$ $cmd"
curl --fail -sk -H "Authorization: $token" -X PUT \
    -d "{\"image\": \"$reg/blog:v2\"}" \
    "https://127.0.0.1:$port/deploy/service/blog?wait=60" | jq .
echo "(the tag is pinned to the registry's digest: a later push of v2"
echo " does not change what runs; the answer came after the rollout ended)"

say "The service"
docker service ps blog --filter desired-state=running \
    --format '{{.Name}}  {{.Image}}  {{.CurrentState}}'

say "The notification in beanstalkd's tube 'deploys'"
# shellcheck source=../../tests/stack.sh
. tests/stack.sh
bs_open "${BEANSTALK_ADDR%:*}" "${BEANSTALK_ADDR#*:}"
bs_cmd "watch deploys"
bs_cmd "reserve-with-timeout 2"
printf '%s\n' "$BS_DATA"
bs_close

say "A wrong token"
curl -sk -o /dev/null -w 'HTTP %{http_code}\n' -H "Authorization: nope" -X PUT \
    -d "{\"image\": \"$reg/blog:v3\"}" "https://127.0.0.1:$port/deploy/service/blog"

if [ "${KEEP-}" = 1 ]; then
	say "Still running: TOKEN=$token, https://127.0.0.1:$port/deploy/"
	read -r -p "Press Enter to stop everything. " _
fi
say "The program's log lines (stderr, in nginx's error log)"
grep -o 'deployer\[[0-9]*\]: .*' "$demo/logs/error.log" | sed 's/" while .*//'

say "Done; stopping everything"
