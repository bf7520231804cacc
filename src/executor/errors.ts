// The executor's errors: what went wrong before the module ran (its repository, its template) and what went wrong
// running it. Each is an AccordError with its machine-readable part beside the message.

import { AccordError, AccordValidationError } from "../model/errors";

/**
 * The module template is not valid, or rendering it with the job's inputs failed. `field` is a JSON path into the
 * template (`command[2]`, `env.SEED`, `timeoutSeconds`), or `inputs.<name>` for an input the template needs and the
 * job did not give.
 */
export class TemplateError extends AccordValidationError {
  override name = "TemplateError";

  constructor(field: string, rule: string, options: { cause?: unknown } = {}) {
    super(field, rule, { subject: "module template", cause: options.cause });
  }
}

/** Why a module's code could not be had. */
export type ModuleResolveReason =
  /** Cloning the repository failed. */
  | "clone"
  /** The commit is not in the repository, even after fetching it. */
  | "unknown-commit"
  /** Extracting the commit's tree failed. */
  | "extract"
  /** The template path names no regular file in the commit's tree (or one reaching outside it). */
  | "path";

export class ModuleResolveError extends AccordError {
  override name = "ModuleResolveError";
  readonly reason: ModuleResolveReason;
  readonly repo: string;
  readonly hash: string;

  constructor(
    reason: ModuleResolveReason,
    repo: string,
    hash: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`module ${repo}@${hash}: ${detail}`, { cause: options.cause });
    this.reason = reason;
    this.repo = repo;
    this.hash = hash;
  }
}

/** Why a run failed. */
export type ExecutionFailure =
  /** The wall-time limit passed: the process group was killed. */
  | "timeout"
  /** The run was aborted (the caller's signal): the process group was killed. */
  | "aborted"
  /** The command exited with a non-zero code or was killed by a signal. */
  | "exit"
  /** As "exit", with signs in stderr that an allocation failed under the memory limit. */
  | "memory"
  /** The meter file holds no decimal integer within uint64. */
  | "meter"
  /** The outputs directory could not be imported (not a directory, a symlink, outside the working directory). */
  | "outputs"
  /** The command could not be started at all. */
  | "spawn";

export class ExecutionError extends AccordError {
  override name = "ExecutionError";
  readonly reason: ExecutionFailure;
  /** The exit code, when the process exited by itself. */
  readonly exitCode: number | undefined;
  /** The signal that ended the process, when one did. */
  readonly signal: string | undefined;
  /** The end of what the process wrote to stderr. */
  readonly stderrTail: string;

  constructor(
    reason: ExecutionFailure,
    message: string,
    details: { exitCode?: number; signal?: string; stderrTail?: string; cause?: unknown } = {},
  ) {
    super(`run failed (${reason}): ${message}`, { cause: details.cause });
    this.reason = reason;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderrTail = details.stderrTail ?? "";
  }
}
