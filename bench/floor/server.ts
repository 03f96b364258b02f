// One server answering every chat completion with the same fixed answer, over one transport, for the transport floor.
// Started by measure.ts (compiled, as every bench child): server.ts <http | h2 | grpc-js> <unary | stream>; prints
// "floor server listening on <port>" when ready.
import { createServer } from "node:http";
import { createServer as createHttp2Server, type ServerHttp2Stream } from "node:http2";
import { Metadata, Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatServiceService } from "../../gen/aik/v1/chat.js";
import { sseFrame } from "../../src/core/sse-frame.js";
import { directCalls } from "../../src/transport/grpc/direct-call.js";
import { frame, messagesIn } from "../gateway/requesters.js";
import { SHAPES, TRANSPORTS, type Shape, type Transport } from "./transports.js";

/** The size and shape of the emulator's answer to the gateway bench's prompt (16 output tokens). */
const ANSWER_JSON = JSON.stringify({
  id: "chatcmpl-0f6b3c2a9d4e4b8f8a1c",
  object: "chat.completion",
  created: 1764633600,
  model: "gpt-4o-2024-11-20",
  system_fingerprint: "fp_emulator",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello there! This is a short answer of sixteen words or so, for you.", refusal: null }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 14, completion_tokens: 16, total_tokens: 30 },
});
const ANSWER = ChatCompletion.fromJSON(JSON.parse(ANSWER_JSON));

/** The chunks of the same answer as Azure streams it: an empty first chunk, the role, 16 words, the finish, the usage. */
const WORDS = "Hello there! This is a short answer of sixteen words or so, for you today.".split(" ");
const CHUNKS_JSON = [
  { choices: [], prompt_filter_results: [] },
  { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
  ...WORDS.map((w, i) => ({ choices: [{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: null }] })),
  { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  { choices: [], usage: { prompt_tokens: 14, completion_tokens: 16, total_tokens: 30 } },
].map((c) => ({ id: "chatcmpl-0f6b3c2a9d4e4b8f8a1c", object: "chat.completion.chunk", created: 1764633600, model: "gpt-4o-2024-11-20", system_fingerprint: "fp_emulator", ...c }));
const SSE = [...CHUNKS_JSON.map((c) => JSON.stringify(c)), "[DONE]"].map((data) => sseFrame(undefined, data)).join("");
const CHUNKS = CHUNKS_JSON.map((c) => ChatCompletionChunk.fromJSON(c));

const [kind, shape] = process.argv.slice(2);
if (!TRANSPORTS.includes(kind as Transport) || !SHAPES.includes(shape as Shape)) {
  throw new Error(`usage: server.ts <${TRANSPORTS.join(" | ")}> <${SHAPES.join(" | ")}>`);
}
const stream = shape === "stream";
const ready = (port: number): void => console.log(`floor server listening on ${port}`);
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));

// Each server reads the whole request and decodes it (JSON.parse or the generated decoder), as a gateway must.
if (kind === "http") {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      JSON.parse(Buffer.concat(parts).toString());
      if (stream) {
        // The emulator's unpaced stream leaves in one write; so does this one.
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.end(SSE);
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER_JSON) });
      res.end(ANSWER_JSON);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => ready(portOf(server.address())));
} else if (kind === "h2") {
  // gRPC's wire format written by hand on node:http2: what any gRPC server in Node pays before a library adds anything.
  const server = createHttp2Server();
  server.on("stream", (h2stream: ServerHttp2Stream) => {
    const parts: Buffer[] = [];
    h2stream.on("data", (c: Buffer) => parts.push(c));
    h2stream.on("end", () => {
      for (const message of messagesIn(Buffer.concat(parts))) ChatCompletionRequest.decode(message);
      const framed = Buffer.concat(stream ? CHUNKS.map((c) => frame(ChatCompletionChunk.encode(c).finish())) : [frame(ChatCompletion.encode(ANSWER).finish())]);
      h2stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      h2stream.once("wantTrailers", () => h2stream.sendTrailers({ "grpc-status": "0", "grpc-message": "OK" }));
      h2stream.end(framed);
    });
  });
  server.listen(0, "127.0.0.1", () => ready(portOf(server.address())));
} else {
  // grpc-js as the gateway configures it (channelz off). A unary call goes through grpc-js's ordinary handler; a stream
  // through the gateway's own directCalls interceptor, which sends the messages at once (grpc-js's handler would wait
  // for each message's socket write before it takes the next).
  const direct = directCalls(
    new Map([
      [
        ChatServiceService.streamChatCompletion.path,
        (call) => {
          call.sendMetadata(new Metadata());
          for (const c of CHUNKS) call.write(c);
          call.end();
        },
      ],
    ]),
  );
  const server = new Server({ "grpc.enable_channelz": 0, interceptors: [direct] });
  server.addService(ChatServiceService, {
    createChatCompletion: (_call: ServerUnaryCall<ChatCompletionRequest, ChatCompletion>, callback: sendUnaryData<ChatCompletion>) => callback(null, ANSWER),
  });
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    ready(port);
  });
}

function portOf(address: ReturnType<ReturnType<typeof createServer>["address"]>): number {
  if (typeof address !== "object" || address === null) throw new Error("floor server: no TCP address");
  return address.port;
}
