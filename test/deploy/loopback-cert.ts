// A throwaway self-signed certificate for 127.0.0.1 with the address in subjectAltName, so nginx and undici can verify it by IP.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Writes cert.pem and key.pem into `dir` (which the caller removes). */
export function loopbackCert(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}
