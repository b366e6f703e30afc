# Generated tweets with 10% late ones (created_at 10-60 s behind), 40 ms of
# event time between tweets, 8 s per file; labwindow.py recomputes every
# batch, the watermark drops and the state size in Python.
"$SLUICE" gen tweets input --files 6 --rows 200 --seed 21 --late 0.1 --step-ms 40
