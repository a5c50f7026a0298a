// Renders the JSON lines of bench/epoll-gen/run.sh as a markdown table: per server, the median over the
// rounds (and each round's figure) of the server's CPU µs per echo, voluntary context switches and
// thread-pool work items per echo, RTT p50 / p99 / p99.9, and echoes per pacing tick (about 10 at 10k/s; far
// more: the generator was starved and the row is not to be trusted).
//
//   node bench/epoll-gen/summarize.mjs runs.jsonl [title]
import fs from 'node:fs';

const [file, title = 'S4 through the epoll generator (bench/epoll-gen)'] = process.argv.slice(2);
const runs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const byServer = new Map();
for (const run of runs) {
  if (!byServer.has(run.server)) byServer.set(run.server, []);
  byServer.get(run.server).push(run.result);
}
const median = (xs) => {
  const s = xs.filter((x) => x !== undefined && x !== null && !Number.isNaN(+x)).map(Number).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cell = (xs, digits = 1) => {
  const m = median(xs);
  return m === undefined ? '–' : m.toFixed(digits);
};
const mode = runs.find((r) => r.result?.mode)?.result.mode ?? '';
console.log(`\n### ${title}${mode ? `, ${mode}` : ''}\n`);
// rooms.mjs's fan-out rows or s4-echo.mjs's echoes: the header and the cells after the server's name.
const col = (ok, key, digits = 1) => cell(ok.map((r) => r[key]), digits);
const table = runs.some((r) => r.result?.cpu_us_per_delivery !== undefined)
  ? {
    head: '| Server | CPU µs per delivery (median; each round) | deliveries/s | server CPU % | vcsw per delivery | latency p50 / p99 / p99.9 ms | generator CPU % |',
    row: (ok) => `**${col(ok, 'cpu_us_per_delivery', 2)}** (${ok.map((r) => r.cpu_us_per_delivery).join(', ')}) | ${col(ok, 'deliveries_per_s', 0)} | ${col(ok, 'cpu_pct')} | ${col(ok, 'vcsw_per_delivery', 3)} | ${col(ok, 'p50_ms', 2)} / ${col(ok, 'p99_ms', 2)} / ${col(ok, 'p999_ms', 2)} | ${col(ok, 'generator_cpu_pct')}`,
  }
  : {
    head: '| Server | CPU µs per echo (median; each round) | echoes/s | vcsw per echo | work items per echo | RTT p50 / p99 / p99.9 ms | echoes per tick |',
    row: (ok) => `**${col(ok, 'cpu_us_per_echo')}** (${ok.map((r) => r.cpu_us_per_echo).join(', ')}) | ${col(ok, 'echoes_per_s', 0)} | ${col(ok, 'vcsw_per_echo', 3)} | ${col(ok, 'work_items_per_echo', 2)} | ${col(ok, 'rtt_p50', 2)} / ${col(ok, 'rtt_p99', 2)} / ${col(ok, 'rtt_p999', 2)} | ${col(ok, 'sends_per_tick', 1)}`,
  };
console.log(table.head);
console.log('|---|---|---:|---:|---:|---|---:|');
for (const [server, results] of byServer) {
  const ok = results.filter((r) => !r.error);
  console.log(ok.length === 0 ? `| ${server} | failed | | | | | |` : `| ${server} | ${table.row(ok)} |`);
}
