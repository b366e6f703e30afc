#!/usr/bin/env bash
# `make demo`: make sample tweets, show the plan of the lab's pipeline, then
# run it as a stream while new files keep arriving.
set -euo pipefail
sluice=${1:-build/sluice}
data=${2:-demo-data}
stream="$data/stream_tweet"
config=configs/lab1_read_stream.conf

rm -rf "$stream"
mkdir -p "$stream"
echo "== sluice gen tweets: 2 files now, 3 more arriving one per second"
"$sluice" gen tweets "$stream" --files 2 --rows 1000 --seed 1
"$sluice" gen tweets "$stream" --files 3 --rows 1000 --seed 2 --first-index 2 --interval-ms 1000 &
gen=$!
trap 'kill $gen 2>/dev/null || true' EXIT

echo "== sluice check $config"
"$sluice" check "$config" --set tweets.path="$stream" | head -n 12
echo "   ..."

echo "== sluice run $config (one file per micro-batch, a batch a second; 5 batches)"
"$sluice" run "$config" --set tweets.path="$stream" --set runtime.trigger="1 second" \
  --max-batches 5 | sed -e 's/^/   /'
wait $gen 2>/dev/null || true
echo "== done: try 'build/sluice run $config --set tweets.path=$stream' and Ctrl-C to stop"
