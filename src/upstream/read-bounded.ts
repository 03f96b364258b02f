// Reads a whole body into memory, refusing more than a bound instead of growing without limit.
import { GatewayError } from "../core/errors.js";

export async function readBounded(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, max: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) {
      body.destroy();
      throw new GatewayError("bad_gateway", "Azure OpenAI sent a response larger than the gateway accepts.", {
        reason: "upstream_response_too_large",
      });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}
