// The Lua scripts behind RedisLimiter: one atomic round trip to admit, one to settle (mirrors limit-rules.ts).
import { CONCURRENCY_RETRY_MS, UNIT } from "./limit-rules.js";

// Server time unless the caller pinned a clock (tests): every replica then refills from one clock,
// so a replica whose clock runs ahead cannot hand out tokens that have not been earned yet.
export const CLOCK = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local UNIT = ${UNIT}
local function bucket(key, limit)
  local v = redis.call('HMGET', key, 'l', 't')
  local l, t = tonumber(v[1]) or 0, tonumber(v[2]) or now
  return math.max(0, l - math.max(0, now - t) * limit), math.max(now, t)
end
local function keep(key, l, t, limit)
  redis.call('HSET', key, 'l', l, 't', t)
  redis.call('PEXPIRE', key, math.ceil(l / limit) + 1000)
end
`;

/**
 * KEYS, per subject: rpm bucket, tpm bucket, in-flight set, month spend.
 * ARGV: now|'', requestId, tokens, cost, leaseMs, monthEndMs, spendExpireAtMs, then per subject
 * the limits rpm, tpm, concurrency, budget ('' = unlimited).
 * Returns {ok, dimension 1-4, subject 0-1, tooLarge, retryAfterMs|-1,
 *          requests limit|-1, remaining, resetMs, tokens limit|-1, remaining, resetMs}.
 */
export const ADMIT = `${CLOCK}
local tokens, cost, lease, monthEnd = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local n = #KEYS / 4
local costs = {1, tokens}
local buckets = {}
local refusal = nil
local function refuse(dim, s, tooLarge, retry)
  if refusal == nil or (not refusal[3] and (tooLarge or retry > refusal[4])) then refusal = {dim, s, tooLarge, retry} end
end
for i = 0, n - 1 do
  local a = 8 + 4 * i
  buckets[i] = {}
  for d = 1, 2 do
    local limit = tonumber(ARGV[a + d - 1])
    if limit then
      local l, t = bucket(KEYS[4 * i + d], limit)
      buckets[i][d] = {limit, l, t}
      local cap, need = limit * UNIT, costs[d] * UNIT
      if cap == 0 or need > cap then refuse(d, i, true, -1)
      elseif l + need > cap then refuse(d, i, false, math.ceil((l + need - cap) / limit)) end
    end
  end
  -- Reaping lapsed leases is not consumption: a refusal may do it too.
  redis.call('ZREMRANGEBYSCORE', KEYS[4 * i + 3], '-inf', now)
  local conc = tonumber(ARGV[a + 2])
  if conc then
    if conc < 1 then refuse(3, i, true, -1)
    elseif redis.call('ZCARD', KEYS[4 * i + 3]) >= conc then refuse(3, i, false, ${CONCURRENCY_RETRY_MS}) end
  end
  local budget = tonumber(ARGV[a + 3])
  if budget then
    local spent = tonumber(redis.call('GET', KEYS[4 * i + 4]) or '0')
    if budget == 0 or cost > budget then refuse(4, i, true, -1)
    elseif spent + cost > budget then refuse(4, i, false, math.max(1, monthEnd - now)) end
  end
end
if refusal == nil then
  for i = 0, n - 1 do
    for d = 1, 2 do
      local b = buckets[i][d]
      if b then
        b[2] = b[2] + costs[d] * UNIT
        keep(KEYS[4 * i + d], b[2], b[3], b[1])
      end
    end
    -- Every admission holds an in-flight entry, limited or not: settle consumes it exactly once.
    redis.call('ZADD', KEYS[4 * i + 3], now + lease, ARGV[2])
    redis.call('PEXPIRE', KEYS[4 * i + 3], lease + 1000)
    redis.call('INCRBY', KEYS[4 * i + 4], cost)
    redis.call('PEXPIREAT', KEYS[4 * i + 4], ARGV[7])
  end
end
local out = {refusal and 0 or 1, refusal and refusal[1] or 0, refusal and refusal[2] or 0,
  (refusal and refusal[3]) and 1 or 0, refusal and refusal[4] or -1}
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

/**
 * KEYS, per subject: tpm bucket, in-flight set, month spend.
 * ARGV: now|'', requestId, token delta (actual - reserved), cost delta, then per subject its tpm limit|''.
 * Returns 1 if applied, 0 if the ticket had been settled already.
 */
export const SETTLE = `${CLOCK}
-- The first subject's in-flight entry is the ticket's receipt: absent means settled already
-- (or its lease lapsed and was reaped: the reservation then stands as the charge).
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
local dt, dc = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 0, #KEYS / 3 - 1 do
  if i > 0 then redis.call('ZREM', KEYS[3 * i + 2], ARGV[2]) end
  local limit = tonumber(ARGV[5 + i])
  if limit and limit > 0 and dt ~= 0 then
    local l, t = bucket(KEYS[3 * i + 1], limit)
    keep(KEYS[3 * i + 1], math.max(0, l + dt * UNIT), t, limit)
  end
  -- A counter that already expired is not brought back for a stray late settlement.
  if dc ~= 0 and redis.call('EXISTS', KEYS[3 * i + 3]) == 1 then redis.call('INCRBY', KEYS[3 * i + 3], dc) end
end
return 1
`;

/** KEYS: tpm bucket. ARGV: now|'', limit. Returns the tokens left now (negative in debt). */
export const PEEK = `${CLOCK}
local limit = tonumber(ARGV[2])
local l = bucket(KEYS[1], limit)
return math.floor((limit * UNIT - l) / UNIT)
`;

/**
 * A read of one subject, changing nothing. KEYS: rpm bucket, tpm bucket, in-flight set, month spend.
 * ARGV: now|'', rpm limit|'', tpm limit|''. Returns {requests used|-1, tokens used|-1, in flight, spend}:
 * a bucket's level in requests or tokens, rounded up (-1 without a limit); in-flight entries whose lease holds.
 */
export const USAGE = `${CLOCK}
local out = {-1, -1, 0, 0}
for d = 1, 2 do
  local limit = tonumber(ARGV[d + 1])
  if limit and limit > 0 then
    local l = bucket(KEYS[d], limit)
    out[d] = math.ceil(l / UNIT)
  end
end
out[3] = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
out[4] = tonumber(redis.call('GET', KEYS[4]) or '0')
return out
`;

/** KEYS: month spend. ARGV: the metered spend, ms until the counter may expire. Raises, never lowers. */
export const RAISE_SPEND = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;
