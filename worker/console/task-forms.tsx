import type { FC } from "hono/jsx";
import { Csrf } from "./components";

/** Claim and resolve, the two things an operator does to a task; shared by the queue rows and the task page. */

export interface ResolveValues {
  action?: string | undefined;
  resolution?: string | undefined;
  justification?: string | undefined;
}

const ACTIONS = [
  { value: "close", label: "Close — fixed elsewhere, release the hold" },
  { value: "replay", label: "Replay — re-run through the current rules" },
  { value: "override", label: "Override — issue a new export version" },
] as const;

export const ClaimForm: FC<{ taskId: string; csrf: string; returnTo: string }> = ({ taskId, csrf, returnTo }) => (
  <form class="inline" method="post" action={`/console/tasks/${encodeURIComponent(taskId)}/claim`}>
    <Csrf token={csrf} />
    <input type="hidden" name="return_to" value={returnTo} />
    <button type="submit">Claim</button>
  </form>
);

export const ResolveFields: FC<{ taskId: string; csrf: string; returnTo: string; allowOverride: boolean; values?: ResolveValues | undefined }> = ({
  taskId,
  csrf,
  returnTo,
  allowOverride,
  values,
}) => {
  const chosen = values?.action ?? "replay";
  return (
    <form method="post" action={`/console/tasks/${encodeURIComponent(taskId)}/resolve`}>
      <Csrf token={csrf} />
      <input type="hidden" name="return_to" value={returnTo} />
      <label for={`action-${taskId}`}>Action</label>
      <select id={`action-${taskId}`} name="action" required>
        {ACTIONS.filter((a) => allowOverride || a.value !== "override").map((a) => (
          <option value={a.value} selected={a.value === chosen}>
            {a.label}
          </option>
        ))}
      </select>
      <label for={`resolution-${taskId}`}>
        Resolution <span class="req">*</span>
      </label>
      <input id={`resolution-${taskId}`} name="resolution" required maxlength={2000} value={values?.resolution ?? ""} placeholder="What was done" class="wide" />
      <label for={`justification-${taskId}`}>
        Justification <span class="req">*</span>
      </label>
      <textarea id={`justification-${taskId}`} name="justification" required maxlength={4000} placeholder="Why this is the right call (recorded on the audit trail)">
        {values?.justification ?? ""}
      </textarea>
      <div class="actions">
        <button type="submit" class="primary">
          Resolve
        </button>
      </div>
    </form>
  );
};

/** The resolve form behind a button: a popover without script (details/summary). */
export const ResolvePopover: FC<{ taskId: string; csrf: string; returnTo: string; allowOverride: boolean }> = (p) => (
  <details class="act">
    <summary class="btn">Resolve…</summary>
    <div class="pop">
      <ResolveFields {...p} />
    </div>
  </details>
);
