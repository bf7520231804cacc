// Module code, from git: one bare mirror per repository URL, cloned once and fetched again only when a job names a
// commit the mirror lacks, and a commit's tree checked out into an empty directory per run, so
// every run starts from exactly the committed files and nothing a previous run left.
//
// Git runs with no user or system configuration (an `url.insteadOf` or credential helper there would change what is
// fetched, or prompt), no terminal prompt, and only the transports a module config may name.

import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { ModuleConfig } from "../model/types";
import { ModuleResolveError } from "./errors";

const execFileAsync = promisify(execFile);

/** The longest a clone or fetch may take. */
const GIT_TIMEOUT_MS = 300_000;

export type ModuleReposOptions = {
  /** Mirrors live in `dir/<sha256 of the URL>`. */
  dir: string;
  /** Allow the file transport (local repositories): see checkModuleConfig. */
  allowFileRepos?: boolean;
};

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: "/nonexistent",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    LC_ALL: "C",
  };
  // A provider behind a proxy still reaches public repositories.
  for (const name of ["http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

/**
 * The last operation queued per mirror path: operations on one mirror run one at a time, across every ModuleRepos of
 * this process (two executors over one directory share the mirrors). Other processes are covered by git's own locks
 * and the clone's rename (below).
 */
const queues = new Map<string, Promise<unknown>>();

export class ModuleRepos {
  private readonly dir: string;
  private readonly transports: string[];

  constructor(options: ModuleReposOptions) {
    this.dir = path.resolve(options.dir);
    this.transports = ["https", "http", "git", ...(options.allowFileRepos ? ["file"] : [])];
  }

  /**
   * Writes the tree of `module.hash` into `target` (which must exist and be empty), cloning or fetching the
   * repository first when needed. Throws ModuleResolveError ("clone", "unknown-commit", "extract").
   */
  async extract(module: ModuleConfig, target: string, signal?: AbortSignal): Promise<void> {
    const mirror = path.join(this.dir, createHash("sha256").update(module.repo).digest("hex"));
    await this.serialized(mirror, async () => {
      await this.ensureCommit(mirror, module, signal);
      await this.checkout(mirror, module, target, signal);
    });
  }

  private async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = queues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, settled);
    try {
      return await run;
    } finally {
      if (queues.get(key) === settled) queues.delete(key);
    }
  }

  private git(
    args: string[],
    signal?: AbortSignal,
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ stdout: string; stderr: string }> {
    const protocols = [
      "-c",
      "protocol.allow=never",
      ...this.transports.flatMap((t) => ["-c", `protocol.${t}.allow=always`]),
    ];
    return execFileAsync("git", [...protocols, "-c", "gc.auto=0", "-c", "maintenance.auto=false", ...args], {
      env: { ...gitEnv(), ...env },
      timeout: GIT_TIMEOUT_MS,
      killSignal: "SIGKILL",
      maxBuffer: 16 * 1024 * 1024,
      signal,
    });
  }

  private async hasCommit(mirror: string, hash: string): Promise<boolean> {
    try {
      await this.git(["--git-dir", mirror, "cat-file", "-e", `${hash}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  private async ensureCommit(mirror: string, module: ModuleConfig, signal?: AbortSignal): Promise<void> {
    const { repo, hash } = module;
    const present = (): Promise<boolean> =>
      fs.stat(path.join(mirror, "HEAD")).then(
        () => true,
        () => false,
      );
    if (!(await present())) {
      // Cloned beside the final name and renamed: a clone cut short leaves no half mirror behind.
      await fs.mkdir(this.dir, { recursive: true });
      const partial = `${mirror}.partial-${randomBytes(4).toString("hex")}`;
      try {
        await this.git(["clone", "--bare", "--quiet", "--", repo, partial], signal);
      } catch (error) {
        await fs.rm(partial, { recursive: true, force: true });
        throw new ModuleResolveError("clone", repo, hash, `git clone failed: ${gitMessage(error)}`, { cause: error });
      }
      // Another process may have cloned the same repository meanwhile: then its mirror is as good as this one.
      const moved = await fs.rename(partial, mirror).then(
        () => true,
        () => false,
      );
      if (!moved) {
        await fs.rm(partial, { recursive: true, force: true });
        if (!(await present())) throw new ModuleResolveError("clone", repo, hash, `cannot create the mirror ${mirror}`);
      }
    }
    if (await this.hasCommit(mirror, hash)) return;
    // Every branch and tag, then the commit by its hash (servers allowing it serve commits no ref reaches).
    const fetches = [
      ["fetch", "--quiet", "--prune", "--", repo, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
      ["fetch", "--quiet", "--", repo, hash],
    ];
    for (const args of fetches) {
      try {
        await this.git(["--git-dir", mirror, ...args], signal);
      } catch {
        // A failed fetch is one that found nothing (a server refusing fetch-by-hash, say): the check decides.
        signal?.throwIfAborted();
      }
      if (await this.hasCommit(mirror, hash)) return;
    }
    throw new ModuleResolveError("unknown-commit", repo, hash, `${hash} is not a commit of ${repo}`);
  }

  /**
   * Checks the commit's tree out into `target` through an index of its own (read-tree, checkout-index): unlike git
   * archive, this applies no export-subst (whose `%d` would expand to the mirror's ref names, which differ between
   * machines) and no export-ignore, and git itself refuses tree entries such as `..` or `.git`.
   */
  private async checkout(mirror: string, module: ModuleConfig, target: string, signal?: AbortSignal): Promise<void> {
    const index = `${target}.index`;
    const inWorkTree = ["--git-dir", mirror, "--work-tree", target];
    try {
      await this.git([...inWorkTree, "read-tree", module.hash], signal, { GIT_INDEX_FILE: index });
      await this.git([...inWorkTree, "checkout-index", "--all", "--force"], signal, { GIT_INDEX_FILE: index });
    } catch (error) {
      signal?.throwIfAborted();
      throw new ModuleResolveError("extract", module.repo, module.hash, `checkout failed: ${gitMessage(error)}`, {
        cause: error,
      });
    } finally {
      await fs.rm(index, { force: true });
    }
  }
}

/** The useful line of a failed git command: its stderr, else the error's message. */
function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  if (typeof stderr === "string" && stderr.trim() !== "") return stderr.trim().split("\n").slice(-3).join(" ");
  return (error as Error).message;
}
