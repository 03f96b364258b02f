// Answers written straight to a socket for what Node's parser refuses or never hands over (bad request lines, CONNECT, upgrades, timeouts), in the OpenAI envelope with the security headers.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { newRequestId } from "../../core/context.js";
import { GatewayError } from "../../core/errors.js";
import { errorEnvelope } from "./errors.js";
import { securityHeaders } from "./security-headers.js";

export function writeBare(socket: Duplex, status: number, err: GatewayError, strictTransport: boolean): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorEnvelope(err));
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${newRequestId()}`,
    ...securityHeaders(strictTransport).map(([name, value]) => `${name}: ${value}`),
    "connection: close",
  ];
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
}

/** Requests Node's parser refuses (bad request line, 1 MB header, headers or request too slow). */
export function rejectMalformed(err: Error & { code?: string }, socket: Duplex, strictTransport: boolean): void {
  if (err.code === "ECONNRESET" || err.code === "EPIPE") {
    socket.destroy();
    return;
  }
  if (err.code === "HPE_HEADER_OVERFLOW") {
    return writeBare(socket, 431, new GatewayError("invalid_argument", "The request headers are too large.", { reason: "headers_too_large" }), strictTransport);
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ERR_HTTP_HEADERS_TIMEOUT") {
    return writeBare(socket, 408, new GatewayError("request_timeout", "The request did not arrive in time.", { reason: "request_timeout" }), strictTransport);
  }
  writeBare(socket, 400, new GatewayError("invalid_argument", "The request is malformed HTTP.", { reason: "malformed_request" }), strictTransport);
}

/** CONNECT and protocol upgrades are nothing this API serves. */
export function refuseTunnel(socket: Duplex, strictTransport: boolean): void {
  writeBare(socket, 405, new GatewayError("method_not_allowed", "CONNECT and protocol upgrades are not served here.", { reason: "method_not_allowed" }), strictTransport);
}
