"$SLUICE" run pipeline.conf
# The file source reads the sink's part files back, as Spark's JSON reader would.
mkdir back
cp out_json/part-*.json back/
cat > read_back.conf <<'CONF'
name = "read_back";
runtime = { trigger = "once"; };
stages = (
  { name = "rows"; source = "file"; path = "back"; schema = "n LONG, t TIMESTAMP"; mode = "fail_fast"; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }
);
CONF
