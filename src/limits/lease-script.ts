// The Lua script behind leased admission: give back what a replica held, admit one request, take a new slice; one round trip.
import { CLOCK } from "./redis-scripts.js";

/**
 * KEYS, per subject: rpm bucket, tpm bucket, month spend.
 * ARGV: 1 now|'', 2 mode (0: give back only; 1: give back, admit the request, take a slice;
 *   2: give back, take a slice), 3 the request's tokens, 4 its cost, 5-7 requests, tokens and
 *   cost given back (tokens and cost may be negative: a debt settlements ran up), 8 the most
 *   requests a slice may hold, 9 the share of what remains a slice may take (1/ARGV[9]),
 *   10 monthEndMs, 11 spendExpireAtMs, 12 the fewest requests a slice may hold, then per subject
 *   its rpm, tpm and budget limits ('' = none).
 * Returns {ok, dimension 1|2|4, subject, tooLarge, retryAfterMs|-1, slice requests, slice tokens,
 *          slice cost, requests limit|-1, remaining, resetMs, tokens limit|-1, remaining, resetMs}.
 * A slice is sized from the request (ARGV 3-4) and taken from every limited dimension of every
 * subject, or not at all: it must hold at least ARGV[12] more such requests everywhere.
 */
export const LEASE = `${CLOCK}
local mode, tokens, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local back = {tonumber(ARGV[5]), tonumber(ARGV[6])}
local backCost = tonumber(ARGV[7])
local most, share, monthEnd, least = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[12])
local n = #KEYS / 3
local costs = {1, tokens}
local buckets, budgets = {}, {}
local refusal = nil
local function refuse(dim, s, tooLarge, retry)
  if refusal == nil or (not refusal[3] and (tooLarge or retry > refusal[4])) then refusal = {dim, s, tooLarge, retry} end
end
for i = 0, n - 1 do
  local a = 13 + 3 * i
  buckets[i] = {}
  for d = 1, 2 do
    local limit = tonumber(ARGV[a + d - 1])
    if limit then
      local l, t = bucket(KEYS[3 * i + d], limit)
      -- What the replica held and did not use is returned first; a debt is charged.
      l = math.max(0, l - back[d] * UNIT)
      buckets[i][d] = {limit, l, t}
      if mode == 1 then
        local cap, need = limit * UNIT, costs[d] * UNIT
        if cap == 0 or need > cap then refuse(d, i, true, -1)
        elseif l + need > cap then refuse(d, i, false, math.ceil((l + need - cap) / limit)) end
      end
    end
  end
  local budget = tonumber(ARGV[a + 2])
  if budget then
    local spent = math.max(0, tonumber(redis.call('GET', KEYS[3 * i + 3]) or '0') - backCost)
    budgets[i] = {budget, spent}
    if mode == 1 then
      if budget == 0 or cost > budget then refuse(4, i, true, -1)
      elseif spent + cost > budget then refuse(4, i, false, math.max(1, monthEnd - now)) end
    end
  end
end
local slice = {0, 0, 0}
if refusal == nil and mode ~= 0 then
  if mode == 1 then
    for i = 0, n - 1 do
      for d = 1, 2 do
        local b = buckets[i][d]
        if b then b[2] = b[2] + costs[d] * UNIT end
      end
      if budgets[i] then budgets[i][2] = budgets[i][2] + cost end
    end
  end
  local k, tk, ck = most, tokens * most, cost * most
  for i = 0, n - 1 do
    local r, t = buckets[i][1], buckets[i][2]
    if r then k = math.min(k, math.floor(math.floor((r[1] * UNIT - r[2]) / UNIT) / share)) end
    if t then tk = math.min(tk, math.floor(math.floor((t[1] * UNIT - t[2]) / UNIT) / share)) end
    if budgets[i] then ck = math.min(ck, math.floor((budgets[i][1] - budgets[i][2]) / share)) end
  end
  -- A slice too small to save round trips is not worth making other requests wait for it.
  if k >= least and tk >= tokens * least and ck >= cost * least then
    slice = {k, tk, ck}
    for i = 0, n - 1 do
      for d = 1, 2 do
        local b = buckets[i][d]
        if b then b[2] = b[2] + slice[d] * UNIT end
      end
      if budgets[i] then budgets[i][2] = budgets[i][2] + ck end
    end
  end
end
for i = 0, n - 1 do
  for d = 1, 2 do
    local b = buckets[i][d]
    -- A limit of 0 admits nothing and so holds nothing to keep.
    if b and b[1] > 0 then keep(KEYS[3 * i + d], b[2], b[3], b[1]) end
  end
  if budgets[i] then
    redis.call('SET', KEYS[3 * i + 3], budgets[i][2])
    redis.call('PEXPIREAT', KEYS[3 * i + 3], ARGV[11])
  end
end
local out = {refusal and 0 or 1, refusal and refusal[1] or 0, refusal and refusal[2] or 0,
  (refusal and refusal[3]) and 1 or 0, refusal and refusal[4] or -1, slice[1], slice[2], slice[3]}
for d = 1, 2 do
  local best = nil
  for i = 0, n - 1 do
    local b = buckets[i][d]
    if b then
      local remaining = math.max(0, math.floor((b[1] * UNIT - b[2]) / UNIT))
      local reset = b[1] > 0 and math.ceil(b[2] / b[1]) or 0
      if best == nil or remaining < best[2] then best = {b[1], remaining, reset} end
    end
  end
  best = best or {-1, 0, 0}
  out[#out + 1] = best[1]
  out[#out + 1] = best[2]
  out[#out + 1] = best[3]
end
return out
`;
