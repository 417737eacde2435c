#!/bin/sh
# Attention Lens GPU kit (built by `npm run gpu:kit`; docs/gpu-check.md). Unpacks the kit's archives,
# found beside this script, into a scratch folder — attention-lens-gpu-kit.tar.gz with tar and gzip, then
# the app (-app.tar.br) and, when it is there, the peers (-peers.tar.br) with the kit's own Node, which
# has brotli — and runs gpu:check with the kit's own Node, Dawn (npm webgpu) and Vulkan loader: nothing
# installed on this host is used but sh, tar, gzip and the GPU driver itself.
#
#   sh run-gpu-check.sh [--out DIR] [--quick] [--budget SECONDS] [--icd auto|nvidia|software|all]
#                       [--parts adapters,tests,bench,quality] [--allow-software]
#
# Results: DIR/<adapter>.json (the benchmark's results file with a `check` object), <adapter>.md and
# gpu-check.log; DIR defaults to ./gpu-check-results. GPU_KIT_KEEP=1 keeps the scratch folder;
# TMPDIR chooses where it goes (it must allow executables: not a noexec /tmp).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
archive="$here/attention-lens-gpu-kit.tar.gz"
if [ ! -f "$archive" ]; then
  echo "gpu-check: $archive not found: build it with npm run gpu:kit and keep run-gpu-check.sh beside it" >&2
  exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/attention-lens-gpu-kit.XXXXXX")
cleanup() {
  if [ "${GPU_KIT_KEEP:-0}" != 1 ]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

if ! tar -xzf "$archive" -C "$scratch"; then
  echo "gpu-check: could not unpack $archive into $scratch (a truncated copy? a full disk?)" >&2
  exit 2
fi
kit="$scratch/attention-lens-gpu-kit"
node="$kit/node/bin/node"

# The kit's Vulkan loader first. Its fallback C++ runtime (Debian 12's) only when the host's is too old
# for the kit's Node and Dawn (they need GLIBCXX_3.4.30): a newer host library is never shadowed.
LD_LIBRARY_PATH="$kit/lib/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
if ! "$node" -e 0 >/dev/null 2>&1; then
  LD_LIBRARY_PATH="$kit/lib/vulkan:$kit/lib/fallback${LD_LIBRARY_PATH#"$kit/lib/vulkan"}"
  if ! why=$("$node" -e 0 2>&1); then
    echo "gpu-check: the kit's Node does not start on this host ($(uname -srm)): $why — it needs x86-64 Linux with glibc 2.34 or newer, and a scratch folder that allows executables (set TMPDIR elsewhere if $scratch is noexec)" >&2
    exit 2
  fi
  echo "gpu-check: this host's C++ runtime is older than the kit's Node needs; using the kit's (Debian 12 libstdc++6)" >&2
fi

# A brotli-packed tar, unpacked into the scratch folder by the kit's Node and the host's tar; fails when either does.
unbrotli() {
  "$node" -e '
    const [file, dir] = process.argv.slice(1);
    const tar = require("child_process").spawn("tar", ["-xf", "-", "-C", dir], { stdio: ["pipe", "inherit", "inherit"] });
    const stop = (e) => { console.error(e.message); tar.kill(); process.exit(1); };
    require("fs").createReadStream(file).on("error", stop).pipe(require("zlib").createBrotliDecompress()).on("error", stop).pipe(tar.stdin);
    tar.on("close", (code) => process.exit(code === 0 ? 0 : 1));' "$1" "$scratch"
}
if ! unbrotli "$here/attention-lens-gpu-kit-app.tar.br"; then
  echo "gpu-check: could not unpack $here/attention-lens-gpu-kit-app.tar.br (missing? truncated? a full disk?): keep the kit's files together" >&2
  exit 2
fi
# The peers are optional: without them the check runs and its peers part says why not.
peers="$here/attention-lens-gpu-kit-peers.tar.br"
if [ -f "$peers" ] && ! unbrotli "$peers"; then
  echo "gpu-check: could not unpack $peers: the check runs without the peers" >&2
fi

# No exec: the trap removes the scratch folder when the check ends.
status=0
"$node" "$kit/app/out/bench/gpuCheck.mjs" --kit "$kit" "$@" || status=$?
exit "$status"
