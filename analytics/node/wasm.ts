import { createRequire } from "node:module";
import { DuckDBDataProtocol, NODE_RUNTIME, VoidLogger, createDuckDB, type DuckDBBindings, type DuckDBConnection } from "@duckdb/duckdb-wasm/blocking";
import { fromArrow } from "../engine/arrow";
import type { Database, QueryResult } from "../engine/run";

/**
 * duckdb-wasm's Node build (the same wasm the browser page runs), blocking
 * flavour: one thread, no worker, files read straight from disk through its
 * NODE_FS protocol so a large export is never copied into wasm memory whole.
 */
export class WasmDatabase implements Database {
  private constructor(
    private readonly db: DuckDBBindings,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(): Promise<WasmDatabase> {
    const require = createRequire(import.meta.url);
    const bundles = {
      mvp: { mainModule: require.resolve("@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm"), mainWorker: "" },
      eh: { mainModule: require.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"), mainWorker: "" },
    };
    const db = await createDuckDB(bundles, new VoidLogger(), NODE_RUNTIME);
    await db.instantiate(() => undefined);
    // Sums of BIGINT are HUGEINT (an Arrow decimal): answer plain doubles, as the browser does.
    db.open({ query: { castBigIntToDouble: true, castDecimalToDouble: true } });
    return new WasmDatabase(db, db.connect());
  }

  /** Makes a file on disk readable by DuckDB under `name`. */
  registerFile(name: string, path: string): void {
    this.db.registerFileURL(name, path, DuckDBDataProtocol.NODE_FS, true);
  }

  query(sql: string): Promise<QueryResult> {
    try {
      return Promise.resolve(fromArrow(this.conn.query(sql)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The Arrow IPC stream of a result, for the load-method benchmark. */
  arrowIpc(sql: string): Uint8Array {
    return this.conn.useUnsafe((b, id) => b.runQuery(id, sql)).slice();
  }

  insertArrowIpc(name: string, ipc: Uint8Array): void {
    this.conn.insertArrowFromIPCStream(ipc, { name });
  }

  insertJsonFile(name: string, file: string): void {
    // No shape: given one for a row array it finds no columns; left to detect, it reads it.
    this.conn.insertJSONFromPath(file, { name });
  }

  version(): string {
    return this.db.getVersion();
  }

  close(): void {
    this.conn.close();
    this.db.reset();
  }
}
