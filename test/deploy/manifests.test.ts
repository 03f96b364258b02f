// deploy/kubernetes is valid for the pinned Kubernetes API and runs the gateway as it must run; each check is shown to fail on a broken copy.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkManifests, type Documents } from "./manifest-checks.js";

const root = join(import.meta.dirname, "../..");
const manifests = join(root, "deploy/kubernetes");
const docs: Documents = { readme: readFileSync(join(root, "README.md"), "utf8"), dockerfile: readFileSync(join(root, "Dockerfile"), "utf8") };
const copies: string[] = [];

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A copy of deploy/kubernetes with `find` replaced by `replace` in one file; the text must be there exactly once. */
function brokenCopy(file: string, find: string, replace: string): string {
  const dir = mkdtempSync(join(tmpdir(), "aik-k8s-"));
  copies.push(dir);
  cpSync(manifests, dir, { recursive: true });
  const text = readFileSync(join(dir, file), "utf8");
  const count = text.split(find).length - 1;
  if (count !== 1) throw new Error(`${file} holds ${JSON.stringify(find)} ${count} times: the breakage would not be what this case says`);
  writeFileSync(join(dir, file), text.replace(find, replace));
  return dir;
}

describe("deploy/kubernetes", () => {
  it("validates against the Kubernetes API schemas and meets every rule", () => {
    expect(checkManifests(manifests, docs)).toEqual([]);
  });

  // Each case breaks one thing in a copy and expects the problem it causes to be named.
  const cases: [string, string, string, string, RegExp][] = [
    ["a misspelt field (unknown to the API)", "deployment.yaml", "readinessProbe:", "readinesProbe:", /'"readinesProbe"' does not exist in type 'IContainer'/],
    ["a wrong type", "deployment.yaml", "containerPort: 8080", 'containerPort: "8080"', /schema: data\/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/],
    ["an apiVersion the API no longer serves", "poddisruptionbudget.yaml", "apiVersion: policy/v1", "apiVersion: policy/v1beta1", /policy\/v1beta1 PodDisruptionBudget is not a kind/],
    ["YAML that does not parse", "service.yaml", "  type: ClusterIP", "  type: [ClusterIP", /service\.yaml#0: not valid YAML/],
    ["a writable root file system", "deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", /readOnlyRootFilesystem must be true/],
    ["capabilities kept", "deployment.yaml", "                - ALL", "                - NET_RAW", /capabilities must drop ALL/],
    ["a liveness probe on the readiness path", "deployment.yaml", "path: /healthz\n              port: http\n            periodSeconds: 10", "path: /readyz\n              port: http\n            periodSeconds: 10", /livenessProbe must GET \/healthz/],
    ["a grace period shorter than the drain", "deployment.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 20", /terminationGracePeriodSeconds 20 must exceed preStop 5 s \+ shutdown_delay_ms 5000 \+ shutdown_grace_ms 10000 \+ metering flush 10000 ms = 30 s/],
    ["a longer drain in the config file", "configmap.yaml", "    server:\n", "    server:\n      shutdown_grace_ms: 60000\n", /terminationGracePeriodSeconds 45 must exceed .* shutdown_grace_ms 60000 .* = 80 s/],
    ["the spool on the read-only root", "deployment.yaml", "value: /var/lib/aik", "value: .aik", /the metering spool \/app\/\.aik\/spool is not on a writable volume/],
    ["a Secret nobody creates", "deployment.yaml", "name: aik-redis", "name: aik-cache", /REDIS_URL reads key url of Secret aik-cache, which is neither applied nor documented/],
    ["a ConfigMap nobody applies", "deployment.yaml", "name: aik-config", "name: aik-settings", /ConfigMap aik-settings is not applied by the kustomization/],
    ["a deployment key the Secret lacks", "configmap.yaml", "api_key_env: AZURE_SWEDENCENTRAL_KEY", "api_key_env: AZURE_WESTUS_KEY", /would not start with this config: .*AZURE_WESTUS_KEY, which is not set/],
    ["a Service that selects other pods", "service.yaml", "  selector:\n    app.kubernetes.io/name: aik\n    app.kubernetes.io/component: gateway", "  selector:\n    app.kubernetes.io/name: aik\n    app.kubernetes.io/component: worker", /Service selector: selects .*worker.*, not the Deployment's pods/],
    ["an HPA aimed elsewhere", "horizontalpodautoscaler.yaml", "    name: aik\n", "    name: aik-old\n", /scaleTargetRef must name the Deployment/],
    ["egress to another port", "networkpolicy.yaml", "- port: 443", "- port: 8443", /egress to port 8443 is none of DNS, Postgres, Redis or Azure's/],
    ["a manifest the kustomization leaves out", "kustomization.yaml", "  - networkpolicy.yaml\n", "", /does not list networkpolicy\.yaml/],
  ];

  it.each(cases)("rejects %s", (_what, file, find, replace, expected) => {
    const problems = checkManifests(brokenCopy(file, find, replace), docs);
    expect(problems.some((p) => expected.test(p)), problems.join("\n")).toBe(true);
  });
});
