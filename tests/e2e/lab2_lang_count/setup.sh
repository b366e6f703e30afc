# Generated tweets, one file per batch; labagg.py (from lab2_lang_count) recomputes
# the expected rows of every batch in Python.
"$SLUICE" gen tweets input --files 4 --rows 40 --seed 11 --malformed 0.05
