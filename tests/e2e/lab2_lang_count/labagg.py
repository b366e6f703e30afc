"""Independent recomputation of the lab's aggregations (hands-on 1, 2, 4)
from the input files, in plain Python, to check what sluice printed.

Files are read in name order, `files_per_batch` of them per micro-batch
(max_files_per_trigger; 1 unless a case says otherwise). A line that is not JSON is a row of nulls (permissive mode).
Complete mode prints every group after each batch, update mode only the
groups that got rows in that batch, each with its running totals. Rows
are compared per batch as sets: the order sluice prints them in is checked
by the hand-written cases.

Cases copy this file next to their verify.py in setup.sh."""
import glob
import json
import os
import sys


def string(v):
    # Spark's JSON reader keeps a non-string value of a string field as its JSON text.
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))


def long(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def obj(v):
    return v if isinstance(v, dict) else {}


def tweets(files_per_batch=1):
    """(batch, tweet) for every line, a malformed line as {}."""
    files = sorted(f for f in glob.glob("input/*") if os.path.basename(f)[0] not in "._")
    for i, path in enumerate(files):
        batch = i // files_per_batch
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            try:
                t = json.loads(line)
            except ValueError:
                t = {}
            yield batch, obj(t)


def hashtag_rows(t):
    """The rows explode(data.entities.hashtags) makes of one tweet: its tags."""
    tags = obj(obj(t.get("data")).get("entities")).get("hashtags")
    if not isinstance(tags, list):
        return []
    return [string(h.get("tag")) if isinstance(h, dict) else None for h in tags]


def metric(t, name):
    return long(obj(obj(t.get("data")).get("public_metrics")).get(name))


def lang(t):
    return string(obj(t.get("data")).get("lang"))


class Avg:
    def __init__(self):
        self.sum, self.n = 0, 0

    def add(self, v):
        if v is not None:
            self.sum += v
            self.n += 1

    def result(self):
        return float(self.sum) / self.n if self.n else None


class Extreme:
    def __init__(self, pick):
        self.v, self.pick = None, pick

    def add(self, v):
        if v is not None:
            self.v = v if self.v is None else self.pick(self.v, v)

    def result(self):
        return self.v


class Count:
    def __init__(self):
        self.n = 0

    def add(self, v=1):
        self.n += 1

    def result(self):
        return self.n


class Distinct:
    def __init__(self):
        self.seen = set()

    def add(self, v):
        if v is not None:
            self.seen.add(v)

    def result(self):
        return len(self.seen)


# query -> (key columns, aggregate columns and their state makers, row maker,
# grouping sets as tuples of key indexes, whether the global group always shows)
def queries():
    cube_sets = [(0, 1), (0,), (1,), ()]
    return {
        "stream_size": ([], [("count(1)", Count)], lambda t: [((), (None,))], [()], True),
        "lang_count": (["lang"], [("count", Count)], lambda t: [((lang(t),), (None,))], [(0,)], False),
        "has_hashtag": (["has_hashtag"], [("count", Count)],
                        lambda t: [((obj(obj(t.get("data")).get("entities")).get("hashtags") is not None,), (None,))],
                        [(0,)], False),
        "distinct_hashtags": ([], [("count(DISTINCT hashtag)", Distinct)],
                              lambda t: [((), (h,)) for h in hashtag_rows(t)], [()], True),
        "hashtag_likes": (["hashtag"],
                          [("avg(like_count)", Avg), ("min(like_count)", lambda: Extreme(min)),
                           ("max(like_count)", lambda: Extreme(max))],
                          lambda t: [((h,), (metric(t, "like_count"),) * 3) for h in hashtag_rows(t)], [(0,)], False),
        "cube": (["hashtag", "lang"],
                 [("avg(like_count)", Avg), ("avg(retweet_count)", Avg), ("avg(quote_count)", Avg)],
                 lambda t: [((h, lang(t)), (metric(t, "like_count"), metric(t, "retweet_count"),
                                            metric(t, "quote_count"))) for h in hashtag_rows(t)],
                 cube_sets, False),
    }


def expected(query, mode, files_per_batch=1):
    """The rows sluice must print, per batch."""
    keys, aggs, rows_of, sets, always = queries()[query]
    batches = []
    for batch, t in tweets(files_per_batch):
        while len(batches) <= batch:
            batches.append([])
        batches[batch].append(t)
    groups = {}  # (grouping set, key values) -> aggregate states, kept across batches
    want = []
    for ts in batches:
        touched = set()
        for t in ts:
            for key, values in rows_of(t):
                for s in sets:
                    gk = (s, tuple(key[i] if i in s else None for i in range(len(keys))))
                    states = groups.setdefault(gk, [make() for _, make in aggs])
                    for st, v in zip(states, values):
                        st.add(v)
                    touched.add(gk)
        out = []
        for gk, states in groups.items():
            # A global aggregate answers every batch, in update mode too.
            if mode == "update" and gk not in touched and not always:
                continue
            row = dict(zip(keys, gk[1]))
            row.update((name, st.result()) for (name, _), st in zip(aggs, states))
            out.append(row)
        if always and not groups:
            out.append({name: make().result() for name, make in aggs})
        want.append(out)
    return want


def canon(row):
    return json.dumps(row, sort_keys=True)


def check(query, mode, stdout_path, files_per_batch=1):
    want = expected(query, mode, files_per_batch)
    got = {}
    for line in open(stdout_path, encoding="utf-8"):
        if line.strip():
            rec = json.loads(line)
            got.setdefault(rec["batch_id"], []).append(rec["row"])
    ok = True
    if sorted(got) != list(range(len(want))):
        print("batches printed: %s, expected 0..%d" % (sorted(got), len(want) - 1))
        ok = False
    keys, aggs = queries()[query][:2]
    columns = keys + [name for name, _ in aggs]
    for b, rows in enumerate(want):
        actual = got.get(b, [])
        for r in actual:
            if list(r) != columns:
                print("batch %d: columns %s, expected %s" % (b, list(r), columns))
                ok = False
                break
        a, e = sorted(map(canon, actual)), sorted(map(canon, rows))
        if a != e:
            print("batch %d differs:\n  missing %s\n  unexpected %s" % (b, sorted(set(e) - set(a))[:5],
                                                                      sorted(set(a) - set(e))[:5]))
            ok = False
    if len(want) < 3:
        print("the input no longer spans three batches")
        ok = False
    if ok:
        print("ok: %s (%s), %d batches, %d rows" % (query, mode, len(want), sum(len(r) for r in want)))
    return ok


if __name__ == "__main__":
    sys.exit(0 if check(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1) else 1)
