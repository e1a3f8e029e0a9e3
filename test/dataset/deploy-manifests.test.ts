// The Kubernetes examples under deploy/: every document parses and names its kind, and the shadowgate
// configuration each ConfigMap carries is one that `shadowgate serve` accepts, with probes and scrape
// annotations pointing at the admin port it configures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.js';

const ROOT = new URL('../../deploy/kubernetes/', import.meta.url);
const ENV = { SHADOWGATE_KEY: 'k'.repeat(43), SHADOWGATE_OPS_TOKEN_SHA256: 'a'.repeat(64) };

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: PodOwnerSpec };
type Container = {
  name: string; image: string; imagePullPolicy?: string; lifecycle?: { preStop?: { exec?: { command?: string[] } } }; args?: string[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } }; readinessProbe?: { httpGet: { path: string; port: string } };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean };
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodOwnerSpec = { template?: { metadata?: { annotations?: Record<string, string> }; spec: { securityContext?: { runAsNonRoot?: boolean }; containers: Container[]; volumes?: { name: string; configMap?: { name: string } }[] } } };

const isShadowgate = (image: string) => /(^|\/)shadowgate:/.test(image);

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(new URL(file, ROOT), 'utf8'));
  for (const d of docs) expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
  return docs.map((d) => d.toJS() as Doc);
}

describe.each(['sidecar.yaml', 'gateway.yaml'])('deploy/kubernetes/%s', (file) => {
  const docs = load(file);

  it('parses, and every document has an apiVersion, a kind and a name', () => {
    expect(docs.length).toBeGreaterThan(2);
    for (const d of docs) expect(d).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: expect.any(String) } });
  });

  it('runs a pinned shadowgate image non-root (pulled if not present, a preStop pause before the drain), config from a ConfigMap that shadowgate accepts, key from a Secret, probes and scraping on the admin port', () => {
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    const owner = deployments.find((d) => d.spec!.template!.spec.containers.some((c) => isShadowgate(c.image)))!;
    const pod = owner.spec!.template!;
    const sg = pod.spec.containers.find((c) => isShadowgate(c.image))!;
    expect(sg.image).not.toMatch(/:latest$/);
    expect(sg.imagePullPolicy).toBe('IfNotPresent');
    expect(sg.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(sg.args).toEqual(['serve', '--config', '/etc/shadowgate/shadowgate.yaml']);
    expect(pod.spec.securityContext?.runAsNonRoot).toBe(true);
    expect(sg.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });

    const configVolume = pod.spec.volumes!.find((v) => sg.volumeMounts!.some((m) => m.name === v.name && m.mountPath === '/etc/shadowgate'))!;
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.name === configVolume.configMap?.name)!;
    const config = parseConfig(configMap.data!['shadowgate.yaml']!, { env: ENV, source: `${file} ConfigMap` });
    expect(config.anonymize.key).toBe(ENV.SHADOWGATE_KEY);
    expect(sg.env!.find((e) => e.name === 'SHADOWGATE_KEY')!.valueFrom!.secretKeyRef).toBeDefined();

    const adminPort = sg.ports!.find((p) => p.name === 'admin')!.containerPort;
    expect(adminPort).toBe(config.admin.port);
    expect(sg.ports!.find((p) => p.name === 'http')!.containerPort).toBe(config.server.port);
    expect(config.admin.host).toBe('0.0.0.0');
    expect(sg.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(sg.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(pod.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(adminPort), 'prometheus.io/path': '/metrics' });
    expect(config.admin.openMetrics && config.admin.openHealth).toBe(true);

    // The root filesystem is read-only: everything shadowgate writes must land on a writable mount.
    const writable = sg.volumeMounts!.filter((m) => m.mountPath !== '/etc/shadowgate').map((m) => m.mountPath + '/');
    for (const path of [config.admin.stateFile, config.admin.auditFile, config.record!.path]) {
      expect(writable.some((dir) => path.startsWith(dir)), path).toBe(true);
    }
  });
});

describe('deploy/kubernetes extras', () => {
  it('the sandbox NetworkPolicies admit only shadowgate pods and allow no egress but DNS', () => {
    const docs = load('sandbox-networkpolicy.yaml') as (Doc & { metadata: { namespace?: string }; spec: { policyTypes: string[]; egress?: { ports: { port: number }[] }[] } })[];
    expect(docs.map((d) => d.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy']);
    for (const d of docs) expect(d.metadata.namespace).toBe('ml-sandbox');
    const egress = docs.find((d) => d.spec.policyTypes.includes('Egress'))!;
    expect(egress.spec.egress!.flatMap((e) => e.ports.map((p) => p.port))).toEqual([53, 53]);
  });

  it('the ServiceMonitor scrapes /metrics on the port the gateway admin Service names admin, which carries its label', () => {
    const [sm] = load('servicemonitor.yaml') as (Doc & { spec: { selector: { matchExpressions: { values: string[] }[] }; endpoints: { port: string; path: string }[] } })[];
    expect(sm!.kind).toBe('ServiceMonitor');
    expect(sm!.spec.endpoints[0]).toMatchObject({ port: 'admin', path: '/metrics' });
    const admin = load('gateway.yaml').find((d) => d.kind === 'Service' && d.metadata?.name === 'shadowgate-gateway-admin') as Doc & { metadata: { labels?: Record<string, string> }; spec: { ports: { name: string }[] } };
    expect(sm!.spec.selector.matchExpressions[0]!.values).toContain(admin.metadata.labels?.['app.kubernetes.io/component']);
    expect(admin.spec.ports.map((p) => p.name)).toContain('admin');
  });
});
