#!/usr/bin/env node
// `node cli/engine-guard.mjs <command> [args…]`: runs the command (wrangler dev) in this
// process's group, which the caller starts detached, and takes the whole group down when
// the caller is gone: its end of our stdin closes however it died (signal, crash,
// SIGKILL), so no workerd outlives `npm start` or a test run to keep the port and the
// state. The caller must give it a stdin pipe (with stdin ignored it stops at once).
// A signal to the guard stops the group too.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: engine-guard <command> [args…]");
  process.exit(2);
}
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;
const stopGroup = () => {
  if (stopping) return;
  stopping = true;
  child.kill("SIGTERM");
  // What does not leave within the grace period (workerd included) is killed with the group.
  setTimeout(() => {
    try {
      process.kill(-process.pid, "SIGKILL");
    } catch {
      process.exit(1);
    }
  }, 5000).unref();
};
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, stopGroup);
process.stdin.on("end", stopGroup);
process.stdin.on("close", stopGroup);
process.stdin.on("error", stopGroup);
process.stdin.resume();
child.on("exit", (code, signal) => {
  if (!stopping) console.error(`engine-guard: ${command} exited on its own (code ${code}, signal ${signal}); stopping what it left`);
  // wrangler is gone; anything it left in the group (a workerd) goes with the guard.
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // not a group leader (started without detached): nothing more to take down
  }
  process.exit(code ?? (signal ? 1 : 0));
});
