// Every check on deploy/kubernetes, as a list of problems: the API schemas first, then the gateway's own rules for running there.
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret, type ISecret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { apiProblems } from "./kubernetes-schema.js";
import { readManifestSet } from "./manifest-set.js";
import { GATEWAY_CONTAINER, podProblems } from "./pod-checks.js";
import { wiringProblems } from "./wiring-checks.js";

export interface Documents {
  /** The README, whose "Kubernetes" section must name every Secret the operator creates. */
  readonly readme: string;
  /** The Dockerfile, for the image's working directory (relative paths in the config resolve there). */
  readonly dockerfile: string;
}

export function checkManifests(dir: string, docs: Documents): string[] {
  const set = readManifestSet(dir);
  const api = apiProblems([...set.applied, ...set.examples]);
  // The gateway's rules read the objects through the API's types: only once the schemas pass.
  if (set.problems.length > 0 || api.length > 0) return [...set.problems, ...api];
  const values = set.applied.map((o) => o.value);
  const problems: string[] = [];
  const one = <T>(kind: string, found: T[]): T | undefined => {
    if (found.length !== 1) problems.push(`kustomization: applies ${found.length} ${kind} objects, expected one`);
    return found[0];
  };
  const deployment = one("Deployment", values.filter(Deployment.is));
  const service = one("Service", values.filter(Service.is));
  const pdb = one("PodDisruptionBudget", values.filter(PodDisruptionBudget.is));
  const hpa = one("HorizontalPodAutoscaler", values.filter(HorizontalPodAutoscaler.is));
  const networkPolicy = one("NetworkPolicy", values.filter(NetworkPolicy.is));
  if (deployment === undefined || service === undefined || pdb === undefined || hpa === undefined || networkPolicy === undefined) return problems;

  const appliedSecrets = values.filter(Secret.is);
  const exampleSecrets = set.examples.map((o) => o.value).filter(Secret.is);
  problems.push(...operatorSecrets(deployment, appliedSecrets, exampleSecrets, docs.readme));
  problems.push(...podProblems(deployment, { configMaps: values.filter(ConfigMap.is), secrets: [...appliedSecrets, ...exampleSecrets] }, workdir(docs.dockerfile)));
  const labels = set.applied.map((o) => ({ at: o.at, labels: labelsOf(o.value) }));
  problems.push(...wiringProblems({ deployment, service, pdb, hpa, networkPolicy, labels }));
  const image = deployment.spec?.template?.spec?.containers.find((c) => c.name === GATEWAY_CONTAINER)?.image ?? "";
  if (!(set.kustomization?.images ?? []).includes(image.replace(/[:@].*$/, ""))) {
    problems.push(`kustomization: no images entry names ${image}, so the operator cannot point it at their registry`);
  }
  return problems;
}

/** Secrets the pod reads but the kustomization does not apply: each needs an example and a line in the README. */
function operatorSecrets(deployment: IDeployment, applied: readonly ISecret[], examples: readonly ISecret[], readme: string): string[] {
  const spec = deployment.spec?.template?.spec;
  const names = new Set<string>();
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef !== undefined) names.add(e.valueFrom.secretKeyRef.name ?? "");
    for (const e of c.envFrom ?? []) if (e.secretRef !== undefined) names.add(e.secretRef.name ?? "");
  }
  for (const v of spec?.volumes ?? []) if (v.secret?.secretName !== undefined) names.add(v.secret.secretName);
  const section = /^## Kubernetes\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
  const problems: string[] = [];
  if (section === "") problems.push('README: has no "## Kubernetes" section');
  for (const name of names) {
    if (applied.some((s) => s.metadata?.name === name)) continue;
    if (!examples.some((s) => s.metadata?.name === name)) problems.push(`Secret ${name}: the pod reads it, but it is neither applied nor shown in secrets.example.yaml`);
    if (section !== "" && !section.includes(name)) problems.push(`Secret ${name}: the operator creates it, but README "Kubernetes" does not say so`);
  }
  return problems;
}

function labelsOf(value: unknown): Record<string, string> | undefined {
  if (ConfigMap.is(value) || Service.is(value) || Deployment.is(value) || PodDisruptionBudget.is(value) || HorizontalPodAutoscaler.is(value) || NetworkPolicy.is(value) || Secret.is(value)) {
    return value.metadata?.labels;
  }
  return undefined;
}

function workdir(dockerfile: string): string {
  const dirs = [...dockerfile.matchAll(/^WORKDIR\s+(\S+)/gm)].map((m) => m[1]);
  return dirs.at(-1) ?? "/";
}
