"""Recompute the rows of the hands-on 3 chain (drop_nulls, with_column,
filter, explode, select) from the generated input files with Python's json
module, independently of sluice, and compare with what the console printed."""
import datetime
import glob
import json
import os
import sys

FILES_PER_BATCH = 2  # max_files_per_trigger in pipeline.conf


def string(v):
    # Spark's JSON reader keeps a non-string value of a string field as its JSON text.
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))


def long(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def ts(v):
    if not isinstance(v, str):
        return None
    try:
        d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    d = d.astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def struct(v):
    return v if isinstance(v, dict) else {}


expected = []
files = sorted(f for f in glob.glob("input/*") if os.path.basename(f)[0] not in "._")
for i, path in enumerate(files):
    batch = i // FILES_PER_BATCH
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        try:
            tweet = json.loads(line)
        except ValueError:
            tweet = {}  # permissive: a row of nulls
        data = tweet.get("data") if isinstance(tweet, dict) else None
        if not isinstance(data, dict):
            continue  # data.text is null: drop_nulls drops it
        text, lang = string(data.get("text")), string(data.get("lang"))
        if text is None or lang is None:
            continue
        covid = "covid" in text.lower()
        tags = struct(data.get("entities")).get("hashtags")
        if not isinstance(tags, list) or len(tags) == 0:
            continue  # size() is -1 or 0
        likes = long(struct(data.get("public_metrics")).get("like_count"))
        created = ts(data.get("created_at"))
        for h in tags:
            tag = string(h.get("tag")) if isinstance(h, dict) else None
            expected.append({"batch_id": batch, "row": {"hashtag": tag, "lang": lang, "covid_related": covid,
                                                        "likes": likes, "created_at": created}})

actual = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
if len(actual) != len(expected):
    print("expected %d rows, got %d" % (len(expected), len(actual)))
for n, (a, e) in enumerate(zip(actual, expected)):
    if a != e or list(a["row"]) != list(e["row"]):  # values and column order
        print("row %d differs:\n  expected %s\n  actual   %s" % (n, json.dumps(e), json.dumps(a)))
        sys.exit(1)
if len(actual) != len(expected):
    sys.exit(1)
if not any(e["row"]["covid_related"] for e in expected) or len({e["batch_id"] for e in expected}) < 2:
    print("the generated input no longer covers covid tweets and two batches: change the seed")
    sys.exit(1)
print("ok: %d rows" % len(actual))
