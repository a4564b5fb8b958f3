import { z } from "zod";

/**
 * A check compiled from a zod schema's own definition, for JSON values (what
 * JSON.parse returns: plain objects and arrays): true only for a value the
 * schema accepts and returns unchanged (every key it declares, in its order,
 * none stripped, no default filled in, nothing transformed). False promises
 * nothing: the caller asks zod, whose verdict and issues stand. So a caller that
 * runs `check(v) ? v : schema.safeParse(v)` gets zod's answer, only sooner.
 *
 * Why: zod compiles its object parsers with `new Function`, which workerd
 * forbids, so the order object and a what-if job ran every issued export through
 * zod's interpreter (the QA gate's schema check: 13 % of a what-if in workerd, measured).
 * Only the constructs below are understood; any other type, check, coercion or
 * refinement throws when the check is built, so a schema that grows one cannot
 * be passed by a check that ignores it.
 */
export type ExactCheck<T> = (v: unknown) => v is T;

type Test = (v: unknown) => boolean;

export function exactCheck<S extends z.ZodType>(schema: S): ExactCheck<z.output<S>> {
  const test = compile(schema, "(root)");
  return (v: unknown): v is z.output<S> => test(v);
}

function refuse(path: string, what: string): never {
  throw new Error(`exactCheck: ${what} at ${path} is not understood; keep that schema on zod's own parse`);
}

function noChecks(schema: z.core.$ZodType, path: string): void {
  if ((schema._zod.def.checks ?? []).length > 0) refuse(path, `a check on ${schema._zod.def.type}`);
}

function compile(schema: z.core.$ZodType, path: string): Test {
  if (schema instanceof z.ZodString) return stringTest(schema, path);
  if (schema instanceof z.ZodNumber) return numberTest(schema, path);
  noChecks(schema, path);
  if (schema instanceof z.ZodBoolean) return (v) => typeof v === "boolean";
  if (schema instanceof z.ZodEnum) {
    const values = new Set<unknown>(schema.options);
    return (v) => (typeof v === "string" || typeof v === "number") && values.has(v);
  }
  if (schema instanceof z.ZodNullable) {
    const inner = compile(schema.unwrap(), path);
    return (v) => v === null || inner(v);
  }
  // A default is filled in only for an absent key: present, the value is the inner schema's.
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return compile(schema.unwrap(), path);
  if (schema instanceof z.ZodArray) {
    const element = compile(schema.element, `${path}[]`);
    return (v) => {
      if (!Array.isArray(v)) return false;
      for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
      return true;
    };
  }
  if (schema instanceof z.ZodObject) return objectTest(schema, path);
  return refuse(path, `type ${schema._zod.def.type}`);
}

function objectTest(schema: z.ZodObject, path: string): Test {
  const fields = Object.entries(schema.shape).map(([key, s]) => ({ key, optional: s instanceof z.ZodOptional, test: compile(s, `${path}.${key}`) }));
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    // The keys present must be the schema's, in its order (zod writes its output in that order).
    let i = 0;
    for (const f of fields) {
      if (keys[i] === f.key) {
        if (!f.test(o[f.key])) return false;
        i++;
      } else if (!f.optional || Object.hasOwn(o, f.key)) {
        return false;
      }
    }
    return i === keys.length;
  };
}

// Checks folded into bounds rather than a list of closures: this runs on every issued export.
function stringTest(schema: z.ZodString, path: string): Test {
  if (schema._zod.def.coerce) refuse(path, "a coerced string");
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  const patterns: RegExp[] = [];
  for (const c of schema._zod.def.checks ?? []) {
    if (c instanceof z.core.$ZodCheckMaxLength) max = Math.min(max, c._zod.def.maximum);
    else if (c instanceof z.core.$ZodCheckMinLength) min = Math.max(min, c._zod.def.minimum);
    else if (c instanceof z.core.$ZodCheckRegex) patterns.push(c._zod.def.pattern);
    else refuse(path, `string check ${c._zod.def.check}`);
  }
  const matches = (s: string): boolean => {
    for (const p of patterns) {
      // As zod does: a global or sticky pattern would otherwise resume from its last match.
      p.lastIndex = 0;
      if (!p.test(s)) return false;
    }
    return true;
  };
  return (v) => typeof v === "string" && v.length >= min && v.length <= max && (patterns.length === 0 || matches(v));
}

function numberTest(schema: z.ZodNumber, path: string): Test {
  if (schema._zod.def.coerce) refuse(path, "a coerced number");
  let safeInt = false;
  let lo = Number.NEGATIVE_INFINITY;
  let loIn = true;
  let hi = Number.POSITIVE_INFINITY;
  let hiIn = true;
  for (const c of schema._zod.def.checks ?? []) {
    if (c instanceof z.core.$ZodCheckNumberFormat && c._zod.def.format === "safeint") {
      safeInt = true;
    } else if (c instanceof z.core.$ZodCheckGreaterThan && typeof c._zod.def.value === "number") {
      const { value, inclusive } = c._zod.def;
      if (value > lo || (value === lo && !inclusive)) [lo, loIn] = [value, inclusive];
    } else if (c instanceof z.core.$ZodCheckLessThan && typeof c._zod.def.value === "number") {
      const { value, inclusive } = c._zod.def;
      if (value < hi || (value === hi && !inclusive)) [hi, hiIn] = [value, inclusive];
    } else {
      refuse(path, `number check ${c._zod.def.check}`);
    }
  }
  return (v) =>
    typeof v === "number" && Number.isFinite(v) && (!safeInt || Number.isSafeInteger(v)) && (loIn ? v >= lo : v > lo) && (hiIn ? v <= hi : v < hi);
}
