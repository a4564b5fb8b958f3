import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireEngineLock, EngineLockedError, lockFile, readLock } from "../../cli/engine-lock";

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "handoff-lock-"));
  dirs.push(d);
  return path.join(d, "state");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A pid that certainly belonged to a process and is certainly gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("the engine lock on a state directory", () => {
  it("records this process's pid and port, and removes the file on release", () => {
    const dir = stateDir();
    const lock = acquireEngineLock(dir, 18787);
    expect(readLock(lockFile(dir))).toMatchObject({ pid: process.pid, port: 18787, url: "http://127.0.0.1:18787" });
    lock.update({ engine_pgid: 4242 });
    expect(readLock(lockFile(dir))?.engine_pgid).toBe(4242);
    lock.release();
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it("refuses a second engine while the holder is alive, saying where it runs and its pid", () => {
    const dir = stateDir();
    // The parent of this test process stands in for another live engine.
    const holder = acquireEngineLock(dir, 18787);
    holder.update({ pid: process.ppid });
    expect(() => acquireEngineLock(dir, 18800)).toThrow(EngineLockedError);
    expect(() => acquireEngineLock(dir, 18800)).toThrow(`an engine is already running on http://127.0.0.1:18787, pid ${process.ppid}`);
  });

  it("takes over a stale lock left by a process that is gone", () => {
    const dir = stateDir();
    const gone = deadPid();
    acquireEngineLock(dir, 18787).update({ pid: gone });
    const lock = acquireEngineLock(dir, 18900);
    expect(readLock(lockFile(dir))).toMatchObject({ pid: process.pid, port: 18900 });
    lock.release();
  });

  it("never removes a lock another engine holds", () => {
    const dir = stateDir();
    const lock = acquireEngineLock(dir, 18787);
    lock.update({ pid: process.ppid });
    lock.release();
    expect(readLock(lockFile(dir))?.pid).toBe(process.ppid);
  });
});
