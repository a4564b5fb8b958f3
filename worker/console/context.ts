import type { Context } from "hono";
import type { Scope } from "../../domain/access/scopes";
import type { AppVariables, Env } from "../env";

/**
 * The console's request context and the signed-in operator, in a file of their
 * own so the session code, the layout and the HTTP plumbing can all name them
 * without importing one another.
 */
export interface Session {
  tenant: string;
  operator: string;
  /** Set when signed in with an agency's key: `tenant` is then the merchant in view, switchable among the agency's. */
  agency: string | null;
  sid: string;
  /** The token every POST form of this session must carry. */
  csrf: string;
  /** The scope of the key the operator signed in with: claiming and resolving need operator. */
  scope: Scope;
}

export type ConsoleEnv = { Bindings: Env; Variables: AppVariables & { session: Session | null; nonce: string } };
export type ConsoleContext = Context<ConsoleEnv>;
