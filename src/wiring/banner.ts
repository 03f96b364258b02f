// What a person starting the gateway needs to read: the mode, the addresses (the console's too), and (once) the first key.
import type { RunningGateway } from "../app.js";

const RULE = "=".repeat(78);

export function banner(g: RunningGateway, dataDir: string): string {
  const lines = [""];
  if (g.emulator) {
    lines.push(
      RULE,
      "  AI-K is answering from its BUILT-IN AZURE OPENAI EMULATOR: nothing goes to Azure,",
      "  answers are synthetic. Set AIK_CONFIG (deployments) or AZURE_OPENAI_ENDPOINT and",
      "  AZURE_OPENAI_API_KEY to serve real Azure OpenAI.",
      RULE,
    );
  }
  if (g.database.embedded) {
    lines.push(`  Store: embedded PGlite in ${dataDir} (single instance). Set DATABASE_URL for Postgres.`);
  }
  lines.push(`  HTTP  ${g.httpUrl}        gRPC  ${g.grpcAddress}`);
  if (g.console) {
    const note = g.console.built ? "log in with an email and password" : "not built: run npm run build";
    lines.push(`  Console  ${g.console.url}   (${note})`);
  }
  const key = g.bootstrap?.apiKey ?? "<your API key>";
  const model = g.emulator ? "gpt-4o-mini" : "<model>";
  const curl = `curl ${g.httpUrl}/v1/chat/completions -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`;
  if (g.bootstrap) {
    lines.push(
      "",
      "  First start: an admin user and an API key were created. They are shown this once",
      "  and cannot be recovered (only their hashes are stored):",
      `    admin login  ${g.bootstrap.email}  password ${g.bootstrap.password}`,
      `    API key      ${g.bootstrap.apiKey}`,
    );
  }
  lines.push(`  Try:  ${curl}`, "", "");
  return lines.join("\n");
}
