// Preloaded (--import) into every bench child: when the runner's IPC channel closes, the child stops too.
const GRACE_MS = 5_000;

// The channel must not keep a child alive on its own, but its closing must still be heard.
process.channel?.unref();
process.once("disconnect", () => {
  // SIGTERM first, so a gateway drains and writes its --cpu-prof profile; then no matter what.
  setTimeout(() => process.exit(1), GRACE_MS).unref();
  process.kill(process.pid, "SIGTERM");
});
