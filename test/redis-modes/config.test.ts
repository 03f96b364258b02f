// REDIS_MODE and its settings from env and file: each mode reads to one typed target, each mistake names the setting and the fix, and never echoes a password.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/config/reader.js";

const NO_AUTH = { username: undefined, password: undefined, tls: false, db: 0 };

function redisOf(env: Record<string, string>, file?: string) {
  return loadConfig(file === undefined ? env : { AIK_CONFIG: "/etc/aik.yaml", ...env }, () => file ?? "").redis;
}

describe("redis.mode", () => {
  it("standalone stays what it was: REDIS_URL as given, or no Redis at all", () => {
    expect(redisOf({ REDIS_URL: "redis://:pw@cache:6380/2" }).servers).toEqual({ mode: "standalone", url: "redis://:pw@cache:6380/2" });
    expect(redisOf({}).servers).toBeUndefined();
    expect(redisOf({}, "redis: { url: redis://cache:6379 }").servers).toEqual({ mode: "standalone", url: "redis://cache:6379" });
  });

  it("cluster: REDIS_URL is the seed nodes, comma-separated, with one set of credentials", () => {
    expect(redisOf({ REDIS_MODE: "cluster", REDIS_URL: "rediss://u:s3cret@10.0.0.1:7000,rediss://u:s3cret@node-b" }).servers).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "node-b", port: 6379 },
      ],
      auth: { username: "u", password: "s3cret", tls: true, db: 0 },
    });
    expect(redisOf({}, "redis:\n  mode: cluster\n  url: 10.0.0.1:7000,10.0.0.2:7000,[::1]:7002\n").servers).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7000 },
        { host: "::1", port: 7002 },
      ],
      auth: NO_AUTH,
    });
  });

  it("sentinel: REDIS_SENTINELS and REDIS_SENTINEL_NAME; REDIS_URL, if set, only carries the master's credentials and database", () => {
    expect(redisOf({ REDIS_MODE: "sentinel", REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2", REDIS_SENTINEL_NAME: "aik" }).servers).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "10.0.0.2", port: 26379 },
      ],
      name: "aik",
      auth: NO_AUTH,
    });
    const file = "redis:\n  mode: sentinel\n  sentinels: [ 's1:26380', 's2:26380' ]\n  sentinel_name: aik\n  url: redis://:pw@aik/3\n";
    expect(redisOf({}, file).servers).toEqual({
      mode: "sentinel",
      sentinels: [
        { host: "s1", port: 26380 },
        { host: "s2", port: 26380 },
      ],
      name: "aik",
      auth: { username: undefined, password: "pw", tls: false, db: 3 },
    });
    // The environment wins over the file, as everywhere.
    expect(redisOf({ REDIS_SENTINELS: "s9:1" }, file).servers).toMatchObject({ sentinels: [{ host: "s9", port: 1 }] });
  });

  it.each<[string, Record<string, string>, string | undefined, RegExp]>([
    ["an unknown mode", { REDIS_MODE: "replicated" }, undefined, /REDIS_MODE must be "standalone", "cluster" or "sentinel"/],
    ["an unknown file mode", {}, "redis: { mode: shards }", /redis\.mode must be/],
    ["several servers in standalone mode", { REDIS_URL: "redis://a:1,redis://b:2" }, undefined, /REDIS_MODE=cluster/],
    ["cluster without seed nodes", { REDIS_MODE: "cluster" }, undefined, /REDIS_MODE=cluster needs REDIS_URL/],
    ["cluster seeds with different passwords", { REDIS_MODE: "cluster", REDIS_URL: "redis://:one@a:1,redis://:two@b:2" }, undefined, /same user, password and scheme/],
    ["a cluster database other than 0", { REDIS_MODE: "cluster", REDIS_URL: "redis://a:1/3" }, undefined, /only database 0/],
    ["a brace in the cluster key prefix", { REDIS_MODE: "cluster", REDIS_URL: "a:1", AIK_REDIS_PREFIX: "{aik}:" }, undefined, /must not contain \{ or \}/],
    ["a seed that is not an address", { REDIS_MODE: "cluster", REDIS_URL: "http://a:1" }, undefined, /entry 1 must be host:port/],
    ["sentinel without sentinels", { REDIS_MODE: "sentinel", REDIS_SENTINEL_NAME: "aik" }, undefined, /needs REDIS_SENTINELS/],
    ["sentinel without a name", { REDIS_MODE: "sentinel", REDIS_SENTINELS: "s:1" }, undefined, /needs REDIS_SENTINEL_NAME/],
    ["a sentinel URL naming a host", { REDIS_MODE: "sentinel", REDIS_SENTINELS: "s:1", REDIS_SENTINEL_NAME: "aik", REDIS_URL: "redis://:pw@10.0.0.9:6379" }, undefined, /redis:\/\/:<password>@<sentinel name>/],
    ["sentinels outside sentinel mode", { REDIS_URL: "redis://a:1", REDIS_SENTINELS: "s:1" }, undefined, /only apply with REDIS_MODE=sentinel/],
    ["a misspelled redis setting", {}, "redis: { sentinel: aik }", /redis\.sentinel is not a known setting/],
  ])("refuses %s with a message naming the fix", (_what, env, file, message) => {
    expect(() => redisOf(env, file)).toThrow(ConfigError);
    expect(() => redisOf(env, file)).toThrow(message);
  });

  it("never repeats a URL (it may hold a password) in an error", () => {
    const cases: Array<Record<string, string>> = [
      { REDIS_MODE: "cluster", REDIS_URL: "redis://:hunter2@a:1,redis://:other@b:2" },
      { REDIS_MODE: "cluster", REDIS_URL: "ftp://:hunter2@a:1" },
      { REDIS_MODE: "sentinel", REDIS_SENTINELS: "s:1", REDIS_SENTINEL_NAME: "aik", REDIS_URL: "redis://:hunter2@elsewhere" },
    ];
    for (const env of cases) {
      expect(() => redisOf(env)).toThrow(ConfigError);
      try {
        redisOf(env);
      } catch (err) {
        expect(String(err)).not.toContain("hunter2");
      }
    }
  });
});
