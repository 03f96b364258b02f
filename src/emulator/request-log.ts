// The bounded, in-arrival-order record of what the emulator was asked, for tests and the control API.
import type { RequestRecord } from "./api.js";

export class RequestLog {
  private readonly items: RequestRecord[] = [];

  constructor(private readonly capacity = 10_000) {}

  /** The record is returned so the request can fill it in as it progresses (status, usage, aborted). */
  start(method: string, path: string): RequestRecord {
    const record: RequestRecord = { method, path, stream: false, status: 0, aborted: false };
    if (this.items.length >= this.capacity) this.items.shift();
    this.items.push(record);
    return record;
  }

  get all(): readonly RequestRecord[] {
    return this.items;
  }

  clear(): void {
    this.items.length = 0;
  }

  /** What the control API serves: request bodies stay in this process. */
  withoutBodies(): Array<Omit<RequestRecord, "body">> {
    return this.items.map(({ body: _body, ...rest }) => rest);
  }
}
