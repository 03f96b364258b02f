// Request bytes that do not decode (invalid protobuf, a Struct nested past the decoder's stack) answered INVALID_ARGUMENT, not INTERNAL.
import type { MethodDefinition } from "@grpc/grpc-js";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import { GatewayError } from "../../core/errors.js";

/*
 * proto3 strings must be valid UTF-8, but the generated decoders replace bad bytes with U+FFFD
 * and go on: the HTTP door refuses those bytes, so the gRPC door must too. A fatal decoder makes
 * such a message fail to decode (then INVALID_ARGUMENT below). configureTextEncoding is marked
 * deprecated for its old purpose (polyfills); it is the library's one switch for this.
 */
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
configureTextEncoding({ ...getTextEncoding(), decodeUtf8: (bytes) => fatal.decode(bytes) });

/** What a request that would not decode becomes: the handler sees it and answers INVALID_ARGUMENT. */
const UNDECODABLE: unique symbol = Symbol("undecodable request");

interface Undecodable {
  readonly [UNDECODABLE]: true;
}

export function isUndecodable(request: unknown): request is Undecodable {
  return typeof request === "object" && request !== null && UNDECODABLE in request;
}

export function undecodable(): GatewayError {
  return new GatewayError("invalid_argument", "The request message is not valid protobuf for this method (or is nested too deeply).", {
    param: "message",
    reason: "invalid_message",
  });
}

/** grpc-js answers INTERNAL when a deserializer throws; this one never throws and lets the handler say what was wrong. */
export function tolerantDecoding(definition: MethodDefinition<unknown, unknown>): MethodDefinition<unknown, unknown> {
  return {
    ...definition,
    requestDeserialize: (bytes: Buffer): unknown => {
      try {
        return definition.requestDeserialize(bytes);
      } catch {
        return { [UNDECODABLE]: true };
      }
    },
  };
}
