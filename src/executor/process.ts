// Running one command under limits: its own process group (so a timeout or an abort kills whatever it started, not
// just the first process), an address-space limit through prlimit (RLIMIT_AS, inherited by every child), a wall-time
// limit, no stdin, and stdout/stderr kept to their last bytes so a chatty module cannot fill memory.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** How much of stdout and of stderr is kept (the end of each). */
export const OUTPUT_TAIL_BYTES = 16 * 1024;

/** After the command exits, how long stdio may stay open (a stray process holding it) before it is cut. */
const CLOSE_GRACE_MS = 1_000;

/** util-linux prlimit: /usr/bin/prlimit where it is there, else looked up on PATH. */
export const PRLIMIT = existsSync("/usr/bin/prlimit") ? "/usr/bin/prlimit" : "prlimit";

export type LimitedRun = {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** RLIMIT_AS: the most address space each process of the run may map. */
  memoryBytes: number;
  signal?: AbortSignal;
};

export type LimitedOutcome = {
  /** The exit code, or null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** The process (and process group) ID the run had. */
  pid: number;
  stdoutTail: string;
  stderrTail: string;
};

/** The last `max` bytes written to a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length;
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString("utf8");
  }
}

/** SIGKILL to every process of the group; a group already gone is fine. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left to kill.
  }
}

/**
 * Runs `argv` (no shell) under the limits. Resolves once the process has exited and its group has been killed
 * (timeouts and aborts included: see the outcome's flags); rejects only when the process could not be started.
 */
export function runLimited(run: LimitedRun): Promise<LimitedOutcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // detached: the child leads a new session and process group, whose ID is its PID. prlimit execs the command,
    // so the command keeps that PID.
    const child = spawn(PRLIMIT, [`--as=${run.memoryBytes}`, "--core=0", "--", ...run.argv], {
      cwd: run.cwd,
      env: run.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout = new Tail(OUTPUT_TAIL_BYTES);
    const stderr = new Tail(OUTPUT_TAIL_BYTES);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));

    let timedOut = false;
    let aborted = false;
    const kill = (): void => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, run.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    run.signal?.addEventListener("abort", onAbort, { once: true });
    if (run.signal?.aborted) onAbort();
    const cleanUp = (): void => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
    };

    child.once("error", (error) => {
      cleanUp();
      kill();
      reject(error);
    });
    child.once("exit", (exitCode, signal) => {
      const durationMs = Math.round(performance.now() - started);
      cleanUp();
      // The leader is gone; whatever it left running in its group goes with it.
      kill();
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(grace);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({
          exitCode,
          signal,
          timedOut,
          aborted,
          durationMs,
          pid: child.pid ?? 0,
          stdoutTail: stdout.toString(),
          stderrTail: stderr.toString(),
        });
      };
      // The pipes close once every holder is gone; one that escaped the group does not hold the run up for long.
      const grace = setTimeout(finish, CLOSE_GRACE_MS);
      child.once("close", finish);
    });
  });
}
