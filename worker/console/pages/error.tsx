import type { FC } from "hono/jsx";
import { Layout } from "../layout";
import type { Session } from "../session";

const HEADLINES: Record<number, string> = {
  400: "That request was not valid",
  403: "That action was refused",
  404: "Not found",
  409: "Someone got there first",
  422: "That could not be done",
  500: "Something went wrong on our side",
  503: "Temporarily unavailable",
};

/** Errors are pages a person can read and leave, never a JSON envelope. */
export const ErrorPage: FC<{ nonce: string; session: Session | null; status: number; message: string }> = ({ nonce, session, status, message }) => (
  <Layout title={HEADLINES[status] ?? "Error"} nonce={nonce} session={session}>
    <div class="errpage">
      <div class="code">{status}</div>
      <h1>{HEADLINES[status] ?? "Error"}</h1>
      <p class="muted">{message}</p>
      <p>
        <a href={session ? "/console/queue" : "/console"}>{session ? "Back to the queue" : "Sign in"}</a>
      </p>
    </div>
  </Layout>
);
