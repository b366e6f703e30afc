// The live page, checked in headless Chromium against the server's own
// answers. Run by live_page.sh: node live_page.mjs URL INPUT_DIR PID CHROMIUM PNG
import { chromium } from 'playwright-core';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [url, inputDir, pid, executablePath, png] = process.argv.slice(2);
const sleep = ms => new Promise(r => setTimeout(r, ms));
let files = 0;

// A file appears whole, as the file source expects: written, then renamed in.
function put(lines) {
  const name = `part-${String(files++).padStart(3, '0')}.json`;
  writeFileSync(join(inputDir, '.' + name), lines.join('\n') + '\n');
  renameSync(join(inputDir, '.' + name), join(inputDir, name));
}

function tweets(second, langs) {
  return langs.map(l => JSON.stringify({ t: `2021-05-03T07:55:${String(second).padStart(2, '0')}Z`, lang: l }));
}

async function json(path) {
  const res = await fetch(url + path);
  assert.equal(res.status, 200, path);
  return res.json();
}

// Wait until fn() is truthy, polling; fail with `what` after `ms`.
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url + '/');
  assert.match(await page.title(), /sluice/);

  // Before any batch the page says so and keeps asking.
  await until('the first-batch note', () => page.isVisible('#no-batches'));

  // The plan: one box per stage of /plan, the pipeline's name in the header.
  const plan = await json('/plan');
  await until('the plan', async () => (await page.locator('#flow [data-stage]').count()) === plan.stages.length);
  assert.match(await page.textContent('#pipeline'), /live_page/);
  assert.match(await page.textContent('#plan-text'), /stages, in the order data flows/);

  // Data arrives: the query's card and its charts appear.
  put(tweets(1, ['en', 'fr', 'en']));
  await until('a query card', () => page.isVisible('[data-query]'));
  const points = () => page.getAttribute('[data-chart="Input rows per batch"] svg', 'data-points').then(Number);
  const before = await until('a first point', points);

  // More batches, one with a malformed line and one with a late row: the
  // charts gain points.
  put(tweets(30, ['en', 'de']));
  await sleep(700);
  put([...tweets(2, ['en']), 'not json']); // 07:55:02 is before the watermark (07:55:25)
  await sleep(700);
  put(tweets(31, ['fr']));
  await until('new points', async () => (await points()) > before);

  // Once the stream has read all 8 lines and gone quiet, the tiles say what
  // the last record of /progress says.
  const settled = await until('the page to show the last batch', async () => {
    const records = await json('/progress');
    if (records.reduce((s, r) => s + r.numInputRows, 0) < 8) return null;
    const last = records[records.length - 1];
    const shown = await page.getAttribute('[data-metric="batchId"] .value', 'data-value');
    return shown === String(last.batchId) ? { records, last } : null;
  });
  const { records, last } = settled;
  const tile = async key => page.getAttribute(`[data-metric="${key}"] .value`, 'data-value');
  assert.equal(await tile('numInputRows'), String(last.numInputRows));
  assert.equal(await tile('inputRowsPerSecond'), String(last.inputRowsPerSecond));
  const ops = last.stateOperators;
  assert.equal(await tile('stateRows'), String(ops.reduce((s, o) => s + o.numRowsTotal, 0)));
  assert.equal(await tile('stateBytes'), String(ops.reduce((s, o) => s + o.memoryUsedBytes, 0)));
  assert.equal(await tile('watermark'), String(Date.parse(last.eventTime.watermark)));
  // 07:55:31 is the latest event time written, the watermark trails it by
  // the delay (5 s) once that row's batch has run.
  const maxEvent = Math.max(...records.filter(r => r.eventTime.max).map(r => Date.parse(r.eventTime.max)));
  assert.equal(maxEvent, Date.parse('2021-05-03T07:55:31Z'));
  assert.equal(Number(await tile('watermarkLagSeconds')), (maxEvent - Date.parse(last.eventTime.watermark)) / 1000);
  const late = records.reduce((s, r) => s + r.stateOperators.reduce((t, o) => t + o.numRowsDroppedByWatermark, 0), 0);
  const malformed = records.reduce((s, r) => s + r.sources.reduce((t, x) => t + x.numMalformedRows, 0), 0);
  assert.equal(late, 1, 'one late row was written');
  assert.equal(malformed, 1, 'one malformed line was written');
  assert.equal(await tile('lateRowsShown'), String(late));
  assert.equal(await tile('malformedRowsShown'), String(malformed));
  // Every chart has one point per batch /progress kept.
  for (const chart of await page.locator('[data-chart] svg').all())
    assert.equal(await chart.getAttribute('data-points'), String(records.length));

  // The memory table: its rows as GET /tables/langs has them.
  const table = await json('/tables/langs');
  await until('the memory table', async () =>
    (await page.locator('table[data-table="langs"] tbody tr').count()) === table.rows.length);
  const counts = Object.fromEntries(table.rows.map(r => [r.lang, r.n]));
  // The late row counts here (no window, nothing is late), and the
  // malformed line is a row of nulls, as Spark's permissive mode makes it.
  assert.deepEqual(counts, { en: 4, fr: 2, de: 1, null: 1 });

  // No new batch: idle.
  await until('the idle state', async () => (await page.getAttribute('#status', 'data-state')) === 'idle', 12000);

  await page.hover('[data-chart="Batch duration"] svg');
  await until('a tooltip', () => page.isVisible('#tooltip'));
  await page.screenshot({ path: png, fullPage: true });

  // The process goes away: the page says it stopped and keeps its charts
  // (the browser then logs each refused request: not the page's errors).
  assert.deepEqual(errors, [], 'the page logged errors');
  process.kill(Number(pid), 'SIGTERM');
  await until('the stopped state', async () => (await page.getAttribute('#status', 'data-state')) === 'stopped', 15000);
  assert.equal(await points(), records.length);
  console.log(`live page: ${records.length} batches charted, screenshot ${png}`);
} finally {
  await browser.close();
}
