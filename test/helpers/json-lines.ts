// The JSON log lines of a child process (the CLI logs JSON lines with --log-format json, on stderr; results on
// stdout), collected as they arrive and waited for. One reader for every test that spawns an Accord process.

import type { ChildProcess } from "node:child_process";

export type LogLine = Record<string, unknown>;

export type JsonLines = {
  /** Every JSON line seen so far, stdout and stderr, in arrival order (other output is skipped). */
  lines: LogLine[];
  /** The last 4,000 characters of output, for error messages. */
  tail: () => string;
  /** Resolves with the first line (seen or to come) matching; rejects after `timeoutMs` or when the process exits. */
  waitFor: (match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
};

/** Collects `child`'s JSON lines; `label` names the process in the errors of waitFor. */
export function collectJsonLines(child: ChildProcess, label: string): JsonLines {
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let tail = "";
  const reader = () => {
    let buffer = "";
    return (data: Buffer) => {
      buffer += data.toString();
      tail = (tail + data.toString()).slice(-4000);
      let end: number;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        if (line === null || typeof line !== "object") continue;
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.match(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    };
  };
  child.stdout?.on("data", reader());
  child.stderr?.on("data", reader());
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    lines,
    tail: () => tail,
    waitFor(match, timeoutMs = 60_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching line from ${label} within ${timeoutMs} ms; output: ${tail.slice(-2000)}`)),
          timeoutMs,
        );
        // Lines already in the pipe are read before the exit is reported, so the wait ends right after it.
        void exited.then(() =>
          setTimeout(() => {
            clearTimeout(timer);
            reject(new Error(`${label} exited before a matching line; output: ${tail.slice(-2000)}`));
          }, 50).unref(),
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}
