"""Work out each timestamp's text independently of sluice (Python's
datetime, shifted by whole 400-year Gregorian cycles where its years
0001-9999 end) and compare with `sluice cat` of the JSON and CSV outputs
and with the file source reading the JSON part files back."""
import datetime
import json
import os
import subprocess
import sys

CYCLE_S = 146097 * 86400  # seconds in 400 Gregorian years
EPOCH = datetime.datetime(1970, 1, 1)


def spark_text(secs):
    """Java's uuuu-MM-dd'T'HH:mm:ss.SSSXXX of an epoch second, in UTC."""
    k = 0
    while secs >= 253402300800:  # past 9999
        secs -= CYCLE_S
        k += 1
    while secs < -62135596800:  # before 0001
        secs += CYCLE_S
        k -= 1
    d = EPOCH + datetime.timedelta(seconds=secs)
    year = d.year + 400 * k
    y = f"+{year}" if year > 9999 else f"-{-year:04d}" if year < 0 else f"{year:04d}"
    return y + d.strftime("-%m-%dT%H:%M:%S.000Z")


ns = [json.loads(line)["n"] for line in open("input/times.json")]
want = [{"n": n, "t": None if n is None else spark_text(n)} for n in ns]


def rows(text):
    return [json.loads(line) for line in text.splitlines()]


fail = False
for name, got in [("cat out_json", rows(open(sys.argv[1]).read())),
                  ("cat out_csv", rows(subprocess.run([os.environ["SLUICE"], "cat", "out_csv"], capture_output=True,
                                                      text=True, check=True).stdout)),
                  ("the file source", [r["row"] for r in rows(subprocess.run(
                      [os.environ["SLUICE"], "run", "read_back.conf", "-q"], capture_output=True, text=True,
                      check=True).stdout)])]:
    if got != want:
        fail = True
        print(f"{name}: got", file=sys.stderr)
        for g, w in zip(got, want):
            print(f"  {g}{'' if g == w else '   want ' + str(w)}", file=sys.stderr)
sys.exit(1 if fail else 0)
