// The gateway's Config as a pod of the Deployment would load it: env from values, Secrets and ConfigMaps, AIK_CONFIG from a mounted ConfigMap.
import { posix } from "node:path";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { Config } from "../../src/config/config.js";
import { loadConfig } from "../../src/config/load.js";

export interface Sources {
  /** ConfigMaps the kustomization applies. */
  readonly configMaps: readonly IConfigMap[];
  /** Secrets: applied ones and the examples that document those the operator creates. */
  readonly secrets: readonly ISecret[];
}

export interface PodConfig {
  readonly config: Config | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly problems: readonly string[];
}

/** Loads the config with the project's own loader; the example Secrets' placeholders stand in for the real values. */
export function podConfig(spec: IPodSpec, container: IContainer, sources: Sources): PodConfig {
  const problems: string[] = [];
  const env = containerEnv(container, sources, problems);
  const files = mountedFiles(spec, container, sources, problems);
  let config: Config | undefined;
  try {
    config = loadConfig(env, (path) => {
      const text = files.get(path);
      if (text === undefined) throw new Error(`${path} is not a mounted ConfigMap key`);
      return text;
    });
  } catch (e) {
    problems.push(`container ${container.name}: the gateway would not start with this config: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { config, env, problems };
}

function containerEnv(container: IContainer, sources: Sources, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  // envFrom first: an explicit env entry wins over a key of the same name, as in Kubernetes.
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.secretRef !== undefined) {
      const secret = sources.secrets.find((s) => s.metadata?.name === from.secretRef?.name);
      if (secret === undefined && from.secretRef.optional !== true) problems.push(`container ${container.name}: envFrom Secret ${from.secretRef.name} is neither applied nor documented in an example`);
      for (const [k, v] of Object.entries(secretData(secret))) env[prefix + k] = v;
    }
    if (from.configMapRef !== undefined) {
      const map = sources.configMaps.find((m) => m.metadata?.name === from.configMapRef?.name);
      if (map === undefined && from.configMapRef.optional !== true) problems.push(`container ${container.name}: envFrom ConfigMap ${from.configMapRef.name} is not applied by the kustomization`);
      for (const [k, v] of Object.entries(map?.data ?? {})) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    const secretRef = e.valueFrom?.secretKeyRef;
    const mapRef = e.valueFrom?.configMapKeyRef;
    if (secretRef !== undefined) {
      const secret = sources.secrets.find((s) => s.metadata?.name === secretRef.name);
      const value = secretData(secret)[secretRef.key];
      if (value === undefined && secretRef.optional !== true) {
        problems.push(`container ${container.name}: ${e.name} reads key ${secretRef.key} of Secret ${secretRef.name}, which is neither applied nor documented in an example`);
      }
      env[e.name] = value ?? "";
    } else if (mapRef !== undefined) {
      const value = sources.configMaps.find((m) => m.metadata?.name === mapRef.name)?.data?.[mapRef.key];
      if (value === undefined && mapRef.optional !== true) problems.push(`container ${container.name}: ${e.name} reads key ${mapRef.key} of ConfigMap ${mapRef.name}, which the kustomization does not apply`);
      env[e.name] = value ?? "";
    } else {
      env[e.name] = e.value ?? "";
    }
  }
  return env;
}

function secretData(secret: ISecret | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret?.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return { ...out, ...(secret?.stringData ?? {}) };
}

/** Path -> text of every ConfigMap key mounted into the container. */
function mountedFiles(spec: IPodSpec, container: IContainer, sources: Sources, problems: string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const mount of container.volumeMounts ?? []) {
    const source = spec.volumes?.find((v) => v.name === mount.name)?.configMap;
    if (source === undefined) continue;
    const map = sources.configMaps.find((m) => m.metadata?.name === source.name);
    if (map === undefined) {
      if (source.optional !== true) problems.push(`volume ${mount.name}: ConfigMap ${source.name} is not applied by the kustomization`);
      continue;
    }
    if (mount.subPath !== undefined) {
      problems.push(`volume ${mount.name}: mounted with subPath, which never sees an edited ConfigMap: mount the directory`);
      continue;
    }
    const data = map.data ?? {};
    const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) {
      const text = data[item.key];
      if (text === undefined) problems.push(`volume ${mount.name}: ConfigMap ${source.name} has no key ${item.key}`);
      else files.set(posix.join(mount.mountPath, item.path), text);
    }
  }
  return files;
}
