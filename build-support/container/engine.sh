#!/usr/bin/env bash
# Which container engine builds and runs images here: the one place shell code decides it.
#   source build-support/container/engine.sh; docker_daemon_available && ...
#   bash build-support/container/engine.sh     prints `docker`, `podman` or nothing
# `docker` when a Docker daemon answers, else `podman` when installed (./pants, setup.sh, gear.mk,
# bench_build.sh and platforms/generate.py use this; Python code asks polygear.core.containers, which
# applies the same rule).

docker_daemon_available() {
  { [ -S /var/run/docker.sock ] || [ -n "${DOCKER_HOST:-}" ]; } || return 1
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

container_engine() {
  if docker_daemon_available; then
    echo docker
  elif command -v podman >/dev/null 2>&1; then
    echo podman
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  container_engine
fi
