// The benchmark queries in DuckDB, for comparison (optional: bench.py runs
// this only when node is present and `@duckdb/node-api` installs into the
// cache directory).
// Usage: node duckdb.mjs MODULES_DIR DATA_DIR QUERY THREADS [needed|full]
// Prints one line of JSON: {"query_s": seconds for the query alone}; the
// caller times the whole process, start-up included.
//
// Two formulations of the read, and the caller keeps the faster: `needed`
// declares only the struct fields the query reads (as sluice parses only
// those), `full` declares the lab's whole tweet schema, which DuckDB's JSON
// reader turns out to read about 1.5x faster on these files.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [modules, data, query, threads, formulation = "needed"] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { DuckDBInstance } = require("@duckdb/node-api");

// The same work as the sluice configs of the same name: each names the
// columns it reads (sluice gets a schema too), aggregates, and materialises
// its result.
const files = `'${path.join(data, "*.json")}'`;

// A Spark StructType (configs/schemas/tweet.json) as DuckDB types.
function duckType(t) {
  if (typeof t === "string")
    return { string: "VARCHAR", long: "BIGINT", integer: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN",
             timestamp: "VARCHAR" }[t];
  if (t.type === "array") return `${duckType(t.elementType)}[]`;
  return `STRUCT(${t.fields.map((f) => `"${f.name}" ${duckType(f.type)}`).join(", ")})`;
}
const here = path.dirname(fileURLToPath(import.meta.url));
const tweet = JSON.parse(fs.readFileSync(path.join(here, "../../configs/schemas/tweet.json"), "utf8"));
const fullColumns = tweet.fields.map((f) => `${f.name}: '${duckType(f.type)}'`).join(", ");

const readFrom = (where, columns, extra = "") =>
  formulation === "full"
    ? `read_json(${where}, format = 'newline_delimited', columns = {${fullColumns}}${extra})`
    : `read_json(${where}, format = 'newline_delimited', columns = {data: '${columns}'}${extra})`;
const read = (columns) => readFrom(files, columns);
// bench.py's layouts beside the data set: the files linked into day=
// directories, and the static users table (every other author).
const byDay = `'${path.join(data + "-by-day", "*", "*.json")}'`;
const users = `read_csv('${path.join(data + "-users", "users.csv")}', header = true,
                        columns = {'id': 'VARCHAR', 'name': 'VARCHAR'})`;
const QUERIES = {
  lang_count: `SELECT data.lang AS lang, count(*) AS count FROM ${read("STRUCT(lang VARCHAR)")} GROUP BY ALL`,
  hashtag_count: `SELECT h.tag AS hashtag, count(*) AS count
                  FROM (SELECT unnest(data.entities.hashtags) AS h
                        FROM ${read("STRUCT(entities STRUCT(hashtags STRUCT(tag VARCHAR)[]))")})
                  GROUP BY ALL`,
  covid_filter: `SELECT data.text, data.lang FROM ${read("STRUCT(text VARCHAR, lang VARCHAR)")}
                 WHERE lower(data.text) LIKE '%covid%'`,
  read_1_column: `SELECT data.lang FROM ${read("STRUCT(lang VARCHAR)")}`,
  window_sliding: `SELECT s AS start, count(*) AS count FROM (
                     SELECT unnest([b, b - INTERVAL 5 SECOND]) AS s
                     FROM (SELECT time_bucket(INTERVAL 5 SECOND, data.created_at::TIMESTAMPTZ) AS b
                           FROM ${read("STRUCT(created_at VARCHAR)")}))
                   GROUP BY ALL`,
  partition_count: `SELECT day, count(*) AS count
                    FROM ${readFrom(byDay, "STRUCT(lang VARCHAR)", ", hive_partitioning = true")} GROUP BY ALL`,
  join_count: `SELECT t.data.lang AS lang, count(*) AS count
               FROM ${read("STRUCT(author_id VARCHAR, lang VARCHAR)")} t JOIN ${users} u ON t.data.author_id = u.id
               GROUP BY ALL`,
  dedup_count: `SELECT lang, count(*) AS count FROM (
                  SELECT any_value(data.lang) AS lang FROM ${read("STRUCT(author_id VARCHAR, text VARCHAR, lang VARCHAR)")}
                  GROUP BY data.author_id, data.text)
                GROUP BY ALL`,
  text_count: `SELECT data.text AS text, count(*) AS count FROM ${read("STRUCT(text VARCHAR)")} GROUP BY ALL`,
};

if (!QUERIES[query]) {
  console.error(`no DuckDB version of '${query}'`);
  process.exit(3);
}
const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
const conn = await instance.connect();
const t0 = process.hrtime.bigint();
const reader = await conn.runAndReadAll(QUERIES[query]);
const rows = reader.getRows().length;
const t1 = process.hrtime.bigint();
console.log(JSON.stringify({ query_s: Number(t1 - t0) / 1e9, rows }));
