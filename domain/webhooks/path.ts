/**
 * The JSONPath subset a tenant writes to point into a sender's payload:
 *
 *   $                 the body itself
 *   .name             a member (letters, digits, `_`, `-`)
 *   ['any name'] or ["any name"]   a member whose name has other characters
 *   [3]  [-1]         an array element by index; negative counts from the end
 *
 * Nothing else: no wildcards, filters, slices or recursive descent, so a path
 * names exactly one place and reading it is a bounded walk. Paths are parsed
 * once, when the source is configured, and refused there with the offset
 * that went wrong.
 */

export type PathStep = { member: string } | { index: number };

export type ParsedPath = { ok: true; steps: PathStep[] } | { ok: false; message: string };

const MAX_STEPS = 32;

export function parsePath(path: string): ParsedPath {
  if (!path.startsWith("$")) return { ok: false, message: "a path starts with '$'" };
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    if (steps.length >= MAX_STEPS) return { ok: false, message: `a path has at most ${MAX_STEPS} steps` };
    const rest = path.slice(i);
    const dot = /^\.([A-Za-z0-9_-]+)/.exec(rest);
    if (dot?.[1] !== undefined) {
      steps.push({ member: dot[1] });
      i += dot[0].length;
      continue;
    }
    const index = /^\[(-?\d{1,6})\]/.exec(rest);
    if (index?.[1] !== undefined) {
      steps.push({ index: Number(index[1]) });
      i += index[0].length;
      continue;
    }
    const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest);
    if (quoted) {
      const name = (quoted[1] ?? quoted[2] ?? "").replace(/\\(.)/g, "$1");
      steps.push({ member: name });
      i += quoted[0].length;
      continue;
    }
    return { ok: false, message: `unexpected '${rest.slice(0, 12)}' at offset ${i} (supported: .name, ['name'], [index])` };
  }
  return { ok: true, steps };
}

/** The value at `steps`, or undefined when any step is missing (payloads are attacker-shaped). */
export function readPath(value: unknown, steps: readonly PathStep[]): unknown {
  let cur: unknown = value;
  for (const step of steps) {
    if ("index" in step) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step.index < 0 ? cur.length + step.index : step.index];
    } else {
      if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
      // Own members only: "__proto__" or "constructor" must not reach the prototype.
      if (!Object.prototype.hasOwnProperty.call(cur, step.member)) return undefined;
      cur = (cur as Record<string, unknown>)[step.member];
    }
  }
  return cur;
}
