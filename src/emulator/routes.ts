// Maps a request line onto Azure's routes (classic and v1) or the emulator's own control surface.
import { isClassicApiVersion, servesResponses } from "./api-versions.js";

export type Operation = "chat" | "completions" | "embeddings";

export type ResponsesAction = "create" | "retrieve" | "delete" | "cancel" | "input-items";

export interface ResponsesRoute {
  kind: "responses";
  action: ResponsesAction;
  /** The response id in the path, as sent; "" on create. */
  id: string;
  v1: boolean;
  apiVersion: string | undefined;
  query: URLSearchParams;
}

export type Route =
  | { kind: "classic"; operation: Operation; deployment: string; apiVersion: string }
  | { kind: "v1"; operation: Operation; apiVersion: string | undefined }
  | { kind: "v1-models"; apiVersion: string | undefined }
  | ResponsesRoute
  | { kind: "control-faults"; deployment: string }
  | { kind: "control-requests" }
  | { kind: "control-timing" }
  /** Azure's plain 404 "Resource not found", also for a classic route without a usable api-version. */
  | { kind: "not-found" };

const CLASSIC = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;
const V1 = /^\/openai\/v1\/(chat\/completions|completions|embeddings|models)$/;
/** Responses are resource-scoped on both styles: the body's `model` names the deployment. */
const RESPONSES = /^\/openai(\/v1)?\/responses(?:\/([^/]+)(\/cancel|\/input_items)?)?$/;
const CONTROL_FAULTS = /^\/_emulator\/faults\/([^/]+)$/;

export function routeOf(method: string, url: string): Route {
  const q = url.indexOf("?");
  // SDKs ≤ 6 send `//openai/...` when the endpoint ends in '/'; Azure tolerates that.
  const path = (q === -1 ? url : url.slice(0, q)).replace(/\/{2,}/g, "/");
  const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
  const apiVersion = query.get("api-version") ?? undefined;

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
  const responses = RESPONSES.exec(path);
  if (responses) {
    const isV1 = responses[1] !== undefined;
    if (!isV1 && (apiVersion === undefined || !servesResponses(apiVersion))) return { kind: "not-found" };
    const action = responsesAction(method, responses[2] !== undefined, responses[3]);
    if (action === undefined) return { kind: "not-found" };
    // An id that does not decode is still an id Azure looks up and does not find.
    const id = responses[2] === undefined ? "" : (decode(responses[2]) ?? responses[2]);
    return { kind: "responses", action, id, v1: isV1, apiVersion, query };
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

function responsesAction(method: string, hasId: boolean, suffix: string | undefined): ResponsesAction | undefined {
  if (!hasId) return method === "POST" ? "create" : undefined;
  if (suffix === "/cancel") return method === "POST" ? "cancel" : undefined;
  if (suffix === "/input_items") return method === "GET" ? "input-items" : undefined;
  if (method === "GET") return "retrieve";
  return method === "DELETE" ? "delete" : undefined;
}

function operationOf(segment: string | undefined): Operation {
  if (segment === "embeddings") return "embeddings";
  return segment === "completions" ? "completions" : "chat";
}

function decode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
