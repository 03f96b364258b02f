#!/usr/bin/env bash
# Runs a command with another Node.js line first in PATH: the official binary, as npm's node-linux-<arch> package, cached in .cache/.
#
#   scripts/with-node.sh 26 npx vitest run test/core        # newest 26.x
#   scripts/with-node.sh 26.12.1 node --version             # an exact version
#
# The package is fetched with `npm pack` (which checks the registry's integrity hash) and
# unpacked with tar: nothing of it is installed and none of its scripts run. Only bin/node is
# kept. npm and npx stay the machine's own; they run under the node found first in PATH.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: scripts/with-node.sh <major or exact version> <command> [args...]" >&2
  exit 2
fi
wanted="$1"
shift
if ! [[ "$wanted" =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]]; then
  echo "with-node: '$wanted' is neither a major (26) nor an exact version (26.12.1)" >&2
  exit 2
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-node: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
pkg="node-linux-$arch"

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${AIK_NODE_CACHE:-$root/.cache}"
mkdir -p "$cache"

# A major resolves to its newest release on the registry; when the registry cannot be reached,
# the newest of that major already in the cache is used instead, and said so.
if [[ "$wanted" =~ \. ]]; then
  version="$wanted"
elif version="$(npm view "$pkg@$wanted" version --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = JSON.parse(s); const list = Array.isArray(v) ? v : [v];
      process.stdout.write(String(list[list.length - 1] ?? ""));
    });')" && [ -n "$version" ]; then
  :
else
  version="$(ls -1 "$cache" 2>/dev/null | sed -n "s/^node-\($wanted\.[0-9]*\.[0-9]*\)-$arch\$/\1/p" | sort -V | tail -n 1)"
  if [ -z "$version" ]; then
    echo "with-node: cannot resolve $pkg@$wanted on the npm registry, and none is cached in $cache" >&2
    exit 1
  fi
  echo "with-node: registry unreachable, using cached Node $version" >&2
fi

dir="$cache/node-$version-$arch"
if [ ! -x "$dir/bin/node" ]; then
  work="$(mktemp -d "$cache/.fetch-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "with-node: fetching $pkg@$version from the npm registry" >&2
  tarball="$(cd "$work" && npm pack "$pkg@$version" --silent)"
  mkdir -p "$work/node/bin"
  tar -xzf "$work/$tarball" -C "$work/node/bin" --strip-components=2 package/bin/node
  # Another run may have finished first: either copy is the same file.
  mv -T "$work/node" "$dir" 2>/dev/null || true
  rm -rf "$work"
  trap - EXIT
fi

actual="$("$dir/bin/node" --version)"
if [ "$actual" != "v$version" ]; then
  echo "with-node: $dir/bin/node reports $actual, not v$version; delete $dir and try again" >&2
  exit 1
fi
echo "with-node: $actual ($dir/bin/node)" >&2
PATH="$dir/bin:$PATH" exec "$@"
