import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * One engine per local state directory. Two `npm start`s on one `.wrangler/state` would
 * share SQLite files (SQLITE_BUSY on timers, mixed data, an overwritten demo.json), so the
 * first takes a lock file there: its pid and port, written exclusively. A lock whose pid is
 * no longer alive is stale (a crash, a SIGKILL) and is taken over.
 */

export interface EngineLockInfo {
  pid: number;
  port: number;
  url: string;
  started_at: string;
  /** The process group wrangler dev runs in (`kill -- -<pgid>`), once started. */
  engine_pgid?: number;
}

export interface EngineLock {
  file: string;
  update(patch: Partial<EngineLockInfo>): void;
  /** Removes the lock if it is still ours; safe to call more than once. */
  release(): void;
}

export class EngineLockedError extends Error {
  constructor(readonly holder: EngineLockInfo, file: string) {
    super(`an engine is already running on ${holder.url}, pid ${holder.pid} (its state: ${path.dirname(file)}; lock ${file})`);
  }
}

export function lockFile(stateDir: string): string {
  return path.join(stateDir, "engine.lock");
}

export function readLock(file: string): EngineLockInfo | null {
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as Partial<EngineLockInfo>;
    return typeof v.pid === "number" && typeof v.port === "number" && typeof v.url === "string" ? (v as EngineLockInfo) : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function acquireEngineLock(stateDir: string, port: number): EngineLock {
  mkdirSync(stateDir, { recursive: true });
  const file = lockFile(stateDir);
  let info: EngineLockInfo = { pid: process.pid, port, url: `http://127.0.0.1:${port}`, started_at: new Date().toISOString() };
  // Two attempts: the second after removing a stale lock (another starter may win that race; then it is theirs).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(info, null, 2), { flag: "wx" });
      const lock: EngineLock = {
        file,
        update(patch) {
          info = { ...info, ...patch };
          if (readLock(file)?.pid === process.pid) writeFileSync(file, JSON.stringify(info, null, 2));
        },
        release() {
          if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readLock(file);
      if (holder && isAlive(holder.pid)) throw new EngineLockedError(holder, file);
      // A dead holder, or a half-written file from one: take it over.
      console.log(`taking over a stale engine lock (${holder ? `pid ${holder.pid} is gone` : "unreadable"}): ${file}`);
      rmSync(file, { force: true });
    }
  }
  const holder = readLock(file);
  throw holder ? new EngineLockedError(holder, file) : new Error(`could not take the engine lock ${file}`);
}
