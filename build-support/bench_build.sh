#!/usr/bin/env bash
# Build benchmark: prints figures, asserts nothing. Run on demand: bash build-support/bench_build.sh
#   - cold `./pants package ::` (fresh Pants caches in a temp dir, no pantsd)
#   - warm no-change `./pants package ::` (pantsd, second run)
#   - after editing one gear's main.py: time, and which pex/image builds ran
#   - pex size and image size per gear; `/bin/run --help` start-up of one pex, first run and steady
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
GEAR="${BENCH_GEAR:-csv-splitter}"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

echo "== build benchmark ($(nproc) cores, $(date -u +%FT%TZ))"
./pants --version >/dev/null  # bootstrap outside the timings

COLD="$(mktemp -d "${TMPDIR:-/tmp}/polygear-bench-cold.XXXXXX")"
trap 'rm -rf "$COLD"' EXIT
t=$(now)
PANTS_LOCAL_STORE_DIR="$COLD/store" PANTS_NAMED_CACHES_DIR="$COLD/named" \
  ./pants --no-pantsd --no-local-cache package :: >"$COLD/cold.log" 2>&1
echo "cold package ::                 $(secs "$t" "$(now)") s (fresh caches, no pantsd)"

./pants package :: >/dev/null 2>&1
t=$(now); ./pants package :: >/dev/null 2>&1
echo "warm no-change package ::       $(secs "$t" "$(now)") s"

ENGINE="$(bash "$(dirname "${BASH_SOURCE[0]}")/container/engine.sh")"
fingerprint() {  # one line per artifact: its content hash (pex sha256, image ID)
  for pex in dist/*/*.pex; do echo "pex   $pex $(sha256sum "$pex" | cut -c1-16)"; done
  for manifest in gears/*/src/docker/manifest.json; do
    image="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['custom']['gear-builder']['image'])" "$manifest")"
    [ -z "$ENGINE" ] || echo "image $image $($ENGINE image inspect --format '{{.Id}}' "$image" 2>/dev/null | cut -c1-16)"
  done
}
fingerprint >"$COLD/before.txt"

MAIN="$(ls gears/"$GEAR"/src/python/*/main.py | head -n1)"
cp "$MAIN" "$COLD/main.py.orig"
trap 'cp "$COLD/main.py.orig" "$MAIN"; rm -rf "$COLD"' EXIT
printf '\n# bench edit %s\n' "$(date +%s%N)" >>"$MAIN"
t=$(now); ./pants package :: >"$COLD/edit.log" 2>&1
echo "after editing $MAIN: $(secs "$t" "$(now)") s; artifacts whose content changed:"
fingerprint >"$COLD/after.txt"
diff "$COLD/before.txt" "$COLD/after.txt" | sed -n 's/^> /    /p' | awk '{print "    " $1 " " $2}' || true
echo "    (unchanged: $(comm -12 <(sort "$COLD/before.txt") <(sort "$COLD/after.txt") | wc -l) artifacts)"
cp "$COLD/main.py.orig" "$MAIN"
./pants package :: >/dev/null 2>&1

echo "== artifacts"
for manifest in gears/*/src/docker/manifest.json; do
  g="$(basename "$(dirname "$(dirname "$(dirname "$manifest")")")")"
  pex="dist/pex/$g.pex"
  image="$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['custom']['gear-builder']['image'])" "$manifest")"
  isize="n/a"
  if [ -n "$ENGINE" ]; then
    isize="$($ENGINE image inspect --format '{{.Size}}' "$image" 2>/dev/null | awk '{printf "%.1f MB", $1/1e6}')" || isize="not built"
  fi
  printf '%-18s pex %8s   image %-12s (%s)\n' "$g" "$(du -h "$pex" | cut -f1)" "$isize" "$image"
done

echo "== start-up of $GEAR's pex (/bin/run --help)"
PEX="dist/pex/$GEAR.pex"
t=$(now); PEX_ROOT="$COLD/pexroot" "$PEX" --help >/dev/null; echo "first run (fresh PEX_ROOT):     $(secs "$t" "$(now)") s"
total=0
for _ in 1 2 3 4 5; do
  t=$(now); PEX_ROOT="$COLD/pexroot" "$PEX" --help >/dev/null; e=$(now)
  total=$(python3 -c "print($total + $e - $t)")
done
echo "steady state (mean of 5):       $(python3 -c "print(f'{$total/5:.2f}')") s"
