// Checks the Grafana dashboard and the metric names around it:
//  - the dashboard JSON parses, its panels have unique ids and use the provisioned data source;
//  - every metric it queries is a name of the contract (metric_names.txt), a regex over names
//    (__name__=~"...") matches at least one, and histogram suffixes only follow histograms;
//  - docs/metrics.md names exactly the contract's metrics;
//  - writes every query as a recording rule to RULES_OUT, for `promtool check rules` (PromQL syntax).
//   node check_dashboard.js DASHBOARD.json DATASOURCE.yaml DOCS.md RULES_OUT.yaml
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const {readYamlStream} = require('./yaml_stream');

const [dashboardFile, datasourceFile, docsFile, rulesOut] = process.argv.slice(2);
const problems = [];

const contract = new Map();
for (const line of fs.readFileSync(path.join(__dirname, 'metric_names.txt'), 'utf8').split('\n')) {
  const m = line.match(/^(fulcrum_\w+)\s+(\w+)$/);
  if (m) contract.set(m[1], m[2]);
}
// Every series name the contract's metrics expose.
const series = new Set();
for (const [name, type] of contract) {
  series.add(name);
  if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) series.add(name + s);
}

let dashboard;
try {
  dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8'));
} catch (e) {
  console.log(`FAIL ${dashboardFile}: ${e.message}`);
  process.exit(1);
}
const datasourceUids = readYamlStream(datasourceFile).flatMap((d) => (d.datasources || []).map((s) => s.uid));

const panels = [];
const collect = (list) => { for (const p of list || []) { panels.push(p); collect(p.panels); } };
collect(dashboard.panels);
const ids = panels.map((p) => p.id);
if (new Set(ids).size !== ids.length) problems.push('panel ids are not unique');

const rules = [];
for (const p of panels.filter((x) => x.type !== 'row')) {
  const where = `panel "${p.title}"`;
  if (!p.datasource || !datasourceUids.includes(p.datasource.uid)) {
    problems.push(`${where}: data source uid ${p.datasource && p.datasource.uid} is not provisioned (${datasourceUids})`);
  }
  if (!p.targets || p.targets.length === 0) problems.push(`${where}: no queries`);
  for (const t of p.targets || []) {
    const expr = t.expr || '';
    for (const m of expr.matchAll(/__name__\s*=~\s*"([^"]*)"/g)) {
      const re = new RegExp(`^(?:${m[1]})$`);
      if (![...series].some((s) => re.test(s))) problems.push(`${where}: ${m[1]} matches no metric of the contract`);
    }
    const plain = expr.replace(/__name__\s*=~\s*"[^"]*"/g, '');
    for (const m of plain.matchAll(/\bfulcrum_[a-z0-9_]+/g)) {
      if (!series.has(m[0])) problems.push(`${where}: ${m[0]} is no metric of the contract`);
    }
    rules.push({record: `dashboard:query_${rules.length + 1}`, expr: expr.replace(/\$__rate_interval|\$__interval/g, '1m')});
  }
}

const docs = fs.readFileSync(docsFile, 'utf8');
const documented = new Set([...docs.matchAll(/\bfulcrum_[a-z0-9_]+/g)].map((m) => m[0])
  .filter((n) => !/^fulcrum_(pipeline|work|sentencepiece)/.test(n)));
for (const name of contract.keys()) {
  if (!documented.has(name)) problems.push(`${docsFile}: does not name ${name}`);
}
for (const name of documented) {
  if (!series.has(name)) problems.push(`${docsFile}: names ${name}, which is no metric of the contract`);
}

fs.writeFileSync(rulesOut, YAML.stringify({groups: [{name: 'dashboard', rules}]}));
if (problems.length > 0) {
  console.log(`FAIL ${path.basename(dashboardFile)}: ${problems.length} problem(s)`);
  for (const p of problems) console.log(`    ${p}`);
  process.exit(1);
}
console.log(`PASS ${path.basename(dashboardFile)}: ${panels.length} panels, ${rules.length} queries over ` +
            `${contract.size} contract metrics; docs name them all`);
