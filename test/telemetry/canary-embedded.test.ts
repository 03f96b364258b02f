// Promise 1 with nothing configured: the same canary paths against embedded PGlite, whose data files (heap, WAL) are searched byte for byte.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpFiles } from "../support/sink-dumps.js";
import { closeHttpAgent, sendOverHttp } from "./canary-http.js";
import { sendControlPlane } from "./canary-control.js";
import { sendOverGrpc } from "./canary-grpc.js";
import { expectNoLeaks, fileLeaks, otlpLeaks, outputLeaks } from "./canary-run.js";
import { startCanary, type CanarySetup } from "./canary-setup.js";

let setup: CanarySetup;

// No DATABASE_URL and no REDIS_URL: the database lives in the data directory and the limits in the process.
beforeAll(async () => {
  setup = await startCanary({});
});
afterAll(async () => {
  await closeHttpAgent();
  await setup?.close();
});

describe("one canary through every path of an embedded-mode gateway, found in no file", () => {
  it("reaches Azure and comes back to the client on every path of both doors, data and control plane", async () => {
    await sendOverHttp(setup.run);
    await sendOverGrpc(setup.run);
    await sendControlPlane(setup.run);
    expect(setup.run.paths).toHaveLength(23);
  }, 120_000);

  it("stops on SIGTERM with exit 0, its database closed and on disk", async () => {
    expect(await setup.gw.stop("SIGTERM")).toBe(0);
  }, 30_000);

  it("not in any file under the data, spool and temp directories: the database's own files included", () => {
    const files = dumpFiles(setup.gw.dirs.root);
    const data = Buffer.concat(files.filter((f) => f.path.startsWith("data")).map((f) => f.bytes));
    // The search is real: what the database stored (each answered call's request id) is found in its raw files.
    expect(setup.run.requestIds.length).toBeGreaterThan(0);
    expect(setup.run.requestIds.filter((id) => !data.includes(id))).toEqual([]);
    expectNoLeaks(fileLeaks(files));
  });

  it("not in stdout, stderr or any OTLP export", () => {
    expect(setup.gw.otlp.exports.some((e) => e.signal === "traces")).toBe(true);
    expectNoLeaks([...outputLeaks(setup.gw), ...otlpLeaks(setup.gw)]);
  });
});
