// Everything the emulator keeps between requests, built once from validated options.
import type { EmulatorDeployment, EmulatorOptions } from "./api.js";
import { KeyCheck } from "./credentials.js";
import { EmbeddingMaker } from "./embeddings.js";
import { FaultBook } from "./faults.js";
import { fingerprintFor, snapshotFor } from "./models.js";
import { PromptCache } from "./prompt-cache.js";
import { RequestLog } from "./request-log.js";
import { ResponseStore } from "./responses-store.js";
import { NATURAL_COMPLETION_WORDS } from "./tokens.js";
import { RateMeter, type Origin } from "./wire-headers.js";

export interface DeploymentInfo {
  name: string;
  model: string;
  snapshot: string;
  fingerprint: string;
  origin: Origin;
}

export interface EmulatorState {
  readonly deployments: ReadonlyMap<string, DeploymentInfo>;
  /** Headers for answers given before a deployment is known (404s, 401s). */
  readonly defaultOrigin: Origin;
  /** GET /openai/v1/models, serialized once: the deployment list never changes. */
  readonly modelList: string;
  readonly keys: KeyCheck;
  readonly faults: FaultBook;
  readonly log: RequestLog;
  readonly meter: RateMeter;
  readonly promptCache: PromptCache;
  readonly embeddings: EmbeddingMaker;
  readonly responses: ResponseStore;
  timing: { timeToFirstTokenMs: number; chunkDelayMs: number; answerWords: number; stampFirstToken: boolean };
}

const DEFAULT_REGION = "East US";
/** Stands for the model-serving session Azure names in `azureml-model-session`; fixed for a run. */
const STARTED = new Date().toISOString().replace(/\D/g, "").slice(0, 14);

export function buildState(opts: EmulatorOptions): EmulatorState {
  const deployments = new Map<string, DeploymentInfo>();
  opts.deployments.forEach((d: EmulatorDeployment, i) => {
    const snapshot = snapshotFor(d.model);
    deployments.set(d.name, {
      name: d.name,
      model: d.model,
      snapshot,
      fingerprint: fingerprintFor(snapshot),
      origin: { region: d.region ?? DEFAULT_REGION, modelSession: `d${100 + i}-${STARTED}` },
    });
  });
  const created = Math.floor(Date.now() / 1000);
  const modelList = JSON.stringify({
    object: "list",
    data: opts.deployments.map((d) => ({ id: d.name, object: "model", created, owned_by: "system" })),
  });
  return {
    deployments,
    defaultOrigin: {
      region: opts.deployments[0]?.region ?? DEFAULT_REGION,
      modelSession: `d100-${STARTED}`,
    },
    modelList,
    keys: new KeyCheck(opts.apiKey, opts.entraKey),
    faults: new FaultBook(),
    log: new RequestLog(),
    meter: new RateMeter(),
    promptCache: new PromptCache(),
    embeddings: new EmbeddingMaker(),
    responses: new ResponseStore(),
    timing: { timeToFirstTokenMs: opts.timeToFirstTokenMs ?? 0, chunkDelayMs: opts.chunkDelayMs ?? 0, answerWords: NATURAL_COMPLETION_WORDS, stampFirstToken: false },
  };
}
