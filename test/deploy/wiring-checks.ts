// How the objects fit together: one set of labels selects the pods everywhere, ports and names resolve, egress stays narrow.
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IService } from "kubernetes-models/v1/Service";
import { containerPort, GATEWAY_CONTAINER } from "./pod-checks.js";

export interface Wiring {
  readonly deployment: IDeployment;
  readonly service: IService;
  readonly pdb: IPodDisruptionBudget;
  readonly hpa: IHorizontalPodAutoscaler;
  readonly networkPolicy: INetworkPolicy;
  /** metadata.labels of every applied object, by where it came from. */
  readonly labels: readonly { at: string; labels: Readonly<Record<string, string>> | undefined }[];
}

// DNS, Postgres and PgBouncer, Redis (plain and TLS) and Sentinel, HTTPS to Azure: nothing else.
const EGRESS_PORTS = new Set([53, 5432, 6432, 6379, 6380, 26379, 443]);
const PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export function wiringProblems(w: Wiring): string[] {
  const problems: string[] = [];
  const selector = w.deployment.spec?.selector;
  const pods = selector?.matchLabels ?? {};
  const template = w.deployment.spec?.template?.metadata?.labels ?? {};
  if (Object.keys(pods).length === 0 || selector?.matchExpressions !== undefined) problems.push("Deployment: select its pods by matchLabels only");
  if (!subset(pods, template)) problems.push("Deployment: its selector does not select its own pod template");
  const same = (what: string, labels: Readonly<Record<string, string>> | undefined): void => {
    if (!equal(labels ?? {}, pods)) problems.push(`${what}: selects ${JSON.stringify(labels ?? {})}, not the Deployment's pods ${JSON.stringify(pods)}`);
  };
  same("Service selector", w.service.spec?.selector);
  same("PodDisruptionBudget selector", w.pdb.spec?.selector?.matchLabels);
  if (w.pdb.spec?.selector?.matchExpressions !== undefined) problems.push("PodDisruptionBudget: select by matchLabels only");
  same("NetworkPolicy podSelector", w.networkPolicy.spec?.podSelector?.matchLabels);
  const spread = w.deployment.spec?.template?.spec?.topologySpreadConstraints ?? [];
  for (const t of spread) same(`topologySpreadConstraint ${t.topologyKey}`, t.labelSelector?.matchLabels);
  if (!spread.some((t) => t.topologyKey === "topology.kubernetes.io/zone")) problems.push("Deployment: must spread its replicas across zones (topology.kubernetes.io/zone)");
  for (const { at, labels } of w.labels) if (!subset(pods, labels ?? {})) problems.push(`${at}: metadata.labels must carry the gateway's labels ${JSON.stringify(pods)}`);
  const gateway = w.deployment.spec?.template?.spec?.containers.find((c) => c.name === GATEWAY_CONTAINER);
  if (gateway !== undefined) problems.push(...servicePorts(w.service, gateway), ...networkPolicy(w.networkPolicy, gateway));
  return problems.concat(scaling(w));
}

function servicePorts(service: IService, gateway: IContainer): string[] {
  const problems: string[] = [];
  const ports = service.spec?.ports ?? [];
  for (const name of ["http", "grpc"]) if (!ports.some((p) => p.name === name)) problems.push(`Service: has no ${name} port`);
  for (const p of ports) {
    if (containerPort(gateway, p.targetPort ?? p.port) === undefined) problems.push(`Service port ${p.name ?? p.port}: targetPort ${p.targetPort ?? p.port} is none of the container's ports`);
    if (p.appProtocol === undefined) problems.push(`Service port ${p.name ?? p.port}: set appProtocol, so proxies know HTTP/1.1 from HTTP/2`);
  }
  return problems;
}

function networkPolicy(np: INetworkPolicy, gateway: IContainer): string[] {
  const problems: string[] = [];
  const spec = np.spec;
  if (spec === undefined) return ["NetworkPolicy: has no spec"];
  const types = spec.policyTypes ?? [];
  if (!types.includes("Ingress") || !types.includes("Egress")) problems.push("NetworkPolicy: must govern both Ingress and Egress");
  for (const rule of spec.ingress ?? []) {
    if (rule.ports === undefined) problems.push("NetworkPolicy: an ingress rule without ports opens every port");
    for (const p of rule.ports ?? []) if (p.port === undefined || containerPort(gateway, p.port) === undefined) problems.push(`NetworkPolicy: ingress port ${p.port ?? "(any)"} is none of the container's ports`);
  }
  for (const rule of spec.egress ?? []) {
    const ports = (rule.ports ?? []).map((p) => p.port);
    if (ports.length === 0) problems.push("NetworkPolicy: an egress rule without ports lets the gateway reach every port");
    for (const port of ports) if (typeof port !== "number" || !EGRESS_PORTS.has(port)) problems.push(`NetworkPolicy: egress to port ${port ?? "(any)"} is none of DNS, Postgres, Redis or Azure's`);
    if (rule.to === undefined || rule.to.length === 0) problems.push("NetworkPolicy: an egress rule without `to` reaches every address");
    for (const peer of rule.to ?? []) {
      if (peer.ipBlock === undefined) continue;
      if (ports.some((p) => p !== 443)) problems.push(`NetworkPolicy: addresses outside the cluster (${peer.ipBlock.cidr}) may be reached on 443 only`);
      const except = peer.ipBlock.except ?? [];
      if (peer.ipBlock.cidr === "0.0.0.0/0" && !PRIVATE_V4.every((c) => except.includes(c))) problems.push("NetworkPolicy: 0.0.0.0/0 must except the private ranges, or 443 reaches everything in the cluster");
    }
  }
  return problems;
}

function scaling(w: Wiring): string[] {
  const problems: string[] = [];
  const target = w.hpa.spec?.scaleTargetRef;
  if (target?.apiVersion !== "apps/v1" || target.kind !== "Deployment" || target.name !== w.deployment.metadata?.name) problems.push("HorizontalPodAutoscaler: scaleTargetRef must name the Deployment");
  const cpu = (w.hpa.spec?.metrics ?? []).some((m) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource.target.type === "Utilization");
  if (!cpu) problems.push("HorizontalPodAutoscaler: must scale on CPU utilization");
  const min = w.hpa.spec?.minReplicas ?? 1;
  if (min < 2) problems.push("HorizontalPodAutoscaler: minReplicas must be at least 2, or a drain leaves no replica");
  if (w.deployment.spec?.replicas !== undefined) problems.push("Deployment: leave replicas out: the HorizontalPodAutoscaler owns it, and each apply would reset it");
  const { minAvailable, maxUnavailable } = w.pdb.spec ?? {};
  if (minAvailable === undefined && maxUnavailable === undefined) problems.push("PodDisruptionBudget: set maxUnavailable or minAvailable");
  if (typeof minAvailable === "number" && minAvailable >= min) problems.push(`PodDisruptionBudget: minAvailable ${minAvailable} with ${min} replicas blocks every drain`);
  if (maxUnavailable === 0 || maxUnavailable === "0%") problems.push("PodDisruptionBudget: maxUnavailable 0 blocks every drain");
  return problems;
}

function subset(small: Readonly<Record<string, string>>, big: Readonly<Record<string, string>>): boolean {
  return Object.entries(small).every(([k, v]) => big[k] === v);
}

function equal(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return subset(a, b) && subset(b, a);
}
