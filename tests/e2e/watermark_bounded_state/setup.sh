# Twenty minutes of event time: 60 files of 500 tweets, 40 ms apart (20 s per
# file), 5% of them 10-60 s late.
"$SLUICE" gen tweets input --files 60 --rows 500 --seed 31 --late 0.05 --step-ms 40
