// Request ids: OpenAI's shape, 128 random bits each, never repeated, across the random pool's refills.
import { expect, it } from "vitest";
import { newRequestId } from "../../src/core/context.js";

it("gives req_ and 32 hex digits, all different across several refills of the random pool", () => {
  const ids = Array.from({ length: 2_000 }, () => newRequestId());
  for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
  expect(new Set(ids).size).toBe(ids.length);
  // Every hex digit turns up in every position: the bytes are random, not a counter or a zeroed pool.
  for (let pos = 4; pos < 36; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(16);
});
