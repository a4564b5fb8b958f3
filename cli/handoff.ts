#!/usr/bin/env -S npx tsx
import { send } from "./send";
import { start } from "./start";

const USAGE = `usage: handoff <command>

  start                      run the engine locally (migrations, demo tenant)
  send <source> <fixture>    sign and POST a fixture to the local demo tenant
                             e.g. send shop orders-create, send stripe payment_intent.succeeded,
                                  send wms fulfillment.accepted
`;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "start":
      return start();
    case "send":
      return send(rest);
    default:
      process.stderr.write(USAGE);
      process.exitCode = cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
