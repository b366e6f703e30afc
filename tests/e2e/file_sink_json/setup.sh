# Three input files, three batches, written on the parallel path.
"$SLUICE" gen tweets input --files 3 --rows 40 --seed 11
cp "$SLUICE_SOURCE_DIR/configs/schemas/tweet.json" tweet.json
"$SLUICE" run pipeline.conf --set runtime.threads=4
# What a crash in batch 3, before its manifest, leaves behind.
printf '{"author":"leftover"}\n' > out/part-00003-00000.json
printf '{"author":"half' > out/.part-00003-00001.json.tmp
