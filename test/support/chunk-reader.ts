// Byte chunks read the way sseBatches reads an upstream answer (src/upstream/sse.ts ChunkReader): from an async
// source, each read waits for it; from a list, each read has its chunk at once, as a held one would.
import type { ChunkReader } from "../../src/upstream/sse.js";

export function chunkReader(source: AsyncIterable<Uint8Array> | readonly Uint8Array[]): ChunkReader {
  if (Symbol.asyncIterator in source) {
    const chunks = source[Symbol.asyncIterator]();
    return { read: () => chunks.next().then((r) => (r.done ? null : r.value)) };
  }
  const left = [...source];
  return { read: () => left.shift() ?? null };
}
