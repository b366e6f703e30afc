# Generated tweets, three files (three units, read concurrently with
# threads = 4) per batch. expected.stdout holds the exact output, order
# included, so the threads = 1 and threads = 4 runs must print the same
# bytes; labagg.py (from lab2_lang_count) recomputes the values.
"$SLUICE" gen tweets input --files 9 --rows 40 --seed 21 --malformed 0.03
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab2_lang_count/labagg.py" .
