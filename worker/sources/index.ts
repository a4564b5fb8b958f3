import { adyen } from "./adyen";
import { easypost } from "./easypost";
import { hmac } from "./hmac";
import { shopify } from "./shopify";
import { standard } from "./standard";
import { stripe } from "./stripe";
import type { SourceAdapter, SourceKind } from "./types";
import { woocommerce } from "./woocommerce";

export type { SourceKind } from "./types";

/** One adapter per kind of sender; a tenant's source row names its kind. */
export const adapters: Record<SourceKind, SourceAdapter> = { shopify, stripe, standard, woocommerce, adyen, easypost, hmac };
