# Generated tweets, one file per batch; labagg.py (from lab2_lang_count) recomputes
# the expected rows of every batch in Python.
"$SLUICE" gen tweets input --files 4 --rows 30 --seed 14
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab2_lang_count/labagg.py" .
