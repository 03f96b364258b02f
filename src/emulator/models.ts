// What the emulator knows about model families: snapshot names, reasoning, instruct and embedding models.
import { createHash } from "node:crypto";

/** Azure answers with the snapshot, never the deployment name; these are the current default snapshots. */
const SNAPSHOTS: Readonly<Record<string, string>> = {
  "gpt-4o": "gpt-4o-2024-11-20",
  "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
  "gpt-4.1": "gpt-4.1-2025-04-14",
  "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
  "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
  "gpt-35-turbo": "gpt-35-turbo-0125",
  "gpt-35-turbo-instruct": "gpt-35-turbo-instruct-0914",
  o1: "o1-2024-12-17",
  "o3-mini": "o3-mini-2025-01-31",
  o3: "o3-2025-04-16",
  "o4-mini": "o4-mini-2025-04-16",
};

export function snapshotFor(model: string): string {
  return SNAPSHOTS[model] ?? model;
}

/** o-series models reject `max_tokens` and bill hidden reasoning tokens. */
export function isReasoningModel(model: string): boolean {
  return model.startsWith("o1") || model.startsWith("o3") || model.startsWith("o4");
}

/** Only instruct models serve legacy completions, and they serve nothing else. */
export function isInstructModel(model: string): boolean {
  return model.includes("instruct");
}

export function isEmbeddingModel(model: string): boolean {
  return model.startsWith("text-embedding");
}

export interface EmbeddingShape {
  defaultDimensions: number;
  /** ada-002 has a fixed size; the text-embedding-3 family can be shortened with `dimensions`. */
  shortenable: boolean;
}

export function embeddingShape(model: string): EmbeddingShape {
  if (model.includes("large")) return { defaultDimensions: 3072, shortenable: true };
  return { defaultDimensions: 1536, shortenable: !model.includes("ada") };
}

/** One fixed fingerprint per snapshot keeps responses stable across runs, as a real backend mostly is. */
export function fingerprintFor(snapshot: string): string {
  return `fp_${createHash("sha256").update(snapshot).digest("hex").slice(0, 10)}`;
}
