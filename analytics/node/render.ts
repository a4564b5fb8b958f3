import { parseHTML } from "linkedom";
import type { PlotDocument } from "../engine/chart";
import { renderReport, type ReportMeta } from "../engine/report";
import type { NotebookRun } from "../engine/run";

/** The report in Node: Plot draws into linkedom's DOM, serialised to a string. */
export function renderNodeReport(run: NotebookRun, meta: ReportMeta): string {
  const { document } = parseHTML("<!doctype html><html><head></head><body></body></html>");
  // linkedom's Document is structurally what Plot uses of a DOM document; its declared types are its own.
  return renderReport(run, document as unknown as PlotDocument, meta);
}
