import { shopify } from "./shopify";
import { standard } from "./standard";
import { stripe } from "./stripe";
import type { SourceAdapter } from "./types";

export type SourceKind = SourceAdapter["kind"];

/** One adapter per kind of sender; a tenant's source row names its kind. */
export const adapters: Record<SourceKind, SourceAdapter> = { shopify, stripe, standard };
