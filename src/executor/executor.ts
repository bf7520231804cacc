// Running a job's module: its code at the pinned commit in a fresh working directory, its template rendered with the
// job's inputs, its command under wall-time and memory limits, its meter read and its outputs imported as the
// results. The CID and the instruction count are what a resource provider reports and what a mediator, re-running
// the job, must reproduce exactly: src/executor/README.md says what a module must do for that.

import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { AccordError } from "../model/errors";
import type { JobOffer } from "../model/types";
import type { ResultStore } from "../results/store";
import { ExecutionError, ModuleResolveError } from "./errors";
import { checkModuleConfig } from "./module";
import { runLimited, type LimitedOutcome } from "./process";
import { ModuleRepos } from "./repos";
import { MAX_TEMPLATE_BYTES, renderTemplate } from "./template";

export interface ExecutionResult {
  /** The CIDv0 of the outputs directory. */
  resultsId: string;
  /** What the module metered (README.md): the decimal in $ACCORD_METER, 1 when it wrote none. */
  instructionCount: bigint;
  exitCode: number;
  /** Wall time of the command. */
  durationMs: number;
  /** CPU time of the command, where it can be had cheaply (not yet measured by ProcessExecutor). */
  cpuMs?: number;
  /** The end of the command's stderr. */
  stderrTail: string;
}

export interface Executor {
  run(job: JobOffer, options?: { signal?: AbortSignal; dealId?: string }): Promise<ExecutionResult>;
}

export type ProcessExecutorOptions = {
  /** Holds `repos/` (the git mirrors, kept) and `runs/` (one working directory per run, removed after it). */
  dir: string;
  /** Where the outputs are imported. */
  results: ResultStore;
  /** The wall-time limit of a run, whatever the module asks (default DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** The memory limit of a run, MiB of address space (default: the job's spec.ram if > 0, else DEFAULT_MEMORY_MB). */
  memoryMB?: number;
  /** Accept file:// and absolute-path repositories (development networks, tests): see checkModuleConfig. */
  allowFileRepos?: boolean;
  /** Keep each run's directory (for debugging) instead of removing it. */
  keepRuns?: boolean;
};

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MEMORY_MB = 1024;
export const MAX_UINT64 = 2n ** 64n - 1n;
/** A meter file larger than this is no decimal uint64 (20 digits) with some whitespace. */
const MAX_METER_BYTES = 64;

// stderr of a process that failed to allocate under RLIMIT_AS: Node's and V8's messages, C++'s, libc's.
const OUT_OF_MEMORY =
  /out of memory|allocation failed|Cannot allocate memory|std::bad_alloc|ENOMEM|MemoryError|failed to reserve|\bOOM\b/i;

/** Runs modules as local processes (no container: see README.md for what that does and does not isolate). */
export class ProcessExecutor implements Executor {
  private readonly options: ProcessExecutorOptions;
  private readonly repos: ModuleRepos;

  constructor(options: ProcessExecutorOptions) {
    this.options = { ...options, dir: path.resolve(options.dir) };
    this.repos = new ModuleRepos({ dir: path.join(this.options.dir, "repos"), allowFileRepos: options.allowFileRepos });
  }

  async run(job: JobOffer, options: { signal?: AbortSignal; dealId?: string } = {}): Promise<ExecutionResult> {
    const { signal } = options;
    checkModuleConfig(job.module, { allowFileRepos: this.options.allowFileRepos });
    const runDir = path.join(this.options.dir, "runs", runName(options.dealId));
    const workDir = path.join(runDir, "work");
    try {
      if (signal?.aborted) throw new ExecutionError("aborted", "aborted before the run started");
      await fs.mkdir(workDir, { recursive: true });
      await this.repos.extract(job.module, workDir, signal);
      const template = renderTemplate(await readTemplate(workDir, job), job.inputs ?? {});

      const outputsDir = path.join(workDir, template.outputs);
      await ensureDirectoryInside(workDir, template.outputs);
      const meterFile = path.join(runDir, "meter");
      const timeoutMs = Math.min(
        template.timeoutSeconds !== undefined ? template.timeoutSeconds * 1000 : Infinity,
        this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      );
      const memoryMB = Math.min(
        template.memoryMB ?? Infinity,
        this.options.memoryMB ?? (job.spec.ram > 0 ? job.spec.ram : DEFAULT_MEMORY_MB),
      );

      const outcome = await this.spawn({
        argv: template.command,
        cwd: workDir,
        // A minimal environment: nothing of the provider's own leaks in, and nothing varies between machines but
        // PATH (where the runtimes are).
        env: {
          PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
          HOME: workDir,
          ...template.env,
          ACCORD_OUTPUTS: outputsDir,
          ACCORD_METER: meterFile,
        },
        timeoutMs,
        memoryBytes: memoryMB * 1024 * 1024,
        signal,
      });
      checkOutcome(outcome, timeoutMs, memoryMB);
      const instructionCount = await readMeter(meterFile, outcome.stderrTail);
      const resultsId = await this.importOutputs(workDir, template.outputs, runDir, outcome.stderrTail);
      return {
        resultsId,
        instructionCount,
        exitCode: 0,
        durationMs: outcome.durationMs,
        stderrTail: outcome.stderrTail,
      };
    } catch (error) {
      // An abort that surfaced from git or fs rather than from the run itself.
      if (signal?.aborted && !(error instanceof AccordError)) {
        throw new ExecutionError("aborted", "aborted", { cause: error });
      }
      throw error;
    } finally {
      if (!this.options.keepRuns) await fs.rm(runDir, { recursive: true, force: true });
    }
  }

  private async spawn(run: Parameters<typeof runLimited>[0]): Promise<LimitedOutcome> {
    try {
      return await runLimited(run);
    } catch (error) {
      throw new ExecutionError("spawn", `could not start ${run.argv[0]}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * The outputs directory as results. One the module removed counts as empty (the empty directory's CID, the same
   * on every run); one that is a file, a symlink or reaches outside the working directory is refused.
   */
  private async importOutputs(workDir: string, outputs: string, runDir: string, stderrTail: string): Promise<string> {
    const dir = path.join(workDir, outputs);
    try {
      if (!(await isDirectoryInside(workDir, outputs))) {
        const empty = path.join(runDir, "empty-outputs");
        await fs.mkdir(empty, { recursive: true });
        return await this.options.results.importDirectory(empty);
      }
      return await this.options.results.importDirectory(dir);
    } catch (error) {
      if (error instanceof ExecutionError) throw error;
      throw new ExecutionError("outputs", `cannot import ${outputs}: ${(error as Error).message}`, {
        stderrTail,
        cause: error,
      });
    }
  }
}

/** A fresh run directory name: random, prefixed with (a safe part of) the deal ID for whoever looks at `runs/`. */
function runName(dealId: string | undefined): string {
  const prefix = (dealId ?? "").replace(/[^A-Za-z0-9]/g, "").slice(0, 16);
  const random = randomBytes(8).toString("hex");
  return prefix === "" ? random : `${prefix}-${random}`;
}

/** The template file's text: a regular file inside the working directory (no symlink), at most MAX_TEMPLATE_BYTES. */
async function readTemplate(workDir: string, job: JobOffer): Promise<string> {
  const { repo, hash, path: rel } = job.module;
  const fail = (detail: string): ModuleResolveError => new ModuleResolveError("path", repo, hash, detail);
  const segments = rel.split("/");
  let current = workDir;
  for (const [i, segment] of segments.entries()) {
    current = path.join(current, segment);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (stat === undefined) throw fail(`${rel} is not in the commit's tree`);
    if (stat.isSymbolicLink()) throw fail(`${rel} goes through a symlink (${segments.slice(0, i + 1).join("/")})`);
    if (i < segments.length - 1 ? !stat.isDirectory() : !stat.isFile()) throw fail(`${rel} is not a file`);
    if (i === segments.length - 1 && stat.size > MAX_TEMPLATE_BYTES) {
      throw fail(`${rel} is larger than ${MAX_TEMPLATE_BYTES} bytes`);
    }
  }
  return fs.readFile(current, "utf8");
}

/**
 * Creates `rel` under `root`, one segment at a time, refusing a segment that exists as anything but a directory:
 * a symlink committed in the repository must not make the executor create directories elsewhere.
 */
async function ensureDirectoryInside(root: string, rel: string): Promise<void> {
  let current = root;
  for (const segment of rel.split("/")) {
    current = path.join(current, segment);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (stat === undefined) await fs.mkdir(current);
    else if (!stat.isDirectory()) {
      throw new ExecutionError("outputs", `outputs: ${path.relative(root, current)} exists and is not a directory`);
    }
  }
}

/** True when `rel` under `root` is a directory reached through directories only; false when some part is missing. */
async function isDirectoryInside(root: string, rel: string): Promise<boolean> {
  let current = root;
  for (const segment of rel.split("/")) {
    current = path.join(current, segment);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (stat === undefined) return false;
    if (!stat.isDirectory()) {
      throw new ExecutionError("outputs", `${path.relative(root, current)} is not a directory (a file or a symlink)`);
    }
  }
  return true;
}

/** Throws the ExecutionError an unsuccessful outcome is. */
function checkOutcome(outcome: LimitedOutcome, timeoutMs: number, memoryMB: number): void {
  const { stderrTail } = outcome;
  const details = {
    stderrTail,
    ...(outcome.exitCode !== null ? { exitCode: outcome.exitCode } : {}),
    ...(outcome.signal !== null ? { signal: outcome.signal } : {}),
  };
  if (outcome.timedOut) throw new ExecutionError("timeout", `still running after ${timeoutMs} ms: killed`, details);
  if (outcome.aborted) throw new ExecutionError("aborted", "aborted: killed", details);
  if (outcome.exitCode === 0) return;
  const how = outcome.exitCode !== null ? `exited with code ${outcome.exitCode}` : `was killed by ${outcome.signal}`;
  if (OUT_OF_MEMORY.test(stderrTail)) {
    throw new ExecutionError("memory", `${how}, out of memory under the ${memoryMB} MiB limit`, details);
  }
  throw new ExecutionError("exit", `${how}${stderrTail ? `: ${lastLine(stderrTail)}` : ""}`, details);
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1].slice(0, 200);
}

/** The module's meter: the decimal integer in the meter file, 1 when there is none. */
async function readMeter(file: string, stderrTail: string): Promise<bigint> {
  const fail = (detail: string): ExecutionError => new ExecutionError("meter", detail, { exitCode: 0, stderrTail });
  const stat = await fs.lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stat === undefined) return 1n;
  if (!stat.isFile()) throw fail("$ACCORD_METER is not a regular file");
  if (stat.size > MAX_METER_BYTES) throw fail(`$ACCORD_METER holds more than ${MAX_METER_BYTES} bytes`);
  const text = (await fs.readFile(file, "utf8")).trim();
  if (!/^[0-9]+$/.test(text)) throw fail(`$ACCORD_METER holds ${JSON.stringify(text)}, not a decimal integer`);
  const count = BigInt(text);
  if (count > MAX_UINT64) throw fail(`$ACCORD_METER holds ${text}, more than a uint64`);
  return count;
}
