// Runs the command of every Fulcrum container of a resolved compose file or a rendered overlay with
// --check appended, by the binary it names, and expects "<binary>: flags ok" and exit 0: the flags,
// and the pipeline or config files they name, are what that binary accepts.
//   node container_commands.js --bin_dir=DIR --configs=DIR compose:FILE k8s:FILE...
// Paths in the image are mapped to this tree: /opt/fulcrum/bin -> --bin_dir, /opt/fulcrum/configs ->
// --configs, a ConfigMap volume's mount path -> a temporary folder holding the ConfigMap's files.
// Each command runs in an empty temporary folder (the containers' /work). Prints PASS or FAIL per
// container; exits 1 on any failure.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawn} = require('child_process');
const {readYamlStream} = require('./yaml_stream');

const options = {};
const sources = [];
for (const arg of process.argv.slice(2)) {
  const m = arg.match(/^--(\w+)=(.*)$/);
  if (m) options[m[1]] = m[2];
  else sources.push(arg);
}
if (!options.bin_dir || !options.configs || sources.length === 0) {
  console.error('usage: node container_commands.js --bin_dir=DIR --configs=DIR compose:FILE|k8s:FILE...');
  process.exit(2);
}
const binDir = path.resolve(options.bin_dir);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-commands-'));
process.on('exit', () => fs.rmSync(tmp, {recursive: true, force: true}));

const isFulcrumImage = (image) => /^fulcrum/.test(String(image || '').split('/').pop());

// Containers of a resolved compose file: {where, argv, mounts}.
function composeContainers(file) {
  const config = readYamlStream(file)[0] || {};
  return Object.entries(config.services || {})
    .filter(([, s]) => isFulcrumImage(s.image))
    .map(([name, s]) => ({
      where: `${path.basename(file)} service ${name}`,
      argv: Array.isArray(s.command) ? s.command : String(s.command || '').split(/\s+/).filter(Boolean),
      mounts: {},
    }));
}

// A ConfigMap volume as files in a folder named by their content (the same files, the same folder).
function configMapFolder(configMap, items) {
  const data = configMap.data || {};
  const files = items ? items.map((i) => [i.path, data[i.key]]) : Object.entries(data);
  const hash = crypto.createHash('sha1').update(JSON.stringify(files)).digest('hex').slice(0, 12);
  const dir = path.join(tmp, 'configmaps', hash);
  for (const [name, content] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), {recursive: true});
    fs.writeFileSync(path.join(dir, name), content === undefined ? '' : content);
  }
  return dir;
}

// Containers of a rendered overlay, with the ConfigMap volumes each one mounts.
function k8sContainers(file) {
  const objects = readYamlStream(file);
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
  const containers = [];
  for (const o of objects) {
    const podSpec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec :
                    ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind) ? o.spec.template.spec : null;
    if (!podSpec) continue;
    const volumes = new Map((podSpec.volumes || []).map((v) => [v.name, v]));
    for (const c of [...(podSpec.initContainers || []), ...(podSpec.containers || [])]) {
      if (!isFulcrumImage(c.image)) continue;
      const mounts = {};
      let problem = null;
      for (const m of c.volumeMounts || []) {
        const volume = volumes.get(m.name);
        if (!volume || !volume.configMap) continue;
        const configMap = configMaps.get(volume.configMap.name);
        if (!configMap) {
          problem = `mounts ConfigMap ${volume.configMap.name}, which the overlay does not define`;
          continue;
        }
        mounts[m.mountPath] = configMapFolder(configMap, volume.configMap.items);
      }
      containers.push({
        where: `${path.basename(file)} ${o.kind}/${o.metadata.name} container ${c.name}`,
        argv: [...(c.command || []), ...(c.args || [])],
        mounts,
        problem: problem || (c.command ? null : 'has no command (the image runs `fulcrum --help`)'),
      });
    }
  }
  return containers;
}

// An image path in an argument (alone or after "--flag=") mapped to this tree.
function mapPath(arg, prefixes) {
  for (const [from, to] of prefixes) {
    const m = arg.match(new RegExp(`^(--[\\w-]+=)?${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/.*)?$`));
    if (m) return `${m[1] || ''}${to}${m[2] || ''}`;
  }
  return arg;
}

function run(binary, args) {
  return new Promise((resolve) => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'work-'));
    const child = spawn(binary, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('error', (e) => { clearTimeout(timer); resolve({code: -1, output: e.message}); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code: signal ? `killed by ${signal} (a --check that waits?)` : code, output: output.trim()});
    });
  });
}

async function main() {
  const containers = [];
  for (const source of sources) {
    const [kind, file] = [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)];
    if (kind === 'compose') containers.push(...composeContainers(file));
    else if (kind === 'k8s') containers.push(...k8sContainers(file));
    else throw new Error(`unknown source ${source}`);
  }
  // The same command (same flags, same files) runs once.
  const runs = new Map();
  const jobs = containers.map((c) => {
    if (c.problem) return {c, result: Promise.resolve({code: 'not run', output: c.problem})};
    if (c.argv.length === 0) return {c, result: Promise.resolve({code: 'not run', output: 'no command'})};
    const binary = path.join(binDir, path.basename(c.argv[0]));
    if (!fs.existsSync(binary)) {
      return {c, result: Promise.resolve({code: 'not run', output: `${c.argv[0]} is no binary of ${binDir}`})};
    }
    const prefixes = [['/opt/fulcrum/bin', binDir], ['/opt/fulcrum/configs', path.resolve(options.configs)],
                      ...Object.entries(c.mounts)];
    const args = [...c.argv.slice(1).map((a) => mapPath(a, prefixes)), '--check'];
    const key = JSON.stringify([binary, args]);
    return {c, key, binary, args};
  });
  // Two at a time: LibTorch takes most of a second to load.
  const queue = jobs.filter((j) => j.key && !runs.has(j.key) && runs.set(j.key, null));
  const workers = Array.from({length: 2}, async () => {
    for (let j = queue.shift(); j; j = queue.shift()) runs.set(j.key, await run(j.binary, j.args));
  });
  await Promise.all(workers);
  let failed = 0;
  for (const j of jobs) {
    const result = j.key ? runs.get(j.key) : await j.result;
    const name = path.basename(j.c.argv[0] || '?');
    if (result.code === 0 && result.output.includes(`${name}: flags ok`)) {
      console.log(`PASS ${j.c.where}: ${name} --check`);
    } else {
      failed++;
      console.log(`FAIL ${j.c.where}: \`${j.c.argv.join(' ')} --check\` exited ${result.code}`);
      for (const line of result.output.split('\n').slice(-5)) console.log(`    ${line}`);
    }
  }
  if (containers.length === 0) {
    console.log('FAIL no Fulcrum containers found');
    failed++;
  }
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL ${e.message}`);
  process.exit(1);
});
