// Demo modules for a development network: small deterministic Node.js programs (no dependencies) in local git
// repositories, each with an Accord module template (src/executor/README.md), so an executor can run real jobs
// without the network. The commits are deterministic (fixed author, committer and dates, no parent): creating the
// modules again, here or on another machine, gives the same commit hashes, hence the same module IDs.

import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { MachineSpec, ModuleConfig } from "../model/types";

const execFileAsync = promisify(execFile);

export type DemoModule = {
  name: string;
  /** repo is a file:// URL (an executor needs allowFileRepos for it). */
  module: ModuleConfig;
  /** Example inputs; each run finishes well under a second with them. */
  inputs: Record<string, string>;
  spec: MachineSpec;
};

/** The template's file name in each demo repository. */
export const DEMO_TEMPLATE_PATH = "module.json";

/** What the demo modules ask of a machine: a CPU and the address space Node.js needs (src/executor/README.md). */
export const DEMO_SPEC: MachineSpec = { cpu: 1000, gpu: 0, ram: 1024 };

const COMMIT_DATE = "2025-01-01T00:00:00Z";

// Git with no user or system configuration (a global core.autocrlf or hook would change what is committed).
const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: "/nonexistent",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "accord",
  GIT_AUTHOR_EMAIL: "accord@localhost",
  GIT_AUTHOR_DATE: COMMIT_DATE,
  GIT_COMMITTER_NAME: "accord",
  GIT_COMMITTER_EMAIL: "accord@localhost",
  GIT_COMMITTER_DATE: COMMIT_DATE,
  LC_ALL: "C",
};

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", ["-C", repo, ...args], { env: GIT_ENV });
  return stdout.trim();
}

/**
 * Makes `repoDir` a git repository whose `main` is one parentless commit of exactly `files` (path → content), and
 * returns the commit hash: the same files and message give the same hash, so calling it again changes nothing.
 * Everything in `repoDir` but `.git` is replaced by `files`: point it at a directory of its own. Used for the demo
 * modules and by tests for their own.
 */
export async function commitModuleRepo(
  repoDir: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  await fs.mkdir(repoDir, { recursive: true });
  await git(repoDir, ["-c", "init.defaultBranch=main", "init", "--quiet"]);
  for (const entry of await fs.readdir(repoDir)) {
    if (entry !== ".git") await fs.rm(path.join(repoDir, entry), { recursive: true, force: true });
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(repoDir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  await git(repoDir, ["add", "--all"]);
  const tree = await git(repoDir, ["write-tree"]);
  // commit-tree, not commit: no parent, so the hash depends on the files and the message alone.
  const commit = await git(repoDir, ["commit-tree", tree, "-m", message]);
  await git(repoDir, ["update-ref", "refs/heads/main", commit]);
  await git(repoDir, ["symbolic-ref", "HEAD", "refs/heads/main"]);
  return commit;
}

/** A module template (JSON) as the demo modules write it. */
function template(value: object): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// Each program reads its inputs, meters itself (ACCORD_METER: its own count of work steps) and writes its results
// under ACCORD_OUTPUTS. No clock, no randomness, no environment beyond those: the same inputs give the same bytes.

const PRIMES = `"use strict";
// Counts the primes below N with a sieve; the meter counts the sieve's steps.
const fs = require("node:fs");
const path = require("node:path");

const below = Number(process.argv[2]);
if (!Number.isSafeInteger(below) || below < 0 || below > 100000000) {
  console.error("usage: main.js <below: an integer from 0 to 100000000>");
  process.exit(2);
}
const composite = new Uint8Array(below);
let steps = 0;
let primes = 0;
for (let i = 2; i < below; i++) {
  steps++;
  if (composite[i]) continue;
  primes++;
  for (let j = i * i; j < below; j += i) {
    composite[j] = 1;
    steps++;
  }
}
const out = process.env.ACCORD_OUTPUTS;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "result.json"), JSON.stringify({ below, primes }) + "\\n");
fs.writeFileSync(process.env.ACCORD_METER, String(steps));
`;

const HASHCHAIN = `"use strict";
// sha256 applied ROUNDS times, starting from the bytes of SEED; the meter counts the rounds.
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const seed = process.env.SEED ?? "";
const rounds = Number(process.env.ROUNDS);
if (!Number.isSafeInteger(rounds) || rounds < 0 || rounds > 10000000) {
  console.error("ROUNDS must be an integer from 0 to 10000000");
  process.exit(2);
}
let digest = Buffer.from(seed, "utf8");
for (let i = 0; i < rounds; i++) digest = crypto.createHash("sha256").update(digest).digest();
const out = process.env.ACCORD_OUTPUTS;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "digest.txt"), digest.toString("hex") + "\\n");
fs.writeFileSync(path.join(out, "chain.json"), JSON.stringify({ seed, rounds, digest: digest.toString("hex") }) + "\\n");
fs.writeFileSync(process.env.ACCORD_METER, String(rounds));
`;

const WORDCOUNT = `"use strict";
// Generates a text of WORDS words from a seeded generator, then counts each word; the meter counts the words read.
const fs = require("node:fs");
const path = require("node:path");

const words = Number(process.argv[2]);
const seed = Number(process.argv[3]);
if (!Number.isSafeInteger(words) || words < 0 || words > 10000000 || !Number.isSafeInteger(seed)) {
  console.error("usage: main.js <words: 0..10000000> <seed: an integer>");
  process.exit(2);
}
const vocabulary = ["accord", "deal", "job", "offer", "provider", "mediator", "result", "module", "solver", "chain"];
let state = seed >>> 0;
const text = [];
for (let i = 0; i < words; i++) {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  text.push(vocabulary[state % vocabulary.length]);
}
const counts = new Map();
let read = 0;
for (const word of text.join(" ").split(" ")) {
  if (word === "") continue;
  read++;
  counts.set(word, (counts.get(word) ?? 0) + 1);
}
const sorted = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const out = process.env.ACCORD_OUTPUTS;
fs.mkdirSync(path.join(out, "text"), { recursive: true });
fs.writeFileSync(path.join(out, "text", "input.txt"), text.join(" ") + "\\n");
fs.writeFileSync(path.join(out, "counts.json"), JSON.stringify(sorted, null, 2) + "\\n");
fs.writeFileSync(process.env.ACCORD_METER, String(read));
`;

const LIMITS = { timeoutSeconds: 30, memoryMB: DEMO_SPEC.ram };

const DEMOS: { name: string; files: Record<string, string>; inputs: Record<string, string> }[] = [
  {
    name: "primes",
    files: {
      "main.js": PRIMES,
      [DEMO_TEMPLATE_PATH]: template({
        command: ["node", "main.js", '{{ .below | default "100000" }}'],
        outputs: "outputs",
        ...LIMITS,
      }),
    },
    inputs: { below: "100000" },
  },
  {
    name: "hashchain",
    files: {
      "main.js": HASHCHAIN,
      [DEMO_TEMPLATE_PATH]: template({
        command: ["node", "main.js"],
        env: { SEED: "{{ .seed }}", ROUNDS: '{{ .rounds | default "1000" }}' },
        outputs: "outputs",
        ...LIMITS,
      }),
    },
    inputs: { seed: "accord", rounds: "10000" },
  },
  {
    name: "wordcount",
    files: {
      "main.js": WORDCOUNT,
      [DEMO_TEMPLATE_PATH]: template({
        command: ["node", "main.js", "{{ .words }}", '{{ .seed | default "1" }}'],
        outputs: "outputs",
        ...LIMITS,
      }),
    },
    inputs: { words: "20000", seed: "42" },
  },
];

/**
 * Creates (or, when present, re-creates identically) a git repository per demo module under `dir` (`dir/<name>`),
 * and returns each module's config, example inputs and spec.
 */
export async function createDemoModules(dir: string): Promise<DemoModule[]> {
  const root = path.resolve(dir);
  const modules: DemoModule[] = [];
  for (const demo of DEMOS) {
    const repoDir = path.join(root, demo.name);
    const hash = await commitModuleRepo(repoDir, demo.files, `accord demo module: ${demo.name}`);
    modules.push({
      name: demo.name,
      module: { name: demo.name, repo: pathToFileURL(repoDir).href, hash, path: DEMO_TEMPLATE_PATH },
      inputs: { ...demo.inputs },
      spec: { ...DEMO_SPEC },
    });
  }
  return modules;
}
