# 4 files of generated tweets, 2% of lines malformed (null rows under the
# permissive mode, which drop_nulls then drops), some late.
"$SLUICE" gen tweets input --files 4 --rows 150 --seed 7 --malformed 0.02 --late 0.1
cp "$SLUICE_SOURCE_DIR/configs/schemas/tweet.json" tweet.json
