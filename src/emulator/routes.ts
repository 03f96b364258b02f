// Maps a request line onto Azure's routes (classic and v1) or the emulator's own control surface.
import { isClassicApiVersion } from "./api-versions.js";

export type Operation = "chat" | "embeddings";

export type Route =
  | { kind: "classic"; operation: Operation; deployment: string; apiVersion: string }
  | { kind: "v1"; operation: Operation; apiVersion: string | undefined }
  | { kind: "v1-models"; apiVersion: string | undefined }
  | { kind: "control-faults"; deployment: string }
  | { kind: "control-requests" }
  | { kind: "control-timing" }
  /** Azure's plain 404 "Resource not found", also for a classic route without a usable api-version. */
  | { kind: "not-found" };

const CLASSIC = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const V1 = /^\/openai\/v1\/(chat\/completions|embeddings|models)$/;
const CONTROL_FAULTS = /^\/_emulator\/faults\/([^/]+)$/;

export function routeOf(method: string, url: string): Route {
  const q = url.indexOf("?");
  // SDKs ≤ 6 send `//openai/...` when the endpoint ends in '/'; Azure tolerates that.
  const path = (q === -1 ? url : url.slice(0, q)).replace(/\/{2,}/g, "/");
  const apiVersion = q === -1 ? undefined : (new URLSearchParams(url.slice(q + 1)).get("api-version") ?? undefined);

  const classic = CLASSIC.exec(path);
  if (classic) {
    const deployment = decode(classic[1]);
    if (method !== "POST" || deployment === undefined || apiVersion === undefined || !isClassicApiVersion(apiVersion)) {
      return { kind: "not-found" };
    }
    return { kind: "classic", operation: operationOf(classic[2]), deployment, apiVersion };
  }
  const v1 = V1.exec(path);
  if (v1) {
    if (v1[1] === "models") return method === "GET" ? { kind: "v1-models", apiVersion } : { kind: "not-found" };
    return method === "POST" ? { kind: "v1", operation: operationOf(v1[1]), apiVersion } : { kind: "not-found" };
  }
  const faults = CONTROL_FAULTS.exec(path);
  if (faults) {
    const deployment = decode(faults[1]);
    return deployment === undefined ? { kind: "not-found" } : { kind: "control-faults", deployment };
  }
  if (path === "/_emulator/requests") return { kind: "control-requests" };
  if (path === "/_emulator/timing") return { kind: "control-timing" };
  return { kind: "not-found" };
}

const operationOf = (segment: string | undefined): Operation => (segment === "embeddings" ? "embeddings" : "chat");

function decode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
