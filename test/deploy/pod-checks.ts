// The gateway's pod: locked down, sized, probed on the right paths, given time to drain, and able to write where the gateway writes.
import { posix } from "node:path";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { Config } from "../../src/config/config.js";
import { resolveOptions } from "../../src/metering/writer-options.js";
import { podConfig, type Sources } from "./pod-config.js";

/** The container that runs the gateway; a sidecar would have to pass the same security checks. */
export const GATEWAY_CONTAINER = "gateway";

export function podProblems(deployment: IDeployment, sources: Sources, imageWorkdir: string): string[] {
  const spec = deployment.spec?.template?.spec;
  if (spec === undefined) return ["Deployment: has no pod template"];
  const problems = podSecurity(spec);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) problems.push(...containerSecurity(spec, c), ...resources(c));
  const gateway = spec.containers.find((c) => c.name === GATEWAY_CONTAINER);
  if (gateway === undefined) return [...problems, `Deployment: no container named ${GATEWAY_CONTAINER}`];
  const { config, env, problems: configProblems } = podConfig(spec, gateway, sources);
  problems.push(...configProblems);
  if (config === undefined) return problems;
  return problems.concat(production(config), portsAndProbes(gateway, config), drain(spec, gateway, config), writable(spec, gateway, config, imageWorkdir), heap(gateway, env));
}

function podSecurity(spec: IPodSpec): string[] {
  const problems: string[] = [];
  if (spec.automountServiceAccountToken !== false) problems.push("pod: automountServiceAccountToken must be false (the gateway never calls the Kubernetes API)");
  if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) problems.push("pod: must not share the node's network, PID or IPC namespace");
  return problems;
}

function containerSecurity(spec: IPodSpec, c: IContainer): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext;
  const own = c.securityContext;
  const at = `container ${c.name}`;
  if ((own?.runAsNonRoot ?? pod?.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot must be true`);
  // The image's USER is a name; the kubelet can verify runAsNonRoot only against a numeric uid.
  const uid = own?.runAsUser ?? pod?.runAsUser;
  if (uid === undefined || uid <= 0) problems.push(`${at}: runAsUser must be a non-zero uid`);
  if (own?.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
  if (own?.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
  if (own?.privileged === true) problems.push(`${at}: must not be privileged`);
  if (!(own?.capabilities?.drop ?? []).includes("ALL")) problems.push(`${at}: capabilities must drop ALL`);
  if ((own?.capabilities?.add ?? []).length > 0) problems.push(`${at}: must add no capability`);
  if ((own?.seccompProfile ?? pod?.seccompProfile)?.type !== "RuntimeDefault") problems.push(`${at}: seccompProfile must be RuntimeDefault`);
  return problems;
}

function resources(c: IContainer): string[] {
  const problems: string[] = [];
  for (const name of ["cpu", "memory"]) {
    const request = quantity(c.resources?.requests?.[name]);
    const limit = quantity(c.resources?.limits?.[name]);
    if (request === undefined || limit === undefined) problems.push(`container ${c.name}: needs a ${name} request and limit`);
    else if (request > limit) problems.push(`container ${c.name}: ${name} request exceeds its limit`);
  }
  return problems;
}

function production(config: Config): string[] {
  const problems: string[] = [];
  if (!config.production) problems.push("gateway: not in production mode (AIK_ENV=production)");
  if (config.host !== "0.0.0.0" && config.host !== "::") problems.push(`gateway: listens on ${config.host}, which the kubelet's probes and the Service cannot reach`);
  if (config.database.url === undefined) problems.push("gateway: no DATABASE_URL: the embedded store is one process's, not shared by replicas");
  if (config.redis.servers === undefined) problems.push("gateway: no Redis (REDIS_URL): limits would be per replica, not global");
  if (config.mode.kind !== "deployments") problems.push(`gateway: upstream mode is ${config.mode.kind}; the config file must list Azure deployments`);
  if (config.auth.adminToken === undefined) problems.push("gateway: no AIK_ADMIN_TOKEN: /metrics and the operator's calls would be off");
  return problems;
}

function portsAndProbes(c: IContainer, config: Config): string[] {
  const problems: string[] = [];
  const expected: Record<string, number> = { http: config.httpPort, grpc: config.grpcPort };
  for (const [name, port] of Object.entries(expected)) {
    const found = c.ports?.find((p) => p.name === name);
    if (found?.containerPort !== port) problems.push(`container ${c.name}: port ${name} must be ${port}, the gateway's, not ${found?.containerPort ?? "missing"}`);
  }
  const probes: [string, IProbe | undefined, string][] = [
    ["livenessProbe", c.livenessProbe, "/healthz"],
    ["readinessProbe", c.readinessProbe, "/readyz"],
  ];
  if (c.startupProbe !== undefined) probes.push(["startupProbe", c.startupProbe, "/healthz"]);
  for (const [name, probe, path] of probes) {
    const get = probe?.httpGet;
    const port = get === undefined ? undefined : containerPort(c, get.port);
    const scheme = config.tls === undefined ? "HTTP" : "HTTPS";
    if (get?.path !== path || port !== config.httpPort || (get.scheme ?? "HTTP") !== scheme) {
      problems.push(`container ${c.name}: ${name} must GET ${path} on the HTTP port ${config.httpPort} over ${scheme}`);
    }
  }
  return problems;
}

/** A port given by name or number, as the container's number; undefined when it names no port. */
export function containerPort(c: IContainer, port: string | number): number | undefined {
  if (typeof port === "number") return c.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

function drain(spec: IPodSpec, c: IContainer, config: Config): string[] {
  const preStop = c.lifecycle?.preStop;
  const sleep = preStop?.sleep?.seconds ?? sleepCommand(preStop?.exec?.command);
  if (sleep === undefined) return [`container ${c.name}: needs a preStop sleep, so endpoints drop the pod before SIGTERM`];
  // The gateway's writer is built with its default write timeout (src/wiring/metering.ts).
  const flushMs = resolveOptions({ spoolDir: "spool" }).writeTimeoutMs;
  const neededS = sleep + (config.shutdownDelayMs + config.shutdownGraceMs + flushMs) / 1000;
  const grace = spec.terminationGracePeriodSeconds ?? 30;
  if (grace > neededS) return [];
  return [
    `pod: terminationGracePeriodSeconds ${grace} must exceed preStop ${sleep} s + shutdown_delay_ms ${config.shutdownDelayMs} + shutdown_grace_ms ${config.shutdownGraceMs} + metering flush ${flushMs} ms = ${neededS} s, or SIGKILL cuts the drain`,
  ];
}

function sleepCommand(command: readonly string[] | undefined): number | undefined {
  if (command?.length !== 2 || !/(^|\/)sleep$/.test(command[0] ?? "")) return undefined;
  const s = Number(command[1]);
  return Number.isFinite(s) ? s : undefined;
}

/** With DATABASE_URL set the gateway writes only its metering spool; it must sit on a writable volume. */
function writable(spec: IPodSpec, c: IContainer, config: Config, workdir: string): string[] {
  const spool = posix.resolve(workdir, config.metering.spoolDir ?? posix.join(config.dataDir, "spool"));
  const mount = (c.volumeMounts ?? [])
    .filter((m) => spool === m.mountPath || spool.startsWith(`${m.mountPath.replace(/\/$/, "")}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const volume = spec.volumes?.find((v) => v.name === mount?.name);
  const writableVolume = volume?.emptyDir !== undefined || volume?.persistentVolumeClaim !== undefined || volume?.ephemeral !== undefined;
  if (mount === undefined || mount.readOnly === true || !writableVolume) {
    return [`container ${c.name}: the metering spool ${spool} is not on a writable volume, and the root file system is read-only`];
  }
  return [];
}

function heap(c: IContainer, env: Readonly<Record<string, string>>): string[] {
  const match = /--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? "");
  const limit = quantity(c.resources?.limits?.memory);
  if (match === null || limit === undefined) return [];
  const heapBytes = Number(match[1]) * 1024 * 1024;
  return heapBytes < limit ? [] : [`container ${c.name}: --max-old-space-size must leave room under the memory limit`];
}

const UNITS: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A Kubernetes quantity ("500m", "1", "512Mi") as a number; undefined when absent or not understood. */
export function quantity(q: string | number | undefined): number | undefined {
  if (typeof q === "number") return q;
  const m = q === undefined ? null : /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(q);
  const unit = m?.[2] === undefined ? undefined : UNITS[m[2]];
  return m === null || unit === undefined ? undefined : Number(m[1]) * unit;
}
