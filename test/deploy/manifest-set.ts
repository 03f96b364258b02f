// Reads a manifest directory as kubectl apply -k would see it: the kustomization, the objects it applies, and the examples beside them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubernetesObject } from "./kubernetes-schema.js";

export interface Kustomization {
  readonly resources: readonly string[];
  /** Image names the kustomization rewrites (`images[].name`). */
  readonly images: readonly string[];
}

export interface ManifestSet {
  readonly kustomization: Kustomization | undefined;
  /** Objects of the files the kustomization lists. */
  readonly applied: readonly KubernetesObject[];
  /** Objects of `*.example.yaml`: never applied, they document what the operator creates. */
  readonly examples: readonly KubernetesObject[];
  readonly problems: readonly string[];
}

const KUSTOMIZATION = "kustomization.yaml";
const EXAMPLE = /\.example\.ya?ml$/;

export function readManifestSet(dir: string): ManifestSet {
  const problems: string[] = [];
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const kustomization = files.includes(KUSTOMIZATION) ? readKustomization(readFileSync(join(dir, KUSTOMIZATION), "utf8"), problems) : undefined;
  if (kustomization === undefined) problems.push(`${KUSTOMIZATION}: missing or unreadable, so \`kubectl apply -k\` cannot use this directory`);
  const manifests = files.filter((f) => f !== KUSTOMIZATION);
  const applied: KubernetesObject[] = [];
  const examples: KubernetesObject[] = [];
  for (const file of manifests) {
    const objects = readObjects(file, readFileSync(join(dir, file), "utf8"), problems);
    if (EXAMPLE.test(file)) {
      examples.push(...objects);
      if (kustomization?.resources.includes(file)) problems.push(`${KUSTOMIZATION}: lists ${file}, an example with placeholder values: it must never be applied`);
    } else if (kustomization !== undefined && !kustomization.resources.includes(file)) {
      problems.push(`${KUSTOMIZATION}: does not list ${file}, so \`kubectl apply -k\` would leave it out`);
    } else {
      applied.push(...objects);
    }
  }
  for (const resource of kustomization?.resources ?? []) {
    if (!manifests.includes(resource)) problems.push(`${KUSTOMIZATION}: lists ${resource}, which is not a manifest in this directory`);
  }
  return { kustomization, applied, examples, problems };
}

function readObjects(file: string, text: string, problems: string[]): KubernetesObject[] {
  const objects: KubernetesObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const at = `${file}#${i}`;
    if (doc.errors.length > 0) {
      problems.push(`${at}: not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      return;
    }
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push({ at, value });
  });
  return objects;
}

function readKustomization(text: string, problems: string[]): Kustomization | undefined {
  const docs = parseAllDocuments(text);
  const doc = docs[0];
  if (docs.length !== 1 || doc === undefined || doc.errors.length > 0) {
    problems.push(`${KUSTOMIZATION}: must be one valid YAML document`);
    return undefined;
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value) || value.apiVersion !== "kustomize.config.k8s.io/v1beta1" || value.kind !== "Kustomization") {
    problems.push(`${KUSTOMIZATION}: must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);
    return undefined;
  }
  const resources = Array.isArray(value.resources) ? value.resources.filter((r): r is string => typeof r === "string") : [];
  if (!Array.isArray(value.resources) || resources.length !== value.resources.length) problems.push(`${KUSTOMIZATION}: resources must be a list of file names`);
  const images: string[] = [];
  for (const image of Array.isArray(value.images) ? value.images : []) {
    if (isRecord(image) && typeof image.name === "string") images.push(image.name);
    else problems.push(`${KUSTOMIZATION}: every images entry needs a name`);
  }
  return { resources, images };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
