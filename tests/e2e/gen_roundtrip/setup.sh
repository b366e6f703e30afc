# 3 files of generated tweets, 2% of lines malformed, some late.
"$SLUICE" gen tweets input --files 3 --rows 200 --seed 11 --malformed 0.02 --late 0.1
cp "$SLUICE_SOURCE_DIR/configs/schemas/tweet.json" tweet.json
