// Server-sent events: turns a byte stream into the `data:` payloads of complete events.

/**
 * Yields one string per event (multi-line data joined by "\n"), as the SSE spec dispatches
 * them; comments and other fields are ignored; an unterminated event at the end is dropped.
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let data: string[] = [];
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    // A trailing "\r" may be the first half of "\r\n": wait for the next chunk to decide.
    const cut = pending.endsWith("\r") ? pending.length - 1 : pending.length;
    const lines = pending.slice(0, cut).split(/\r\n|\r|\n/);
    pending = lines.pop() + pending.slice(cut);
    for (const line of lines) {
      if (line === "") {
        if (data.length > 0) yield data.join("\n");
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      }
    }
  }
}
