# Generated tweets with 5% late ones, 8 s of event time per file; labwindow.py
# (from lab6_gen_late) recomputes the sliding windows of every batch.
"$SLUICE" gen tweets input --files 5 --rows 200 --seed 23 --late 0.05 --step-ms 40
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab6_gen_late/labwindow.py" .
