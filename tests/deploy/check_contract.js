// Checks the deployment contract's shape in a resolved compose file and in rendered overlays:
//  compose: the services of every role (actor with 2 replicas), Prometheus and Grafana; each Fulcrum
//    service works in /work on the named volume `work` and has a `fulcrum health` healthcheck (not
//    the run-once orchestrator);
//  k8s: every Fulcrum pod mounts the PVC fulcrum-work at /work, carries the Prometheus scrape
//    annotations, has resource requests and limits and (except the Job) gRPC readiness and liveness
//    probes; the servers that wait for a checkpoint have a startupProbe; the pipeline ConfigMap has
//    pipeline.yaml; every role's Service exists.
//   node check_contract.js compose:FILE k8s:FILE...
'use strict';
const {readYamlStream, displayName} = require('./yaml_stream');

const ROLES = ['learner', 'actor', 'reward', 'reward-model', 'reference', 'orchestrator'];
const WAITING = ['reward-model', 'reference'];

function composeProblems(file) {
  const problems = [];
  const config = readYamlStream(file)[0] || {};
  const services = config.services || {};
  for (const name of [...ROLES, 'prometheus', 'grafana']) {
    if (!services[name]) problems.push(`no service ${name}`);
  }
  if (!config.volumes || !('work' in config.volumes)) problems.push('no named volume work');
  for (const name of ROLES.filter((r) => services[r])) {
    const s = services[name];
    const mountsWork = (s.volumes || []).some((v) => typeof v === 'string' ? /^work:\/work(:|$)/.test(v) :
                                                    v.source === 'work' && v.target === '/work');
    if (!mountsWork) problems.push(`${name}: does not mount the volume work at /work`);
    if (s.working_dir !== '/work') problems.push(`${name}: working_dir is not /work`);
    if (name === 'orchestrator') {
      // --resume makes a restart continue the run, so a crashed orchestrator is restarted.
      if (s.restart !== 'on-failure') problems.push('orchestrator: restart is not "on-failure"');
      if (!(s.command || []).includes('--resume')) problems.push('orchestrator: runs without --resume');
      continue;
    }
    const test = (s.healthcheck || {}).test || [];
    const port = name === 'learner' ? 'localhost:50050' : 'localhost:50051';
    if (test.join(' ') !== `CMD fulcrum health ${port}`) problems.push(`${name}: healthcheck is not fulcrum health ${port}`);
  }
  if (services.actor && !(services.actor.deploy && services.actor.deploy.replicas === 2)) {
    problems.push('actor: deploy.replicas is not 2');
  }
  for (const name of WAITING.filter((r) => services[r])) {
    const start = String((services[name].healthcheck || {}).start_period || '');
    if (!/h|^[0-9]{4,}/.test(start)) problems.push(`${name}: healthcheck start_period ${start || '(none)'} is not hours long`);
  }
  return problems;
}

function k8sProblems(file) {
  const problems = [];
  const objects = readYamlStream(file);
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  if (!byKind('PersistentVolumeClaim').some((o) => o.metadata.name === 'fulcrum-work')) problems.push('no PVC fulcrum-work');
  const pipeline = byKind('ConfigMap').find((o) => /^fulcrum-pipeline(-[a-z0-9]+)?$/.test(o.metadata.name));
  if (!pipeline || !(pipeline.data && pipeline.data['pipeline.yaml'])) problems.push('no ConfigMap fulcrum-pipeline with pipeline.yaml');
  const services = byKind('Service').map((o) => o.metadata.name);
  for (const name of ['learner', 'reward', 'reward-model', 'reference']) {
    if (!services.includes(name)) problems.push(`no Service ${name}`);
  }
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
  for (const role of ROLES) {
    if (!workloads.some((w) => w.metadata.name === role)) problems.push(`no workload ${role}`);
  }
  for (const w of workloads) {
    const where = `${w.kind}/${w.metadata.name}`;
    const template = w.spec.template;
    const annotations = (template.metadata || {}).annotations || {};
    if (annotations['prometheus.io/scrape'] !== 'true' || annotations['prometheus.io/port'] !== '9400' ||
        annotations['prometheus.io/path'] !== '/metrics') {
      problems.push(`${where}: no prometheus.io scrape annotations for :9400/metrics`);
    }
    const volumes = template.spec.volumes || [];
    for (const c of template.spec.containers) {
      const cw = `${where} container ${c.name}`;
      const work = (c.volumeMounts || []).find((m) => m.mountPath === '/work');
      const volume = work && volumes.find((v) => v.name === work.name);
      if (!volume || !volume.persistentVolumeClaim || volume.persistentVolumeClaim.claimName !== 'fulcrum-work') {
        problems.push(`${cw}: /work is not the PVC fulcrum-work`);
      }
      if (c.workingDir !== '/work') problems.push(`${cw}: workingDir is not /work`);
      const r = c.resources || {};
      if (!r.requests || !r.requests.cpu || !r.requests.memory || !r.limits || !r.limits.cpu || !r.limits.memory) {
        problems.push(`${cw}: resource requests or limits missing`);
      }
      if (w.kind === 'Job') continue;
      const port = w.metadata.name === 'learner' ? 50050 : 50051;
      for (const probe of ['readinessProbe', 'livenessProbe']) {
        if (!c[probe] || !c[probe].grpc || c[probe].grpc.port !== port) problems.push(`${cw}: no gRPC ${probe} on ${port}`);
      }
      if (WAITING.includes(w.metadata.name)) {
        const s = c.startupProbe;
        if (!s || !s.grpc || (s.failureThreshold || 3) * (s.periodSeconds || 10) < 3600) {
          problems.push(`${cw}: no gRPC startupProbe allowing an hour or more`);
        }
      }
    }
  }
  return problems;
}

let failed = false;
for (const source of process.argv.slice(2)) {
  const [kind, file] = [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)];
  const problems = kind === 'compose' ? composeProblems(file) : k8sProblems(file);
  const name = displayName(file);
  if (problems.length > 0) {
    failed = true;
    console.log(`FAIL ${name}: ${problems.length} departure(s) from the deployment contract`);
    for (const p of problems) console.log(`    ${p}`);
  } else {
    console.log(`PASS ${name}: the deployment contract's shape`);
  }
}
process.exit(failed ? 1 : 0);
