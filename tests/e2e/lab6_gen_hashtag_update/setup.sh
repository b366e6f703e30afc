# Generated tweets with 10% late ones, 8 s of event time per file; labwindow.py
# (from lab6_gen_late) recomputes every batch in Python.
"$SLUICE" gen tweets input --files 8 --rows 200 --seed 22 --late 0.1 --step-ms 40
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab6_gen_late/labwindow.py" .
