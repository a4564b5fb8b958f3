import type { Child, FC } from "hono/jsx";
import { raw } from "hono/html";
import { Csrf } from "./components";
import type { Session } from "./session";
import { CSS } from "./styles";

export type Section = "agency" | "today" | "queue" | "order" | "task" | "people" | "what-if" | "none";

export interface Notice {
  tone: "ok" | "err";
  text: string;
}

export interface LayoutProps {
  title: string;
  nonce: string;
  session: Session | null;
  section?: Section;
  notice?: Notice | null | undefined;
  /** Reload the page every so many seconds (a running what-if job's progress); no script needed. */
  refreshSeconds?: number | undefined;
  children?: Child;
}

export const Layout: FC<LayoutProps> = ({ title, nonce, session, section = "none", notice, refreshSeconds, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      {refreshSeconds === undefined ? null : <meta http-equiv="refresh" content={String(refreshSeconds)} />}
      <title>{`${title} · Handoff console`}</title>
      {/* CSS is a module constant, never data: the one place raw() is used. */}
      <style nonce={nonce}>{raw(CSS)}</style>
    </head>
    <body>
      {session ? (
        <header class="top">
          <div class="brand">
            Handoff<span>console</span>
          </div>
          <nav>
            {session.agency !== null ? (
              <a href="/console/agency" class={section === "agency" ? "on" : undefined}>
                All merchants
              </a>
            ) : null}
            <a href="/console/today" class={section === "today" ? "on" : undefined}>
              Today
            </a>
            <a href="/console/queue" class={section === "queue" ? "on" : undefined}>
              Queue
            </a>
            <a href="/console/people" class={section === "people" ? "on" : undefined}>
              People
            </a>
            <a href="/console/what-if" class={section === "what-if" ? "on" : undefined}>
              What-if
            </a>
            {/* The analytics reviews run in the browser on this tenant's exports. */}
            <a href="/notebooks">Notebooks</a>
          </nav>
          <form class="jump" method="get" action="/console/orders">
            <input name="id" placeholder="Go to order id…" aria-label="Order id" maxlength={128} required />
          </form>
          <div class="who">
            <span>
              <b>{session.operator}</b> · {session.agency !== null ? `${session.agency} › ${session.tenant}` : session.tenant}
            </span>
            <form class="inline" method="post" action="/console/sign-out">
              <Csrf token={session.csrf} />
              <button type="submit">Sign out</button>
            </form>
          </div>
        </header>
      ) : null}
      <main>
        {notice ? (
          <div class={`notice ${notice.tone}`} role={notice.tone === "err" ? "alert" : "status"}>
            {notice.text}
          </div>
        ) : null}
        {children}
      </main>
    </body>
  </html>
);
