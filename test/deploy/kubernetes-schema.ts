// Checks Kubernetes objects against the API of one pinned release: JSON schema per kind, and the API's types for unknown fields.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Model, TypeMeta } from "@kubernetes-models/base";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import ts from "typescript";

/** The release kubernetes-models 5.1.0 is generated from (its changelog: "Update to Kubernetes v1.36.0"). */
export const KUBERNETES_VERSION = "1.36";

/** What one model class of kubernetes-models offers: its type meta, a guard on it, and schema validation. */
interface KindModel<T extends TypeMeta> {
  readonly apiVersion: string;
  readonly kind: string;
  is(value: unknown): value is T;
  new (data: T): Model<T>;
}

interface KindCheck {
  readonly apiVersion: string;
  readonly kind: string;
  /** Throws the schema's complaints (ajv's, one line) when the object does not validate. */
  validate(value: unknown): void;
}

function kindCheck<T extends TypeMeta>(model: KindModel<T>): KindCheck {
  return {
    apiVersion: model.apiVersion,
    kind: model.kind,
    validate(value) {
      if (!model.is(value)) throw new Error(`is not a ${model.apiVersion} ${model.kind}`);
      new model(value).validate();
    },
  };
}

// The kinds deploy/kubernetes may hold; another kind fails the check until it is added here.
const KINDS: readonly KindCheck[] = [
  kindCheck(ConfigMap),
  kindCheck(Secret),
  kindCheck(Service),
  kindCheck(Deployment),
  kindCheck(HorizontalPodAutoscaler),
  kindCheck(NetworkPolicy),
  kindCheck(PodDisruptionBudget),
];

export interface KubernetesObject {
  /** Where it came from, for messages: `deployment.yaml#0`. */
  readonly at: string;
  readonly value: unknown;
}

/**
 * Every problem the API schemas find in these objects, one line each. The JSON schemas the
 * API server publishes check types, required fields and formats, but accept unknown fields (the
 * server itself refuses them: kubectl's field validation is strict), so a misspelt field such as
 * `readinesProbe` would pass them and silently be no probe at all. The second pass catches those:
 * each object is type-checked as an object literal against the package's TypeScript interface
 * for its kind, whose excess-property check names any field the API does not have.
 */
export function apiProblems(objects: readonly KubernetesObject[]): string[] {
  const problems: string[] = [];
  const typed: { object: KubernetesObject; check: KindCheck }[] = [];
  for (const object of objects) {
    const meta = typeMeta(object.value);
    const check = KINDS.find((k) => k.apiVersion === meta.apiVersion && k.kind === meta.kind);
    if (check === undefined) {
      problems.push(`${object.at}: ${meta.apiVersion ?? "(no apiVersion)"} ${meta.kind ?? "(no kind)"} is not a kind this check knows (test/deploy/kubernetes-schema.ts)`);
      continue;
    }
    try {
      check.validate(object.value);
    } catch (e) {
      problems.push(`${object.at}: ${check.kind} does not match the Kubernetes ${KUBERNETES_VERSION} schema: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    typed.push({ object, check });
  }
  return problems.concat(unknownFields(typed));
}

function typeMeta(value: unknown): { apiVersion: string | undefined; kind: string | undefined } {
  if (typeof value !== "object" || value === null) return { apiVersion: undefined, kind: undefined };
  const apiVersion: unknown = Reflect.get(value, "apiVersion");
  const kind: unknown = Reflect.get(value, "kind");
  return { apiVersion: typeof apiVersion === "string" ? apiVersion : undefined, kind: typeof kind === "string" ? kind : undefined };
}

// Virtual sources live beside this file so that module resolution finds node_modules and the
// project's "type": "module"; nothing is written to disk.
const here = dirname(fileURLToPath(import.meta.url));
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ["lib.es2023.d.ts"],
  types: [],
};
// Library and package declarations are parsed once per test process, however many checks run.
const parsed = new Map<string, ts.SourceFile>();

function unknownFields(typed: readonly { object: KubernetesObject; check: KindCheck }[]): string[] {
  if (typed.length === 0) return [];
  const sources = new Map<string, { object: KubernetesObject; text: string }>();
  typed.forEach(({ object, check }, i) => {
    // "apps/v1" -> kubernetes-models/apps/v1/Deployment; the core group's "v1" -> kubernetes-models/v1/Service.
    const text = `import type { I${check.kind} } from "kubernetes-models/${check.apiVersion}/${check.kind}";\nexport const object: I${check.kind} = ${JSON.stringify(object.value, null, 2)};\n`;
    sources.set(join(here, `.manifest-${i}.ts`), { object, text });
  });
  const host = ts.createCompilerHost(OPTIONS);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => sources.get(name)?.text ?? readFile(name);
  host.fileExists = (name) => sources.has(name) || fileExists(name);
  host.getSourceFile = (name, version, onError) => {
    const virtual = sources.get(name);
    if (virtual !== undefined) return ts.createSourceFile(name, virtual.text, version, true);
    const cached = parsed.get(name);
    if (cached !== undefined) return cached;
    const file = getSourceFile(name, version, onError);
    if (file !== undefined) parsed.set(name, file);
    return file;
  };
  const program = ts.createProgram([...sources.keys()], OPTIONS, host);
  const problems: string[] = [];
  for (const [name, { object }] of sources) {
    const file = program.getSourceFile(name);
    if (file === undefined) throw new Error(`the type check lost its own source ${name}`);
    for (const d of ts.getPreEmitDiagnostics(program, file)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
      const line = d.start === undefined ? "" : lineAt(file, d.start);
      problems.push(`${object.at}: ${message}${line === "" ? "" : ` (at ${line})`}`);
    }
  }
  return problems;
}

function lineAt(file: ts.SourceFile, position: number): string {
  const { line } = file.getLineAndCharacterOfPosition(position);
  const start = file.getPositionOfLineAndCharacter(line, 0);
  const end = file.getLineEndOfPosition(position);
  return file.text.slice(start, end).trim();
}
