// The login guard in Redis: one Lua script per step, so every replica shares one count and one lock.
import { GatewayError } from "../core/errors.js";
import type { RedisClient } from "../redis/connection.js";
import { type Admission, type LockoutPolicy, type LoginGuard } from "./login-guard.js";

// KEYS: fail, lock, level, srcFail, srcLock. ARGV: window, maxFailures, maxSource, lockMs, maxLockMs, levelMemory, now
// Returns {allowed, attempts[, engaged]}: engaged 1 when this attempt locked the account, 2 when it throttled the source.
// A lock's value is its end (epoch ms): every read of it gives the same time, which its TTL would not.
const BEGIN = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local s = redis.call('INCR', KEYS[4])
if s == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[1]) end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[5]) == 1 then return {0, n} end
if n > tonumber(ARGV[2]) then
  local level = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  local ms = math.min(tonumber(ARGV[4]) * 2 ^ (level - 1), tonumber(ARGV[5]))
  redis.call('SET', KEYS[2], tonumber(ARGV[7]) + ms, 'PX', ms)
  redis.call('PEXPIRE', KEYS[1], ms)
  return {0, n, 1}
end
if s > tonumber(ARGV[3]) then
  redis.call('SET', KEYS[5], 1, 'PX', ARGV[4])
  return {0, n, 2}
end
return {1, n}
`;

// KEYS: fail, lock, level. ARGV: maxFailures, lockMs, maxLockMs, levelMemory, now. Returns 1 when this failure locked the account.
const FAILED = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) and redis.call('EXISTS', KEYS[2]) == 0 then
  local level = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
  local ms = math.min(tonumber(ARGV[2]) * 2 ^ (level - 1), tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], tonumber(ARGV[5]) + ms, 'PX', ms)
  redis.call('PEXPIRE', KEYS[1], ms)
  return 1
end
return 0
`;

// KEYS: fail, srcFail
const SUCCEEDED = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
`;

interface GuardCommands {
  aikLoginBegin(...args: Array<string | number>): Promise<[number, number, number?]>;
  aikLoginFailed(...args: Array<string | number>): Promise<number>;
  aikLoginSucceeded(...args: Array<string | number>): Promise<number>;
}

function hasGuardCommands(r: RedisClient): r is RedisClient & GuardCommands {
  return typeof Reflect.get(r, "aikLoginBegin") === "function";
}

export class RedisLoginGuard implements LoginGuard {
  private readonly redis: RedisClient & GuardCommands;

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
    private readonly policy: LockoutPolicy,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT by itself.
    if (!hasGuardCommands(redis)) {
      redis.defineCommand("aikLoginBegin", { numberOfKeys: 5, lua: BEGIN });
      redis.defineCommand("aikLoginFailed", { numberOfKeys: 3, lua: FAILED });
      redis.defineCommand("aikLoginSucceeded", { numberOfKeys: 2, lua: SUCCEEDED });
    }
    if (!hasGuardCommands(redis)) throw new Error("Redis commands could not be defined");
    this.redis = redis;
  }

  // One hash tag for all login keys: each script touches one Redis Cluster slot.
  private key(kind: string, id: string): string {
    return `${this.prefix}{login}:${kind}:${id}`;
  }

  async begin(account: string, source: string): Promise<Admission> {
    const p = this.policy;
    const [allowed, attempts, engaged] = await this.run(() =>
      this.redis.aikLoginBegin(
        this.key("fail", account),
        this.key("lock", account),
        this.key("level", account),
        this.key("src-fail", source),
        this.key("src-lock", source),
        p.windowMs,
        p.maxFailures,
        p.maxSourceFailures,
        p.lockMs,
        p.maxLockMs,
        p.levelMemoryMs,
        Date.now(),
      ),
    );
    if (engaged === 1) return { allowed: false, attempts, engaged: "account_lock" };
    if (engaged === 2) return { allowed: false, attempts, engaged: "source_throttle" };
    return { allowed: allowed === 1, attempts };
  }

  async failed(account: string): Promise<boolean> {
    const p = this.policy;
    const locked = await this.run(() =>
      this.redis.aikLoginFailed(this.key("fail", account), this.key("lock", account), this.key("level", account), p.maxFailures, p.lockMs, p.maxLockMs, p.levelMemoryMs, Date.now()),
    );
    return locked === 1;
  }

  async succeeded(account: string, source: string): Promise<void> {
    await this.run(() => this.redis.aikLoginSucceeded(this.key("fail", account), this.key("src-fail", source)));
  }

  async lockedUntil(account: string): Promise<number | undefined> {
    const lock = this.key("lock", account);
    const [until, ttl] = await this.run(() => Promise.all([this.redis.get(lock), this.redis.pttl(lock)]));
    if (ttl <= 0) return undefined;
    // A lock an older replica set holds "1": its end is only known from its TTL.
    const end = Number(until);
    return end > 1 ? end : Date.now() + ttl;
  }

  async attempts(account: string): Promise<number> {
    return Number((await this.run(() => this.redis.get(this.key("fail", account)))) ?? 0);
  }

  async unlock(account: string): Promise<void> {
    await this.run(() => this.redis.del(this.key("fail", account), this.key("lock", account), this.key("level", account)));
  }

  /** Redis down: logins fail closed with 503, never open. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new GatewayError("unavailable", "Login is unavailable right now; try again shortly.", { reason: "service_unavailable", cause: err });
    }
  }
}
