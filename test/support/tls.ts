// A throwaway self-signed certificate for 127.0.0.1, made with openssl, for the tests that serve over TLS.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function selfSigned(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "aik-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
  return { certFile, keyFile };
}
