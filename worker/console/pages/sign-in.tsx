import type { FC } from "hono/jsx";
import { Layout, type Notice } from "../layout";

export interface SignInProps {
  nonce: string;
  csrf: string;
  next: string | null;
  error?: string | undefined;
  tenant?: string | undefined;
  operator?: string | undefined;
  notice?: Notice | null;
}

/** The key is posted in the body only; it never appears in a URL, a cookie or the page that answers. */
export const SignInPage: FC<SignInProps> = ({ nonce, csrf, next, error, tenant, operator, notice = null }) => (
  <Layout title="Sign in" nonce={nonce} session={null} notice={error ? { tone: "err", text: error } : notice}>
    <div class="signin">
      <h1>Handoff console</h1>
      <div class="sub">Manual queue, order timelines and today's exceptions</div>
      <section class="card">
        <div class="bd">
          <form method="post" action="/console/sign-in" autocomplete="off">
            <input type="hidden" name="_csrf" value={csrf} />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <label for="tenant">Tenant id (or agency id, with an agency key)</label>
            <input id="tenant" name="tenant" value={tenant ?? ""} required maxlength={64} autocomplete="organization" />
            <label for="api_key">API key</label>
            <input id="api_key" name="api_key" type="password" required maxlength={512} autocomplete="current-password" />
            <label for="operator">Your name</label>
            <input id="operator" name="operator" value={operator ?? ""} required maxlength={200} placeholder="Recorded on every claim and resolution" autocomplete="name" />
            <button type="submit" class="primary">
              Sign in
            </button>
          </form>
        </div>
      </section>
      <p class="muted small">Sessions last 12 hours and end as soon as the key is revoked.</p>
    </div>
  </Layout>
);
