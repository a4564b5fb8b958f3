import WebSocket from "ws";

/**
 * workerd's V8 inspector (wrangler dev --inspector-port): the CPU profiler of
 * the isolate that runs the Worker and its Durable Objects. Used by
 * bench:profile (where the time goes) and bench:cost (how much of it there is).
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  private constructor(private readonly ws: WebSocket) {
    // A closed socket answers nothing: fail what is still waiting rather than hang.
    ws.on("close", () => {
      for (const done of this.pending.values()) done(new Error("the inspector closed the connection"));
      this.pending.clear();
    });
    ws.on("message", (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const done = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      done?.(msg.error ? new Error(msg.error.message) : msg.result);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    // wrangler dev's inspector proxy lists the user Worker's isolate only (Durable Objects share it).
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
    const target = targets[0];
    if (!target) throw new Error("the inspector lists no target");
    return Inspector.open(target.webSocketDebuggerUrl);
  }

  /** One target by its address (`workerd serve --inspector-addr`: ws://host:port/<service name>). */
  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new Inspector(ws);
  }

  async send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve) => this.pending.set(id, resolve));
    this.ws.send(JSON.stringify({ id, method, params }));
    const v = await answer;
    if (v instanceof Error) throw v;
    return v as T;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Isolate CPU time in a profile: the samples that ran JavaScript, native code
 * it called, or the garbage collector. Not "(idle)", and not "(program)":
 * workerd does not tell V8 when the isolate waits, so its idle time is sampled
 * as "(program)" (a quiet engine samples almost nothing else).
 */
export function busyMs(p: Profile): number {
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)").map((n) => n.id));
  let us = 0;
  p.samples.forEach((id, i) => {
    if (!idle.has(id)) us += p.timeDeltas[i] ?? 0;
  });
  return us / 1000;
}
