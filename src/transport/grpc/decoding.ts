// Request bytes that do not decode (invalid protobuf, a Struct nested past the decoder's stack) answered INVALID_ARGUMENT, not INTERNAL, once the caller is known.
import type { MethodDefinition } from "@grpc/grpc-js";
import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";
import type { CallContext } from "../../core/context.js";
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

function isUndecodable(request: unknown): request is Undecodable {
  return typeof request === "object" && request !== null && UNDECODABLE in request;
}

function undecodable(): GatewayError {
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

/**
 * `fn` behind the order every gRPC method keeps: the credential in the metadata first (when
 * `authenticate` is given), so an unauthenticated caller gets UNAUTHENTICATED, never a validation
 * error; then bytes that did not decode are refused; only then does `fn` see the message.
 */
export function guarded<Res>(
  authenticate: ((ctx: CallContext) => Promise<void>) | undefined,
  fn: (request: unknown, ctx: CallContext) => Promise<Res>,
): (request: unknown, ctx: CallContext) => Promise<Res> {
  return async (request, ctx) => {
    if (authenticate) await authenticate(ctx);
    if (isUndecodable(request)) throw undecodable();
    return fn(request, ctx);
  };
}
