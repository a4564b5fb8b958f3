import { marked } from "marked";

/** Prose is the notebook author's own markdown (trusted, from the repository), never data. */
export function markdownToHtml(md: string): string {
  return marked.parse(md, { async: false, gfm: true });
}
