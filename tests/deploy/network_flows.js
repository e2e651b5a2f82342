// Works out which connections the NetworkPolicies of a rendered overlay allow between Fulcrum's pods,
// Prometheus and cluster DNS, and compares them with the flows Fulcrum needs (the deployment
// contract, docs/deploy.md): nothing missing, nothing more.
//   node network_flows.js RENDERED.yaml
// A pod is named by its app.kubernetes.io/name label. Prometheus is a pod labelled
// app.kubernetes.io/name=prometheus in namespace monitoring; DNS is k8s-app=kube-dns in kube-system.
'use strict';
const {readYamlStream, displayName} = require('./yaml_stream');

const EXPECTED = [
  'orchestrator -> learner:50050/TCP',
  'orchestrator -> learner:50051/TCP',
  'orchestrator -> reward:50051/TCP',
  'orchestrator -> reward-model:50051/TCP',
  'orchestrator -> reference:50051/TCP',
  'actor -> learner:50051/TCP',
  'actor -> reward-model:50051/TCP',
  'actor -> reward:50051/TCP',
  'actor -> reference:50051/TCP',
  'learner -> reward:50051/TCP',
  'learner -> reward-model:50051/TCP',
];
const ROLES = ['learner', 'actor', 'reward', 'reward-model', 'reference', 'orchestrator'];
for (const role of ROLES) {
  EXPECTED.push(`prometheus -> ${role}:9400/TCP`, `${role} -> kube-dns:53/UDP`, `${role} -> kube-dns:53/TCP`);
}
// Every port a rule could open by mistake, and one nobody uses (an "all ports" rule shows there).
const PORTS = ['50050/TCP', '50051/TCP', '9400/TCP', '53/UDP', '53/TCP', '8080/TCP'];

function fail(message) {
  console.log(`FAIL ${message}`);
  process.exit(1);
}

function labelsMatch(selector, labels) {
  if (!selector) return true;
  if (selector.matchExpressions && selector.matchExpressions.length > 0) {
    fail('network_flows.js does not understand matchExpressions');
  }
  return Object.entries(selector.matchLabels || {}).every(([k, v]) => labels[k] === v);
}

// Does a NetworkPolicy peer (from / to entry) match a pod? (The policy's own namespace is `ns`.)
function peerMatches(peer, pod, ns) {
  if (peer.ipBlock) fail('network_flows.js does not understand ipBlock peers');
  if (peer.namespaceSelector) {
    return labelsMatch(peer.namespaceSelector, pod.namespaceLabels) && labelsMatch(peer.podSelector, pod.labels);
  }
  return pod.namespace === ns && labelsMatch(peer.podSelector, pod.labels);
}

function portMatches(rulePorts, port) {
  if (!rulePorts || rulePorts.length === 0) return true;
  const [number, protocol] = port.split('/');
  return rulePorts.some((p) => (p.protocol || 'TCP') === protocol &&
                               (p.port === undefined || String(p.port) === number));
}

// Is traffic of direction `type` (Ingress: from `peer` into `pod`; Egress: from `pod` to `peer`) allowed?
function allowed(policies, type, pod, peer, port) {
  const selecting = policies.filter((p) => p.namespace === pod.namespace && labelsMatch(p.spec.podSelector, pod.labels) &&
                                           (p.spec.policyTypes || ['Ingress']).includes(type));
  if (selecting.length === 0) return true;
  const key = type === 'Ingress' ? 'ingress' : 'egress';
  const peersKey = type === 'Ingress' ? 'from' : 'to';
  return selecting.some((p) => (p.spec[key] || []).some((rule) =>
    portMatches(rule.ports, port) &&
    (!rule[peersKey] || rule[peersKey].length === 0 || rule[peersKey].some((x) => peerMatches(x, peer, p.namespace)))));
}

const file = process.argv[2];
const objects = readYamlStream(file);
const ns = (objects.find((o) => o.kind !== 'Namespace' && o.metadata && o.metadata.namespace) || {metadata: {}})
  .metadata.namespace || 'default';
const nsLabels = (name) => ({'kubernetes.io/metadata.name': name});
const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
  .map((o) => ({...o, namespace: (o.metadata && o.metadata.namespace) || ns}));
if (policies.length === 0) fail(`${file}: no NetworkPolicy`);
// Pods added later are covered too: one policy selects every pod and allows nothing.
const defaultDeny = policies.some((p) => Object.keys(p.spec.podSelector || {}).length === 0 &&
                                        ['Ingress', 'Egress'].every((t) => (p.spec.policyTypes || []).includes(t)) &&
                                        !p.spec.ingress && !p.spec.egress);
if (!defaultDeny) fail(`${file}: no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)`);

const pods = [];
for (const o of objects) {
  if (!['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind)) continue;
  const labels = (o.spec.template.metadata || {}).labels || {};
  const name = labels['app.kubernetes.io/name'];
  if (!name) fail(`${o.kind}/${o.metadata.name}: its pods have no app.kubernetes.io/name label`);
  pods.push({name, labels, namespace: ns, namespaceLabels: nsLabels(ns), fulcrum: true});
}
const missingRoles = ROLES.filter((r) => !pods.some((p) => p.name === r));
if (missingRoles.length > 0) fail(`${file}: no pods for ${missingRoles.join(', ')}`);
pods.push({name: 'prometheus', labels: {'app.kubernetes.io/name': 'prometheus'}, namespace: 'monitoring',
           namespaceLabels: nsLabels('monitoring')});
pods.push({name: 'kube-dns', labels: {'k8s-app': 'kube-dns'}, namespace: 'kube-system',
           namespaceLabels: nsLabels('kube-system')});

const actual = new Set();
for (const src of pods) {
  for (const dst of pods) {
    if (!src.fulcrum && !dst.fulcrum) continue;
    for (const port of PORTS) {
      if (allowed(policies, 'Egress', src, dst, port) && allowed(policies, 'Ingress', dst, src, port)) {
        actual.add(`${src.name} -> ${dst.name}:${port}`);
      }
    }
  }
}
const expected = new Set(EXPECTED);
const missing = [...expected].filter((f) => !actual.has(f));
const extra = [...actual].filter((f) => !expected.has(f));
const name = displayName(file);
if (missing.length > 0 || extra.length > 0) {
  console.log(`FAIL ${name}: the NetworkPolicies allow other flows than the contract's`);
  for (const f of missing) console.log(`    blocked but needed: ${f}`);
  for (const f of extra) console.log(`    allowed but not needed: ${f}`);
  process.exit(1);
}
console.log(`PASS ${name}: NetworkPolicies allow exactly the ${expected.size} flows of the contract`);
