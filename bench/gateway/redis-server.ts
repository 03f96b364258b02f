// The gateway's own redis-server, run under a Node child of the runner so the orphan guard and the process-group kill
// that stop every other bench child stop it too. Nothing else talks to it, so its command count is the gateway's alone.
// Started by redis-stats.ts as: node --import tsx bench/gateway/redis-server.ts; prints "redis listening on <url>".
import { PrivateRedis } from "../../test/support/private-redis.js";

const redis = await PrivateRedis.start();
const stop = (): void => {
  void redis.dispose().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
console.log(`redis listening on ${redis.url}`);
