#!/usr/bin/env bash
# Make `./pants package ::` able to build images on a Linux machine that has no Docker daemon.
#
# Why: Pants' docker backend shells out to `docker`. On machines with only a docker *client* (CI
# sandboxes, rootless servers) we drive Debian's podman through a shim instead, and because no
# registry may be reachable we build the `python:3.11-slim` stand-in locally with debootstrap, once.
# With a working Docker daemon this script does nothing: real Docker users keep the official image.
#
# Idempotent: every step checks whether it is already done. Prints what it does and how long it took.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${ROOT}/.polygear/container"
SHIM_DIR="${STATE}/bin"
# Bump when the shim below changes: ./pants rewrites an older shim on its next run.
SHIM_VERSION=2
BASE_IMAGE="${POLYGEAR_LOCAL_BASE_IMAGE:-localhost/polygear-base:bookworm-py311}"
SUITE="${POLYGEAR_BASE_SUITE:-bookworm}"

say() { printf '[container-setup] %s\n' "$*" >&2; }
timed() {  # timed "<what>" cmd...
  local what="$1"; shift
  local t0=$SECONDS
  say "${what}..."
  "$@"
  say "${what}: done in $((SECONDS - t0)) s"
}

# shellcheck source=engine.sh
. "$(dirname "${BASH_SOURCE[0]}")/engine.sh"

if docker_daemon_available && [ "${POLYGEAR_FORCE_PODMAN:-0}" != 1 ]; then
  say "a Docker daemon is reachable: nothing to set up (images use the official python:3.11-slim)"
  exit 0
fi

if [ "$(uname -s)" != Linux ]; then
  say "error: no Docker daemon reachable and podman fallback is Linux-only; start Docker Desktop and retry"
  exit 1
fi

need_pkgs=()
for cmd in podman buildah debootstrap runc; do
  command -v "$cmd" >/dev/null 2>&1 || need_pkgs+=("$cmd")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "error: missing ${need_pkgs[*]}; install them with: sudo apt-get install -y podman buildah debootstrap runc uidmap"
    exit 1
  fi
  timed "installing podman buildah debootstrap runc uidmap from Debian" \
    bash -c 'export DEBIAN_FRONTEND=noninteractive; (apt-get update -qq || true) && apt-get install -y -qq podman buildah debootstrap runc uidmap >/dev/null'
fi

# crun's setrlimit and cgroup v2 hybrid mode fail in sandboxed kernels; runc + cgroupfs work.
CONF=/etc/containers/containers.conf
if [ "$(id -u)" = 0 ] && ! grep -q 'polygear' "$CONF" 2>/dev/null; then
  say "writing ${CONF} (runtime=runc, cgroupfs, fixed ulimits)"
  mkdir -p /etc/containers
  cat >"$CONF" <<'CONFEOF'
# written by polygear build-support/container/setup.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONFEOF
fi

# The shim: Pants clears PATH, so it must name podman by absolute path. Pants reruns `docker build`
# in every session (it cannot see the daemon's images); Docker's build cache makes that cheap, but
# podman re-hashes every COPY. So the shim keys each build on its arguments, the IDs of the images its
# build args name (BASE_IMAGE, and the tool base a tool image is FROM), and the content of the build
# context, and re-tags the image it built before when nothing changed. Builds use the docker image
# format: the OCI format drops the tool base's ONBUILD steps.
PODMAN="$(command -v podman)"
mkdir -p "$SHIM_DIR"
cat >"${SHIM_DIR}/docker.tmp" <<SHIMEOF
#!/bin/bash
# docker -> podman shim written by build-support/container/setup.sh (used only when no Docker daemon exists).
# polygear-shim-version: ${SHIM_VERSION}
# Pants runs docker with an almost empty PATH; podman's network helpers (netavark -> iptables) need one.
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\${PATH:+:\$PATH}"
export PATH
PODMAN=${PODMAN}
if [ "\${1:-}" = build ]; then
  shift
  set -- build --format docker "\$@"
fi
if [ "\${1:-}" = build ] && [ "\${POLYGEAR_BUILD_CACHE:-1}" = 1 ]; then
  ctx="\${@: -1}"
  tags=(); images=("\${BASE_IMAGE:-python:3.11-slim}"); prev=""
  for a in "\$@"; do
    [ "\$prev" = "--tag" ] && tags+=("\$a")
    [ "\$prev" = "--build-arg" ] && images+=("\${a#*=}")
    prev="\$a"
  done
  ids="\$(for i in "\${images[@]}"; do "\$PODMAN" image inspect --format '{{.Id}}' "\$i" 2>/dev/null; done)"
  key="\$({ printf '%s\\n' "\${@:1:\$#-1}" "BASE_IMAGE=\${BASE_IMAGE:-}" "\$ids";
          (cd "\$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); } | sha256sum | cut -c1-40)"
  cache="localhost/polygear-build-cache:\$key"
  if [ "\${#tags[@]}" -gt 0 ] && "\$PODMAN" image exists "\$cache"; then
    for t in "\${tags[@]}"; do "\$PODMAN" tag "\$cache" "\$t" || exit; done
    echo "polygear docker shim: build context unchanged; re-tagged \$("\$PODMAN" image inspect --format '{{.Id}}' "\$cache")"
    exit 0
  fi
  "\$PODMAN" "\$@" || exit
  [ "\${#tags[@]}" -eq 0 ] || "\$PODMAN" tag "\${tags[0]}" "\$cache"
  exit 0
fi
exec "\$PODMAN" "\$@"
SHIMEOF
chmod +x "${SHIM_DIR}/docker.tmp"
mv -f "${SHIM_DIR}/docker.tmp" "${SHIM_DIR}/docker"

if podman image exists "$BASE_IMAGE" 2>/dev/null; then
  say "base image ${BASE_IMAGE} already present"
else
  ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/polygear-rootfs.XXXXXX")"
  trap 'rm -rf "$ROOTFS"' EXIT
  timed "debootstrap ${SUITE} minbase + python3 into ${ROOTFS}" \
    debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$ROOTFS" http://deb.debian.org/debian >/dev/null
  rm -rf "${ROOTFS}/var/cache/apt/archives/"*.deb "${ROOTFS}/var/lib/apt/lists/"*
  timed "importing ${ROOTFS} as ${BASE_IMAGE}" \
    bash -c "tar -C '$ROOTFS' -c . | podman import --change 'CMD [\"/bin/bash\"]' - '$BASE_IMAGE' >/dev/null"
fi

# The launcher reads this file to point Pants at the shim and the local base image.
cat >"${STATE}/env.tmp" <<ENVEOF
POLYGEAR_DOCKER_SHIM_DIR=${SHIM_DIR}
BASE_IMAGE=${BASE_IMAGE}
ENVEOF
mv -f "${STATE}/env.tmp" "${STATE}/env"
say "ready: images build with podman from ${BASE_IMAGE} (shim: ${SHIM_DIR}/docker)"
