/**
 * One line that rewrites itself on a terminal; on a pipe or CI log, a line
 * every `everyMs` instead, so logs stay readable.
 */
export class Progress {
  private lastPrinted = 0;
  private lastText = "";
  private printedText = "";
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 10_000,
  ) {
    this.tty = out.isTTY === true;
  }

  update(text: string, force = false): void {
    this.lastText = text;
    if (this.tty) {
      const width = Math.max(20, (this.out.columns || 120) - 1);
      this.out.write(`\r\x1b[2K${text.slice(0, width)}`);
      return;
    }
    const now = Date.now();
    if (force || now - this.lastPrinted >= this.everyMs) {
      this.lastPrinted = now;
      this.printedText = text;
      this.out.write(`${text}\n`);
    }
  }

  /** Leaves the last state on screen and moves to a fresh line. */
  done(): void {
    if (this.tty) this.out.write(`\r\x1b[2K${this.lastText}\n`);
    else if (this.lastText !== "" && this.lastText !== this.printedText) this.out.write(`${this.lastText}\n`);
  }

  log(line: string): void {
    if (this.tty) this.out.write(`\r\x1b[2K${line}\n${this.lastText}`);
    else this.out.write(`${line}\n`);
  }
}
