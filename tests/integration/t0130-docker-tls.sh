#!/bin/bash
# t0130-docker-tls.sh: Docker over TCP with TLS, configured the way the
# docker CLI reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
# A TLS terminator (socat, requiring a client certificate) forwards to the
# real daemon's socket, so the client side meets a real handshake.
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

command -v socat >/dev/null || bail_out "socat is not installed"
TOKEN=t0ken-$$
AUTH=$TOKEN
stack_up
svc_create blog local/app:v1 --label deployer.allowUpdates=true \
    --stop-grace-period 1s >/dev/null

# A CA, a server certificate for localhost and 127.0.0.1, a client one.
P=$WORK/pki
mkdir -p "$P/good" "$P/other" "$P/noclient"
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
	    -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null
}
mkcert() {
	local dir=$1 name=$2 ext=$3
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
	    -keyout "$dir/$name-key.pem" -out "$dir/$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$P/ca.pem" \
	    -CAkey "$P/ca-key.pem" -CAcreateserial -days 2 \
	    -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
}
mkca "$P" test-ca
mkcert "$P" server "subjectAltName=DNS:localhost,IP:127.0.0.1"
mkcert "$P" client "extendedKeyUsage=clientAuth"
cp "$P/ca.pem" "$P/good/ca.pem"
cp "$P/client.pem" "$P/good/cert.pem"
cp "$P/client-key.pem" "$P/good/key.pem"
mkca "$P/other" other-ca
cp "$P/good/cert.pem" "$P/good/key.pem" "$P/other/"
cp "$P/ca.pem" "$P/noclient/ca.pem"

PORT=$(stack_free_port)
bg_start tls socat "OPENSSL-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork,cert=$P/server.pem,key=$P/server-key.pem,cafile=$P/ca.pem,verify=1" \
    "UNIX-CONNECT:${DOCKER_HOST#unix://}"
wait_tcp "$PORT"

base="TOKEN=$TOKEN DEPLOYER_SPOOL_DIR=off DEPLOYER_DOCKER_TIMEOUT=10"
CGI_ENV="$base DOCKER_HOST=tcp://localhost:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$P/good"
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "TLS with a verified daemon and a client certificate: 200"
is "$(svc_image blog)" local/app:v2 "... the service changed"
run_cgi GET /service/blog
is "$(json_get image)" local/app:v2 "... and status reads it back"

CGI_ENV="$base DOCKER_HOST=tcp://localhost:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$P/other"
run_cgi PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 502 "a daemon certificate from another CA: 502"
is "$(svc_image blog)" local/app:v2 "... nothing changed"

CGI_ENV="$base DOCKER_HOST=tcp://localhost:$PORT DOCKER_TLS=1 DOCKER_CERT_PATH=$P/other"
run_cgi PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 200 "DOCKER_TLS without _VERIFY does not verify the daemon (as the CLI)"

CGI_ENV="$base DOCKER_HOST=tcp://localhost:$PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$P/noclient"
run_cgi PUT /service/blog '{"image": "local/app:v1"}'
is "$STATUS" 502 "without a client certificate the daemon refuses: 502"

CGI_ENV="$base DOCKER_HOST=tcp://127.0.0.1:$PORT"
run_cgi PUT /service/blog '{"image": "local/app:v1"}'
is "$STATUS" 502 "plain HTTP to a TLS port: 502"
is "$(svc_image blog)" local/app:v3 "... nothing changed"
done_testing
