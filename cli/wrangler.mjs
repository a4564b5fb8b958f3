#!/usr/bin/env node
// Wrangler's launcher (bin/wrangler.js) refuses Node < 22, though its CLI runs on
// the Node 20 this project is developed and tested on. Launch the CLI directly,
// with the same flags the launcher uses, so `npm run wrangler -- …` works on both.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve("wrangler/package.json")), "wrangler-dist", "cli.js");
const child = spawn(process.execPath, ["--no-warnings", ...process.execArgv, cli, ...process.argv.slice(2)], {
  stdio: ["inherit", "inherit", "inherit", "ipc"],
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
