import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// infra/k8s built the way an operator applies it, then every object checked
// against the Kubernetes schemas and the deployment's own rules. No cluster is
// involved (docs/operations.md "Kubernetes" says what that leaves unchecked).

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const k8sDir = join(repoRoot, 'infra/k8s');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
type Obj = Record<string, any>;

function kustomize(dir: string): Obj[] {
  let out: string;
  try {
    out = execFileSync(KUBECTL, ['kustomize', join(k8sDir, dir)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${KUBECTL} not found: install Debian's kubernetes-client (apt-get install kubernetes-client) or set KUBECTL`,
      );
    }
    throw new Error(`kubectl kustomize ${dir} failed:\n${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** The kubernetes-models class of an object, e.g. `apps/v1` `Deployment`. */
async function modelOf(obj: Obj): Promise<new (data: Obj) => { validate(): void }> {
  const [group, version] = String(obj.apiVersion).includes('/')
    ? String(obj.apiVersion).split('/')
    : [undefined, String(obj.apiVersion)];
  const path = group ? `${group}/${version}/${obj.kind}` : `${version}/${obj.kind}`;
  const module = (await import(`kubernetes-models/${path}`)) as Record<string, unknown>;
  const model = module[obj.kind] as (new (data: Obj) => { validate(): void }) | undefined;
  if (!model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  return model;
}

async function schemaErrors(objects: Obj[]): Promise<string[]> {
  const errors: string[] = [];
  for (const obj of objects) {
    try {
      new (await modelOf(obj))(obj).validate();
    } catch (err) {
      errors.push(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/**
 * Unknown fields, which the JSON schemas let through: every object becomes an
 * object literal typed with kubernetes-models' interface of its kind, and
 * TypeScript refuses a property the interface does not have (at any depth).
 * Returns the compiler's errors per object label.
 */
function unknownFields(objects: Record<string, Obj>): Record<string, string[]> {
  const dir = mkdtempSync(join(dirname(fileURLToPath(import.meta.url)), '../.fields-'));
  try {
    const labels = Object.keys(objects);
    const lines = labels.map((label, i) => {
      const obj = objects[label] as Obj;
      const [group, version] = String(obj.apiVersion).includes('/')
        ? String(obj.apiVersion).split('/')
        : [undefined, String(obj.apiVersion)];
      const path = group ? `${group}/${version}/${obj.kind}` : `${version}/${obj.kind}`;
      return `export const o${i}: import('kubernetes-models/${path}').I${obj.kind} = ${JSON.stringify(obj)};`;
    });
    const file = join(dir, 'objects.ts');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'esnext',
        '--moduleResolution',
        'bundler',
        '--target',
        'es2022',
        '--types',
        'node',
        file,
      ],
      { encoding: 'utf8' },
    );
    const errors: Record<string, string[]> = Object.fromEntries(labels.map((l) => [l, []]));
    for (const line of run.stdout.split('\n')) {
      const m = /objects\.ts\((\d+),\d+\): (error .*)$/.exec(line);
      if (!m) continue;
      errors[labels[Number(m[1]) - 1] as string]?.push(m[2] as string);
    }
    if (run.status !== 0 && Object.values(errors).every((e) => e.length === 0)) {
      throw new Error(`tsc failed without a per-object error:\n${run.stdout}${run.stderr}`);
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const find = (objects: Obj[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);
const podSpecs = (objects: Obj[]) =>
  objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({
      owner: `${o.kind}/${o.metadata.name}`,
      kind: o.kind,
      spec: o.spec.template.spec,
    }));
const containersOf = (objects: Obj[]) =>
  podSpecs(objects).flatMap(({ owner, kind, spec }) =>
    [...(spec.initContainers ?? []), ...spec.containers].map((c: Obj) => ({ owner, kind, c })),
  );

const builds = {} as Record<'base' | 'production', Obj[]>;
let fieldErrors: Record<string, string[]>;
beforeAll(() => {
  builds.base = kustomize('base');
  builds.production = kustomize('overlays/production');
  // One compiler run for both builds and a control object with a typo.
  const typo = structuredClone(find(builds.base, 'Deployment', 'gateway')) as Obj;
  typo.spec.template.spec.containers[0].readinesProbe =
    typo.spec.template.spec.containers[0].readinessProbe;
  fieldErrors = unknownFields({
    ...Object.fromEntries(
      (['base', 'production'] as const).flatMap((b) =>
        builds[b].map((o) => [`${b} ${o.kind}/${o.metadata.name}`, o]),
      ),
    ),
    'control with a typo': typo,
  });
}, 60_000);

describe.each(['base', 'production'] as const)('infra/k8s %s', (build) => {
  it('validates every object against the Kubernetes OpenAPI schemas', async () => {
    const objects = builds[build];
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set([
        'ConfigMap',
        'Job',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'HorizontalPodAutoscaler',
        'Ingress',
        ...(build === 'production' ? ['Namespace'] : []),
      ]),
    );
    expect(await schemaErrors(objects)).toEqual([]);
  });

  it('has no field the Kubernetes API does not know', () => {
    const own = Object.entries(fieldErrors).filter(([label]) => label.startsWith(`${build} `));
    expect(own).toHaveLength(builds[build].length);
    expect(own.filter(([, errors]) => errors.length > 0)).toEqual([]);
  });

  it('gives every container resource requests and a memory limit, and every server probes', () => {
    for (const { owner, kind, c } of containersOf(builds[build])) {
      expect(c.resources?.requests?.cpu, `${owner} ${c.name} cpu request`).toBeTruthy();
      expect(c.resources?.requests?.memory, `${owner} ${c.name} memory request`).toBeTruthy();
      expect(c.resources?.limits?.memory, `${owner} ${c.name} memory limit`).toBeTruthy();
      if (kind === 'Deployment') {
        expect(c.readinessProbe?.httpGet?.path, `${owner} readiness`).toMatch(/^\//);
        expect(c.livenessProbe?.httpGet?.path, `${owner} liveness`).toMatch(/^\//);
      }
    }
  });

  it('drains a gateway before it stops, within its grace period, one replica at a time', () => {
    const objects = builds[build];
    const gateway = find(objects, 'Deployment', 'gateway');
    const pod = gateway?.spec.template.spec;
    const container = pod.containers.find((c: Obj) => c.name === 'gateway');
    const preStop = container.lifecycle?.preStop?.exec?.command?.join(' ') ?? '';
    expect(preStop).toMatch(/kill -TERM 1/);
    const pause = Number(/sleep (\d+)/.exec(preStop)?.[1] ?? 0);
    const config = find(objects, 'ConfigMap', 'dynapharm-config');
    const drainMs = Number(config?.data.DRAIN_TIMEOUT_MS);
    expect(drainMs).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(pause * 1000 + drainMs);
    expect(gateway?.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);

    const labels = pod && gateway?.spec.template.metadata.labels;
    const selects = (o: Obj) =>
      Object.entries(o.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && selects(o));
    expect(pdb?.spec.maxUnavailable).toBe(1);
    const hpa = objects.find(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === 'gateway',
    );
    expect(hpa?.spec.scaleTargetRef.kind).toBe('Deployment');
    expect(hpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa?.spec.maxReplicas).toBeGreaterThan(hpa?.spec.minReplicas);
  });

  it('holds no secret: every secret comes from the Secret the operator creates', () => {
    const objects = builds[build];
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const secretish = /SECRET|TOKEN|PASSWORD|DATABASE_URL/;
    for (const { owner, c } of containersOf(objects)) {
      for (const e of c.env ?? []) {
        if (!secretish.test(e.name)) continue;
        expect(e.value, `${owner} ${e.name} is a literal`).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, `${owner} ${e.name}`).toBe('dynapharm-secrets');
      }
    }
    for (const map of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, value] of Object.entries(map.data ?? {})) {
        expect(key).not.toMatch(secretish);
        expect(String(value)).not.toMatch(/:\/\/[^/@\s]*:[^/@\s]*@/);
      }
    }
  });

  it('names only Secret keys that the operations guide tells to create', () => {
    const guide = readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8');
    const keys = new Set(
      containersOf(builds[build]).flatMap(({ c }) =>
        (c.env ?? [])
          .map((e: Obj) => e.valueFrom?.secretKeyRef?.key)
          .filter((k: unknown): k is string => typeof k === 'string'),
      ),
    );
    expect(keys.size).toBeGreaterThan(0);
    for (const key of keys) expect(guide).toContain(`--from-literal=${key}=`);
  });

  it('routes the Ingress to Services that select a Deployment’s pods on a named port', () => {
    const objects = builds[build];
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const owner = deployments.find((d) =>
        Object.entries(svc.spec.selector).every(
          ([k, v]) => d.spec.template.metadata.labels[k] === v,
        ),
      );
      expect(owner, `Service ${svc.metadata.name} selects no Deployment`).toBeDefined();
      const ports = owner?.spec.template.spec.containers.flatMap((c: Obj) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        expect(ports.map((cp: Obj) => cp.name)).toContain(p.targetPort);
      }
    }
    const backends = objects
      .filter((o) => o.kind === 'Ingress')
      .flatMap((i) => i.spec.rules.flatMap((r: Obj) => r.http.paths))
      .map((p: Obj) => [p.path, p.backend.service.name]);
    expect(Object.fromEntries(backends)).toEqual({ '/api/': 'api', '/': 'web', '/ws/': 'gateway' });
    for (const [, name] of backends) expect(find(objects, 'Service', name)).toBeDefined();
    const ws = find(objects, 'Ingress', 'dynapharm-ws');
    expect(ws?.metadata.annotations['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
  });

  it('gives the API every variable compose gives it (less the optional ones)', () => {
    const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as Obj;
    const optional = new Set([
      'AUTH_JWKS_URL',
      'AUTH_JWT_ISSUER',
      'AUTH_JWT_AUDIENCE',
      'PROMETHEUS_URL',
      'ADMIN_UI_USERNAME',
      'ADMIN_UI_PASSWORD_HASH',
      'ADMIN_UI_READONLY',
    ]);
    const objects = builds[build];
    const config = find(objects, 'ConfigMap', 'dynapharm-config')?.data ?? {};
    for (const app of ['api', 'gateway']) {
      const container = find(objects, 'Deployment', app)?.spec.template.spec.containers[0];
      const names = new Set([
        ...Object.keys(config),
        ...(container.env ?? []).map((e: Obj) => e.name),
      ]);
      const wanted = Object.keys(compose.services[app].environment).filter((n) => !optional.has(n));
      expect(
        wanted.filter((n) => !names.has(n)),
        `${app} lacks`,
      ).toEqual([]);
    }
  });
});

describe('the production overlay', () => {
  it('replaces every image of the base with a pinned one from its registry', () => {
    const images = (objects: Obj[]) => containersOf(objects).map(({ c }) => c.image as string);
    const base = images(builds.base);
    expect(base.every((i) => /^dynapharm\/[a-z]+:local$/.test(i))).toBe(true);
    const production = images(builds.production);
    expect(production).toHaveLength(base.length);
    for (const image of production) {
      expect(image).not.toMatch(/:local$/);
      expect(image).toMatch(/^[\w.-]+(:\d+)?\/dynapharm\/(api|gateway|web):[\w.-]+$/);
    }
  });

  it('puts everything in its namespace', () => {
    const namespaced = builds.production.filter((o) => o.kind !== 'Namespace');
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(['dynapharm']));
  });
});

describe('the schema check itself', () => {
  it('refuses an unknown field', () => {
    expect(fieldErrors['control with a typo']?.join('\n')).toMatch(
      /known properties, and '"?readinesProbe"?' does not exist in type 'IContainer'/,
    );
  });

  it('refuses a wrong type, a missing required field and a bad enum', async () => {
    const deployment = structuredClone(find(builds.base, 'Deployment', 'gateway')) as Obj;
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
    const service = structuredClone(find(builds.base, 'Service', 'api')) as Obj;
    for (const p of service.spec.ports) delete p.port;
    const ingress = structuredClone(find(builds.base, 'Ingress', 'dynapharm')) as Obj;
    ingress.spec.rules[0].http.paths[0].pathType = 'Sometimes';
    const errors = await schemaErrors([deployment, service, ingress]);
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(/containerPort must be integer/);
    expect(errors.join('\n')).toMatch(/must have required property '?port/);
    expect(errors.join('\n')).toMatch(/pathType must be equal to one of the allowed values/);
  });
});
