#!/bin/sh
# create-service.sh: deployer as a Swarm service, the way the Go program's
# README started it, with TLS and the token as Docker secrets
#
# First, once, on a manager (file names are examples):
#   openssl rand -hex 32 | docker secret create deployer_token -
#   docker secret create deployer_tls_cert deploy.example.com.pem
#   docker secret create deployer_tls_key deploy.example.com.key
#   examples/swarm-service/build-image.sh deployer:latest
# then:
#   NOTIFY_FLAGS='{"addr": "127.0.0.1:11300", "tube": "deploys",
#       "template": "..."}' examples/swarm-service/create-service.sh
#
# The service runs on a manager (only managers can update services), with
# the manager's Docker socket mounted: it is root on that machine, which is
# why the token is a secret and TLS is not optional.  It uses the host's
# network: nginx listens on the manager's port 8443 (build-image.sh
# LISTEN), and beanstalkd at 127.0.0.1 is the manager's.  With the
# routing mesh instead (--publish published=8443,target=8443), deployer
# would see the ingress network's address, not the client's.
#
# Environment: IMAGE (deployer:latest), SERVICE_NAME (deployer),
# DOCKER_SOCKET (/var/run/docker.sock), NOTIFY_FLAGS (none: no
# notifications), DOCKER (docker).
set -eu
"${DOCKER:-docker}" service create --detach --quiet \
    --name "${SERVICE_NAME:-deployer}" \
    --constraint 'node.role == manager' \
    --network host \
    --mount "type=bind,source=${DOCKER_SOCKET:-/var/run/docker.sock},destination=/var/run/docker.sock" \
    --secret deployer_token \
    --secret deployer_tls_cert \
    --secret source=deployer_tls_key,mode=0400 \
    --env "NOTIFY_FLAGS=${NOTIFY_FLAGS-}" \
    "${IMAGE:-deployer:latest}"
