// Response messages to bytes with one reused writer: the generated serializers start a writer (and grow its buffer) per message.
import type { DescMethod } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import * as chat from "../../../gen/aik/v1/chat.js";
import * as responses from "../../../gen/aik/v1/responses.js";

/** What is needed of a generated message type: ts-proto's encoder, which gen/ keeps in step with the proto. */
interface MessageEncoder {
  encode(message: never, writer?: BinaryWriter): BinaryWriter;
}

/** The generated modules of the data plane's protos, by file name (as the descriptors give it); ts-proto exports each message's functions under the message's name. */
const GENERATED: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "aik/v1/chat": chat,
  "aik/v1/responses": responses,
};

function isEncoder(v: unknown): v is MessageEncoder {
  return typeof v === "object" && v !== null && "encode" in v && typeof v.encode === "function";
}

/**
 * The serializer for `method`'s response message. Its generated serializer writes each message
 * into a new writer whose buffer grows from 128 bytes by doubling, then copies the bytes into a
 * Buffer: per chunk of a stream. The encoder is found by the name the descriptors give the
 * method's output type; a method whose message has none fails the start.
 */
export function responseSerializer(method: DescMethod): (message: unknown) => Buffer {
  // A nested message's functions are exported as Parent_Child: only a top-level name is looked up.
  const encoder = method.output.parent === undefined ? GENERATED[method.output.file.name]?.[method.output.name] : undefined;
  if (!isEncoder(encoder)) {
    throw new Error(`${method.parent.typeName}/${method.name}: no generated encoder for ${method.output.typeName}: run npm run generate, or add ${method.output.file.name}'s module to GENERATED in response-writer.ts.`);
  }
  // grpc-js hands the serializer what the method's handler answered: the method's response message.
  return (message) => serialize(encoder, message as never);
}

/*
 * Encoding is synchronous, so one writer serves every call in turn. A message larger than
 * KEEP_BYTES leaves the writer behind, so one large answer (embeddings) does not hold its buffer
 * for the life of the process.
 */
const KEEP_BYTES = 64 * 1024;
let writer = new BinaryWriter();

function serialize(encoder: MessageEncoder, message: never): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = encoder.encode(message, writer).finish();
  } catch (err) {
    // A throw leaves the writer in the middle of a message; grpc-js answers INTERNAL as before.
    writer = new BinaryWriter();
    throw err;
  }
  if (bytes.byteLength > KEEP_BYTES) writer = new BinaryWriter();
  // finish() copied the bytes out of the writer's buffer: a view of them needs no second copy.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
