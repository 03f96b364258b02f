// grpc.health.v1: Check, List and Watch, reporting SERVING until the process starts draining.
import { status, type ServerWritableStream } from "@grpc/grpc-js";
import {
  HealthCheckResponse_ServingStatus as Serving,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from "../../../gen/grpc/health/v1/health.js";
import type { Readiness } from "../../core/readiness.js";

export function healthService(readiness: Readiness, services: readonly string[]): HealthServer {
  const known = new Set(["", ...services]);
  const current = (): Serving => (readiness.ready ? Serving.SERVING : Serving.NOT_SERVING);
  return {
    check(call, callback) {
      if (!known.has(call.request.service)) {
        callback({ code: status.NOT_FOUND, details: `Unknown service '${call.request.service.slice(0, 200)}'.` });
        return;
      }
      callback(null, { status: current() });
    },
    list(_call, callback) {
      const statuses: Record<string, HealthCheckResponse> = {};
      for (const name of known) statuses[name] = { status: current() };
      callback(null, { statuses });
    },
    watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) {
      const service = call.request.service;
      if (!known.has(service)) {
        call.write({ status: Serving.SERVICE_UNKNOWN });
        return;
      }
      call.write({ status: current() });
      const unsubscribe = readiness.subscribe(() => call.write({ status: current() }));
      call.on("cancelled", unsubscribe);
      call.on("close", unsubscribe);
    },
  };
}
