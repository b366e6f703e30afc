#!/usr/bin/env bash
# `make demo`: the lab's main pipeline, live. Tweets keep arriving in a
# folder; sluice counts them by language into a memory table (hands-on 2),
# and `sluice query` reads the table with SQL every 2 seconds while the
# stream runs, as the lab's spark.sql(...).show() loop does.
set -euo pipefail
sluice=${1:-build/sluice}
data=${2:-demo-data}
port=${DEMO_PORT:-4040}
stream="$data/stream_tweet"
config=configs/lab2_lang_count_memory.conf
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rm -rf "$stream"
mkdir -p "$stream"
echo "== sluice gen tweets: 2 files of 1000 tweets now, 6 more arriving one a second"
"$sluice" gen tweets "$stream" --files 2 --rows 1000 --seed 1
"$sluice" gen tweets "$stream" --files 6 --rows 1000 --seed 1 --first-index 2 --interval-ms 1000 &
pids+=($!)

echo "== sluice check $config"
"$sluice" check "$config" --set tweets.path="$stream" --set runtime.http="127.0.0.1:$port" | sed -n '1,8p'
echo "   ..."

echo "== sluice run $config   (a micro-batch a second, one new file each, http on 127.0.0.1:$port)"
"$sluice" run "$config" --set tweets.path="$stream" --set runtime.trigger="1 second" \
  --set runtime.http="127.0.0.1:$port" &
pids+=($!)
sleep 1.5

query="SELECT lang, count FROM lang_count ORDER BY count DESC LIMIT 5"
echo "== sluice query \"$query\" --watch 2s --count 4"
"$sluice" query "$query" --http "127.0.0.1:$port" --watch 2s --count 4

echo "== stopping the stream (SIGTERM: the current batch finishes, exit 0)"
kill -TERM "${pids[1]}"
wait "${pids[1]}" && echo "   sluice run exited 0"
echo "== more: configs/ has a pipeline per lab exercise; 'build/sluice plugins' lists what they use"
