# Generated tweets, one file per batch; labagg.py (from lab2_lang_count) recomputes
# the expected rows of every batch in Python.
"$SLUICE" gen tweets input --files 3 --rows 25 --seed 15 --malformed 0.04
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab2_lang_count/labagg.py" .
