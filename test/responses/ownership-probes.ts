// Every way a request can name a stored response or item, over HTTP (three URL styles) and gRPC, and the check that a stranger's answer for a foreign id equals an unknown id's.
import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { request } from "undici";
import { expect } from "vitest";
import { CreateResponseRequest } from "../../gen/aik/v1/responses.js";
import { bearer, call, collect, isServiceError, responsesClient } from "../support/grpc-client.js";

export type Kind = "response" | "item";

/** Well-formed ids nobody was ever given: what a foreign id must be indistinguishable from. */
export const randomId = (kind: Kind): string => `${kind === "response" ? "resp" : "msg"}_${randomBytes(24).toString("hex")}`;

export const PATH_NOT_FOUND = "No response found with that id.";
export const BODY_NOT_FOUND = "A response or item this request names does not exist.";
const envelope = (message: string, param: string) => ({ error: { message, type: "invalid_request_error", param, code: "not_found" } });

export interface Answer {
  status: number;
  /** Every header but the two that differ per request (x-request-id, date). */
  headers: Record<string, unknown>;
  body: string;
}

export async function send(base: string, key: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([name]) => name !== "x-request-id" && name !== "date"));
  return { status: res.statusCode, headers, body: text };
}

/** A stored response made with `key`, and the id of its first output item. */
export async function create(base: string, key: string, extra: Record<string, unknown> = {}): Promise<{ id: string; itemId: string }> {
  const r = await send(base, key, "POST", "/v1/responses", { model: "gpt-4o-mini", input: "Say hello.", ...extra });
  expect(r.status, r.body).toBe(200);
  const json = JSON.parse(r.body) as { id: string; output: Array<{ id: string }> };
  return { id: json.id, itemId: json.output[0]?.id ?? "" };
}

export interface Style {
  readonly name: string;
  readonly root: string;
  readonly query: string;
}

export const STYLES: readonly [Style, ...Style[]] = [
  { name: "OpenAI /v1", root: "/v1/responses", query: "" },
  { name: "Azure /openai/v1", root: "/openai/v1/responses", query: "" },
  { name: "Azure classic ?api-version", root: "/openai/responses", query: "api-version=2025-04-01-preview" },
];

function at(style: Style, suffix: string, extra = ""): string {
  const q = [style.query, extra].filter((s) => s !== "").join("&");
  return `${style.root}${suffix}${q ? `?${q}` : ""}`;
}

interface Probe {
  readonly label: string;
  readonly kind: Kind;
  /** The 404 body any caller gets when the id names nothing it may see. */
  readonly notFound: unknown;
  send(base: string, key: string, id: string): Promise<Answer>;
}

function probes(style: Style): Probe[] {
  const path = (method: "GET" | "POST" | "DELETE", suffix: string, extra = ""): Probe["send"] => (base, key, id) => send(base, key, method, at(style, `/${id}${suffix}`, extra));
  const notFound = envelope(PATH_NOT_FOUND, "response_id");
  return [
    { label: "GET", kind: "response", notFound, send: path("GET", "") },
    { label: "GET ?stream=true", kind: "response", notFound, send: path("GET", "", "stream=true") },
    { label: "DELETE", kind: "response", notFound, send: path("DELETE", "") },
    { label: "cancel", kind: "response", notFound, send: path("POST", "/cancel") },
    { label: "input_items", kind: "response", notFound, send: path("GET", "/input_items") },
    {
      label: "previous_response_id",
      kind: "response",
      notFound: envelope(BODY_NOT_FOUND, "previous_response_id"),
      send: (base, key, id) => send(base, key, "POST", at(style, ""), { model: "gpt-4o-mini", input: "Go on.", previous_response_id: id }),
    },
    {
      label: "item_reference",
      kind: "item",
      notFound: envelope(BODY_NOT_FOUND, "input"),
      send: (base, key, id) => send(base, key, "POST", at(style, ""), { model: "gpt-4o-mini", input: [{ type: "item_reference", id }] }),
    },
  ];
}

export interface Foreign {
  readonly response: readonly string[];
  readonly item: readonly string[];
}

/** The stranger names each foreign id and a random one of the same kind: the two answers must be the same 404, byte for byte. */
export async function expectForeignLikeUnknown(base: string, style: Style, strangerKey: string, foreign: Foreign): Promise<void> {
  for (const p of probes(style)) {
    for (const id of foreign[p.kind]) {
      const theirs = await p.send(base, strangerKey, id);
      const unknown = await p.send(base, strangerKey, randomId(p.kind));
      expect(unknown.status, `${style.name} ${p.label}`).toBe(404);
      expect(JSON.parse(unknown.body), `${style.name} ${p.label}`).toEqual(p.notFound);
      expect(theirs, `${style.name} ${p.label} on ${id}`).toEqual(unknown);
    }
  }
}

interface GrpcFailure {
  code: number;
  details: string;
  /** google.rpc.Status with its ErrorInfo, as sent. */
  statusDetails: string;
}

async function grpcFailure(p: Promise<unknown>): Promise<GrpcFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw new Error("expected the call to fail with a gRPC status");
  const bin = err.metadata.get("grpc-status-details-bin")[0];
  return { code: err.code, details: err.details, statusDetails: Buffer.isBuffer(bin) ? bin.toString("hex") : String(bin) };
}

/** The same over gRPC: every ResponsesService method that names a response or item gets NOT_FOUND with identical details. */
export async function expectGrpcForeignLikeUnknown(address: string, strangerKey: string, foreign: Foreign): Promise<void> {
  const client = responsesClient(address);
  const md = () => bearer(strangerKey);
  const createWith = (fields: Partial<CreateResponseRequest>): CreateResponseRequest => ({ ...CreateResponseRequest.fromPartial({ model: "gpt-4o-mini" }), ...fields });
  const calls: Array<[string, Kind, string, (id: string) => Promise<unknown>]> = [
    ["GetResponse", "response", PATH_NOT_FOUND, (id) => call(client, client.getResponse, { responseId: id, include: [] }, md())],
    ["ResumeResponse", "response", PATH_NOT_FOUND, (id) => collect(client.resumeResponse({ responseId: id, include: [] }, md()))],
    ["DeleteResponse", "response", PATH_NOT_FOUND, (id) => call(client, client.deleteResponse, { responseId: id }, md())],
    ["CancelResponse", "response", PATH_NOT_FOUND, (id) => call(client, client.cancelResponse, { responseId: id }, md())],
    ["ListInputItems", "response", PATH_NOT_FOUND, (id) => call(client, client.listInputItems, { responseId: id, order: "", after: "", include: [] }, md())],
    ["CreateResponse previous_response_id", "response", BODY_NOT_FOUND, (id) => call(client, client.createResponse, createWith({ inputText: "Go on.", previousResponseId: id }), md())],
    ["StreamResponse previous_response_id", "response", BODY_NOT_FOUND, (id) => collect(client.streamResponse(createWith({ inputText: "Go on.", previousResponseId: id }), md()))],
    ["CreateResponse item_reference", "item", BODY_NOT_FOUND, (id) => call(client, client.createResponse, createWith({ input: [{ type: "item_reference", id }] }), md())],
  ];
  try {
    for (const [label, kind, message, run] of calls) {
      for (const id of foreign[kind]) {
        const theirs = await grpcFailure(run(id));
        const unknown = await grpcFailure(run(randomId(kind)));
        expect(unknown.code, label).toBe(status.NOT_FOUND);
        expect(unknown.details, label).toBe(message);
        expect(theirs, `${label} on ${id}`).toEqual(unknown);
      }
    }
  } finally {
    client.close();
  }
}
