# Generated tweets with 10% late ones, 8 s of event time per file; labwindow.py
# (from lab6_gen_late) recomputes what the file sink must hold.
"$SLUICE" gen tweets input --files 8 --rows 200 --seed 24 --late 0.1 --step-ms 40
cp "$SLUICE_SOURCE_DIR/tests/e2e/lab6_gen_late/labwindow.py" .
