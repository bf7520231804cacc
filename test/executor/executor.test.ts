// The executor: a module's code at its pinned commit, in a fresh working directory each run, its template rendered
// from the job's inputs, run under a wall-time and memory limit with a minimal environment; the meter it writes is
// the instruction count and its outputs directory the results, both the same when the job is run again (by the same
// executor or another one, as a mediator does). Failures are typed: a bad module config names its field, a missing
// input names the input, a timeout kills the whole process group.

import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { commitModuleRepo, createDemoModules, type DemoModule } from "../../src/devnet/modules";
import {
  checkModuleConfig,
  ExecutionError,
  ModuleResolveError,
  ProcessExecutor,
  renderTemplate,
  TemplateError,
  type ExecutionFailure,
} from "../../src/executor";
import { AccordValidationError } from "../../src/model/errors";
import type { JobOffer, MachineSpec, ModuleConfig } from "../../src/model/types";
import { ResultStore } from "../../src/results";

const EMPTY_DIRECTORY = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";

function jobOf(module: ModuleConfig, inputs: Record<string, string> | null, spec?: Partial<MachineSpec>): JobOffer {
  return {
    id: "",
    created_at: 1_750_000_000_000,
    job_creator: "0x1111111111111111111111111111111111111111",
    module,
    spec: { cpu: 1000, gpu: 0, ram: 1024, ...spec },
    inputs,
    mode: "MarketPrice",
    pricing: { instruction_price: 1n, payment_collateral: 1n, results_collateral_multiple: 2n, mediation_fee: 1n },
    timeouts: {
      agree: { timeout: 60n, collateral: 1n },
      submit_results: { timeout: 60n, collateral: 1n },
      judge_results: { timeout: 60n, collateral: 1n },
      mediate_results: { timeout: 60n, collateral: 1n },
    },
    trusted_parties: { solver: "0x5555555555555555555555555555555555555555", mediator: [] },
  };
}

/** Test modules, one repository, one template per case; each script is a few lines of Node.js. */
const KIT: Record<string, string> = {
  "sleep.js": `const fs = require("node:fs");
const child = require("node:child_process").spawn("sleep", ["60"], { stdio: "ignore" });
fs.writeFileSync(process.argv[2], JSON.stringify([process.pid, child.pid]));
setTimeout(() => {}, 60000);
`,
  "sleep.json": JSON.stringify({ command: ["node", "sleep.js", "{{ .pidfile }}"], timeoutSeconds: 30 }),
  "sleep-short.json": JSON.stringify({ command: ["node", "sleep.js", "{{ .pidfile }}"], timeoutSeconds: 0.5 }),
  "fail.js": `process.stderr.write("something went wrong\\n"); process.exit(3);\n`,
  "fail.json": JSON.stringify({ command: ["node", "fail.js"] }),
  "alloc.js": `const keep = [];
for (let i = 0; i < 32; i++) keep.push(Buffer.alloc(64 << 20, 1));
require("node:fs").writeFileSync(process.env.ACCORD_OUTPUTS + "/size", String(keep.length));
`,
  "alloc.json": JSON.stringify({ command: ["node", "alloc.js"], memoryMB: 1024 }),
  "clean.js": `const fs = require("node:fs");
if (fs.existsSync("marker")) { console.error("marker left by a previous run"); process.exit(4); }
fs.writeFileSync("marker", "x");
fs.writeFileSync(process.env.ACCORD_OUTPUTS + "/ok.txt", "clean\\n");
`,
  "clean.json": JSON.stringify({ command: ["node", "clean.js"] }),
  "env.js": `const fs = require("node:fs");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "PATH"));
fs.writeFileSync(process.env.ACCORD_OUTPUTS + "/env.json", JSON.stringify({ env, cwd: process.cwd(), argv: process.argv.slice(2) }));
`,
  "env.json": JSON.stringify({
    command: ["node", "env.js", "{{ .arg }}"],
    env: { SEED: '{{ .seed | default "7" }}' },
    outputs: "out/dir",
  }),
  "meter-none.json": JSON.stringify({ command: ["node", "-e", ""] }),
  "meter-text.json": JSON.stringify({
    command: ["node", "-e", "require('fs').writeFileSync(process.env.ACCORD_METER, 'lots')"],
  }),
  "meter-big.json": JSON.stringify({
    command: ["node", "-e", "require('fs').writeFileSync(process.env.ACCORD_METER, '18446744073709551616')"],
  }),
  "meter-max.json": JSON.stringify({
    command: ["node", "-e", "require('fs').writeFileSync(process.env.ACCORD_METER, '18446744073709551615\\n')"],
  }),
  "outputs-gone.json": JSON.stringify({
    command: ["node", "-e", "require('fs').rmSync(process.env.ACCORD_OUTPUTS, { recursive: true })"],
  }),
  "outputs-link.json": JSON.stringify({
    command: [
      "node",
      "-e",
      "const fs = require('fs'); fs.rmSync(process.env.ACCORD_OUTPUTS, { recursive: true }); fs.symlinkSync('/etc', process.env.ACCORD_OUTPUTS)",
    ],
  }),
  // git archive would expand this (export-subst), %d to the mirror's ref names: a checkout keeps the committed bytes.
  ".gitattributes": "subst.txt export-subst\n",
  "subst.txt": "$Format:%H%d$\n",
  "subst.json": JSON.stringify({
    command: ["node", "-e", "require('fs').copyFileSync('subst.txt', process.env.ACCORD_OUTPUTS + '/subst.txt')"],
  }),
  "missing-program.json": JSON.stringify({ command: ["no-such-program-accord"] }),
  "bad-template.json": '{ "command": ["node", "{{ .x }"], ',
};

/** Processes of group `pgid` still alive (zombies, already dead and waiting to be reaped, do not count). */
function liveInGroup(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its closing parenthesis.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") live.push(Number(entry));
  }
  return live;
}

async function failure<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}`);
}

async function runFailure(promise: Promise<unknown>, reason: ExecutionFailure): Promise<ExecutionError> {
  const error = await failure(promise, ExecutionError);
  expect(error.reason, error.message).to.equal(reason);
  return error;
}

describe("executor", function () {
  let tmp: string;
  let results: ResultStore;
  let demos: DemoModule[];
  let kit: (templatePath: string) => ModuleConfig;
  let executor: ProcessExecutor;

  const demo = (name: string): DemoModule => demos.find((d) => d.name === name)!;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "accord-executor-"));
    results = await ResultStore.open(path.join(tmp, "results"));
    demos = await createDemoModules(path.join(tmp, "modules"));
    const kitRepo = path.join(tmp, "modules", "kit");
    const kitHash = await commitModuleRepo(kitRepo, KIT, "executor test kit");
    kit = (templatePath) => ({ name: "kit", repo: pathToFileURL(kitRepo).href, hash: kitHash, path: templatePath });
    executor = new ProcessExecutor({ dir: path.join(tmp, "executor"), results, allowFileRepos: true });
  });

  after(async () => {
    await results.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("demo modules", () => {
    it("are the same commits however often they are created", async () => {
      const again = await createDemoModules(path.join(tmp, "modules"));
      const elsewhere = await createDemoModules(path.join(tmp, "modules-elsewhere"));
      expect(again.map((d) => d.module.hash)).to.deep.equal(demos.map((d) => d.module.hash));
      expect(elsewhere.map((d) => d.module.hash)).to.deep.equal(demos.map((d) => d.module.hash));
      expect(demos.map((d) => d.name)).to.deep.equal(["primes", "hashchain", "wordcount"]);
      for (const d of demos) checkModuleConfig(d.module, { allowFileRepos: true });
    });

    it("run, meter themselves and give the same results CID every time, on any executor", async () => {
      const otherResults = await ResultStore.open(path.join(tmp, "other-results"));
      const other = new ProcessExecutor({ dir: path.join(tmp, "other"), results: otherResults, allowFileRepos: true });
      try {
        for (const d of demos) {
          const job = jobOf(d.module, d.inputs, d.spec);
          const first = await executor.run(job, { dealId: "QmDeal" });
          const second = await executor.run(job);
          const mediated = await other.run(job);
          expect(first.resultsId, d.name).to.match(/^Qm/);
          expect(first.exitCode).to.equal(0);
          expect(first.instructionCount > 1n, d.name).to.be.true;
          expect(first.durationMs).to.be.below(5_000);
          for (const again of [second, mediated]) {
            expect(again.resultsId, d.name).to.equal(first.resultsId);
            expect(again.instructionCount, d.name).to.equal(first.instructionCount);
          }
        }
      } finally {
        await otherResults.close();
      }
    });

    it("primes: 9592 primes below 100000, in 293074 metered sieve steps", async () => {
      const run = await executor.run(jobOf(demo("primes").module, { below: "100000" }));
      expect(run.instructionCount).to.equal(293074n);
      const out = path.join(tmp, "primes-out");
      await results.extractTo(run.resultsId, out);
      expect(JSON.parse(fs.readFileSync(path.join(out, "result.json"), "utf8"))).to.deep.equal({
        below: 100000,
        primes: 9592,
      });
      // Other inputs, other results; the template's default when the input is left out.
      const fewer = await executor.run(jobOf(demo("primes").module, { below: "1000" }));
      expect(fewer.resultsId).to.not.equal(run.resultsId);
      const byDefault = await executor.run(jobOf(demo("primes").module, null));
      expect(byDefault.resultsId).to.equal(run.resultsId);
    });

    it("runs of the same repository at once share one mirror", async () => {
      // Two executors over one directory (as `accord agent` may make), three runs at once, no mirror yet.
      const fresh = new ProcessExecutor({ dir: path.join(tmp, "concurrent"), results, allowFileRepos: true });
      const twin = new ProcessExecutor({ dir: path.join(tmp, "concurrent"), results, allowFileRepos: true });
      const job = jobOf(demo("hashchain").module, demo("hashchain").inputs);
      const runs = await Promise.all([fresh.run(job), twin.run(job), fresh.run(job)]);
      expect(new Set(runs.map((r) => r.resultsId)).size).to.equal(1);
      expect(fs.readdirSync(path.join(tmp, "concurrent", "repos"))).to.have.length(1);
      expect(fs.readdirSync(path.join(tmp, "concurrent", "runs"))).to.deep.equal([]);
    });
  });

  describe("the module", () => {
    it("checkModuleConfig refuses, naming the field", () => {
      const good: ModuleConfig = {
        name: "m",
        repo: "https://github.com/accord/module.git",
        hash: "a".repeat(40),
        path: "templates/module.json",
      };
      checkModuleConfig(good);
      checkModuleConfig({ ...good, repo: "git://example.org/m.git", hash: "b".repeat(64) });
      checkModuleConfig({ ...good, repo: "/srv/repos/m" }, { allowFileRepos: true });
      checkModuleConfig({ ...good, repo: "file:///srv/repos/m" }, { allowFileRepos: true });
      const cases: [Partial<ModuleConfig>, string, RegExp][] = [
        [{ repo: "" }, "module.repo", /non-empty/],
        [{ repo: "github.com/accord/module" }, "module.repo", /URL/],
        [{ repo: "ssh://git@github.com/accord/module" }, "module.repo", /ssh:/],
        [{ repo: "git@github.com:accord/module.git" }, "module.repo", /URL/],
        [{ repo: "ext::sh -c touch% /tmp/pwned" }, "module.repo", /whitespace/],
        [{ repo: "https://user:secret@github.com/accord/module" }, "module.repo", /credentials/],
        [{ repo: "file:///srv/repos/m" }, "module.repo", /file:/],
        [{ repo: "/srv/repos/m" }, "module.repo", /URL/],
        [{ hash: "" }, "module.hash", /full commit/],
        [{ hash: "abc1234" }, "module.hash", /full commit/],
        [{ hash: "A".repeat(40) }, "module.hash", /lowercase/],
        [{ hash: "g".repeat(40) }, "module.hash", /hex/],
        [{ hash: "main" }, "module.hash", /full commit/],
        [{ path: "" }, "module.path", /relative/],
        [{ path: "/etc/passwd" }, "module.path", /relative/],
        [{ path: "../outside.json" }, "module.path", /\.\./],
        [{ path: "a/../../b.json" }, "module.path", /\.\./],
        [{ path: "a//b.json" }, "module.path", /empty/],
      ];
      for (const [override, field, rule] of cases) {
        try {
          checkModuleConfig({ ...good, ...override });
          expect.fail(`expected ${JSON.stringify(override)} to be refused`);
        } catch (error) {
          expect(error, JSON.stringify(override)).to.be.instanceOf(AccordValidationError);
          expect((error as AccordValidationError).field, JSON.stringify(override)).to.equal(field);
          expect((error as AccordValidationError).rule, JSON.stringify(override)).to.match(rule);
          expect((error as AccordValidationError).subject).to.equal("module");
        }
      }
    });

    it("the executor applies the same rules before fetching anything", async () => {
      const strict = new ProcessExecutor({ dir: path.join(tmp, "strict"), results });
      const error = await failure(strict.run(jobOf(demo("primes").module, {})), AccordValidationError);
      expect(error.field).to.equal("module.repo");
      expect(fs.existsSync(path.join(tmp, "strict", "repos"))).to.be.false;
    });

    it("an unknown commit, an unreachable repository or a missing template path is a ModuleResolveError", async () => {
      const unknown = await failure(
        executor.run(jobOf({ ...demo("primes").module, hash: "0123456789abcdef0123456789abcdef01234567" }, {})),
        ModuleResolveError,
      );
      expect(unknown.reason).to.equal("unknown-commit");
      const gone = await failure(
        executor.run(jobOf({ ...demo("primes").module, repo: pathToFileURL(path.join(tmp, "nowhere")).href }, {})),
        ModuleResolveError,
      );
      expect(gone.reason).to.equal("clone");
      const noPath = await failure(executor.run(jobOf(kit("no/such.json"), {})), ModuleResolveError);
      expect(noPath.reason).to.equal("path");
    });

    it("fetches a commit the mirror lacks, and keeps the ones it has", async () => {
      const repo = path.join(tmp, "modules", "evolving");
      const template = JSON.stringify({
        command: ["node", "-e", "require('fs').writeFileSync(process.env.ACCORD_OUTPUTS + '/v', require('./v.json'))"],
      });
      const first = await commitModuleRepo(repo, { "module.json": template, "v.json": '"1"' }, "v1");
      const module = (hash: string): ModuleConfig => ({
        name: "evolving",
        repo: pathToFileURL(repo).href,
        hash,
        path: "module.json",
      });
      const v1 = await executor.run(jobOf(module(first), {}));
      // The branch now points at another commit; the first is no longer reachable from the repository's refs.
      const second = await commitModuleRepo(repo, { "module.json": template, "v.json": '"2"' }, "v2");
      const v2 = await executor.run(jobOf(module(second), {}));
      expect(v2.resultsId).to.not.equal(v1.resultsId);
      expect((await executor.run(jobOf(module(first), {}))).resultsId).to.equal(v1.resultsId);
    });

    it("checks out exactly the committed bytes, from a URL or an absolute path alike", async () => {
      const run = await executor.run(jobOf(kit("subst.json"), {}));
      const out = path.join(tmp, "subst-out");
      await results.extractTo(run.resultsId, out);
      expect(fs.readFileSync(path.join(out, "subst.txt"), "utf8")).to.equal("$Format:%H%d$\n");
      const byPath = { ...demo("primes").module, repo: path.join(tmp, "modules", "primes") };
      const fromPath = await executor.run(jobOf(byPath, { below: "1000" }));
      const fromUrl = await executor.run(jobOf(demo("primes").module, { below: "1000" }));
      expect(fromPath.resultsId).to.equal(fromUrl.resultsId);
    });
  });

  describe("the template", () => {
    const text = JSON.stringify({
      command: ["node", "main.js", "{{ .count }}", '--seed={{.seed|default "s"}}'],
      env: { SEED: "{{ .seed }}" },
      outputs: "outputs",
      timeoutSeconds: 60,
      memoryMB: 512,
    });

    it("substitutes inputs inside string values only: an input cannot add arguments or fields", () => {
      const hostile = '3"], "env": {"LD_PRELOAD": "/tmp/x.so"}, "x": ["';
      const rendered = renderTemplate(text, { count: hostile, seed: "" });
      expect(rendered.command).to.deep.equal(["node", "main.js", hostile, "--seed=s"]);
      expect(rendered.env).to.deep.equal({ SEED: "" });
      expect(rendered).to.include({ outputs: "outputs", timeoutSeconds: 60, memoryMB: 512 });
      // Substituted once: an input that looks like a placeholder stays as it is.
      expect(renderTemplate(text, { count: "{{ .seed }}", seed: "1" }).command[2]).to.equal("{{ .seed }}");
      expect(renderTemplate(JSON.stringify({ command: ["x"] }), {})).to.deep.equal({
        command: ["x"],
        env: {},
        outputs: "outputs",
      });
    });

    it("names the input a job left out, and the field of a bad template", () => {
      const cases: [string, Record<string, string>, string][] = [
        [text, { seed: "1" }, "inputs.count"],
        [text, { count: "1" }, "inputs.seed"],
        ["[1]", {}, ""],
        ["{ nope", {}, ""],
        [JSON.stringify({ command: [] }), {}, "command"],
        [JSON.stringify({ command: ["node", 3] }), {}, "command[1]"],
        [JSON.stringify({ command: ["{{ .x }}"] }), { x: "" }, "command[0]"],
        [JSON.stringify({ command: ["node", '{{ index . "a" }}'] }), {}, "command[1]"],
        [JSON.stringify({ command: ["node"], env: { "A-B": "1" } }), {}, "env.A-B"],
        [JSON.stringify({ command: ["node"], env: { ACCORD_METER: "/dev/null" } }), {}, "env.ACCORD_METER"],
        [JSON.stringify({ command: ["node"], env: { N: 1 } }), {}, "env.N"],
        [JSON.stringify({ command: ["node"], outputs: "../up" }), {}, "outputs"],
        [JSON.stringify({ command: ["node"], outputs: "/abs" }), {}, "outputs"],
        [JSON.stringify({ command: ["node"], timeoutSeconds: 0 }), {}, "timeoutSeconds"],
        [JSON.stringify({ command: ["node"], memoryMB: 1.5 }), {}, "memoryMB"],
        [JSON.stringify({ command: ["node"], timeout: 5 }), {}, "timeout"],
      ];
      for (const [template, inputs, field] of cases) {
        try {
          renderTemplate(template, inputs);
          expect.fail(`expected ${template} to be refused`);
        } catch (error) {
          expect(error, template).to.be.instanceOf(TemplateError);
          expect((error as TemplateError).field, template).to.equal(field);
        }
      }
    });

    it("a run with an input missing fails before anything runs, naming the input", async () => {
      const error = await failure(executor.run(jobOf(demo("wordcount").module, { seed: "1" })), TemplateError);
      expect(error.field).to.equal("inputs.words");
      const bad = await failure(executor.run(jobOf(kit("bad-template.json"), {})), TemplateError);
      expect(bad.field).to.equal("");
    });
  });

  describe("a run", () => {
    it("gets a clean working directory and a minimal environment", async () => {
      const first = await executor.run(jobOf(kit("clean.json"), {}));
      const second = await executor.run(jobOf(kit("clean.json"), {}));
      expect(second.resultsId).to.equal(first.resultsId);

      const run = await executor.run(jobOf(kit("env.json"), { arg: "a b; $(rm -rf /)" }));
      const out = path.join(tmp, "env-out");
      await results.extractTo(run.resultsId, out);
      const seen = JSON.parse(fs.readFileSync(path.join(out, "env.json"), "utf8")) as {
        env: Record<string, string>;
        cwd: string;
        argv: string[];
      };
      expect(Object.keys(seen.env).sort()).to.deep.equal(["ACCORD_METER", "ACCORD_OUTPUTS", "HOME", "SEED"]);
      expect(seen.env.SEED).to.equal("7");
      expect(seen.env.HOME).to.equal(seen.cwd);
      expect(seen.env.ACCORD_OUTPUTS).to.equal(path.join(seen.cwd, "out", "dir"));
      expect(seen.argv).to.deep.equal(["a b; $(rm -rf /)"]);
      // The run's directory is gone.
      expect(fs.existsSync(seen.cwd)).to.be.false;
    });

    it("counts 1 instruction without a meter, takes up to 2^64 - 1, refuses text or more", async () => {
      const none = await executor.run(jobOf(kit("meter-none.json"), {}));
      expect(none.instructionCount).to.equal(1n);
      expect(none.resultsId).to.equal(EMPTY_DIRECTORY);
      expect((await executor.run(jobOf(kit("meter-max.json"), {}))).instructionCount).to.equal(2n ** 64n - 1n);
      await runFailure(executor.run(jobOf(kit("meter-text.json"), {})), "meter");
      await runFailure(executor.run(jobOf(kit("meter-big.json"), {})), "meter");
    });

    it("takes removed outputs as an empty directory, and refuses outputs replaced by a symlink", async () => {
      expect((await executor.run(jobOf(kit("outputs-gone.json"), {}))).resultsId).to.equal(EMPTY_DIRECTORY);
      await runFailure(executor.run(jobOf(kit("outputs-link.json"), {})), "outputs");
    });

    it("fails with the exit code and the end of stderr on a non-zero exit", async () => {
      const error = await runFailure(executor.run(jobOf(kit("fail.json"), {})), "exit");
      expect(error.exitCode).to.equal(3);
      expect(error.stderrTail).to.contain("something went wrong");
      expect(error.message).to.contain("code 3");
      const missing = await runFailure(executor.run(jobOf(kit("missing-program.json"), {})), "exit");
      expect(missing.stderrTail).to.contain("no-such-program-accord");
    });

    it("kills the whole process group at the time limit", async () => {
      for (const [template, options] of [
        ["sleep.json", { timeoutMs: 700 }],
        ["sleep-short.json", {}],
      ] as const) {
        const pidfile = path.join(tmp, `${template}.pids`);
        const limited = new ProcessExecutor({
          dir: path.join(tmp, "executor"),
          results,
          allowFileRepos: true,
          ...options,
        });
        const started = Date.now();
        const error = await runFailure(limited.run(jobOf(kit(template), { pidfile })), "timeout");
        expect(Date.now() - started, template).to.be.below(4_000);
        expect(error.signal).to.equal("SIGKILL");
        const [leader, child] = JSON.parse(fs.readFileSync(pidfile, "utf8")) as number[];
        expect(child).to.be.a("number");
        // The sleeping grandchild was in the group and went with it (reaping may take a moment).
        for (let i = 0; i < 40 && liveInGroup(leader).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
        expect(liveInGroup(leader), template).to.deep.equal([]);
      }
    });

    it("kills the run when aborted", async () => {
      const pidfile = path.join(tmp, "abort.pids");
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      const started = Date.now();
      await runFailure(executor.run(jobOf(kit("sleep.json"), { pidfile }), { signal: controller.signal }), "aborted");
      expect(Date.now() - started).to.be.below(4_000);
      const [leader] = JSON.parse(fs.readFileSync(pidfile, "utf8")) as number[];
      for (let i = 0; i < 40 && liveInGroup(leader).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(liveInGroup(leader)).to.deep.equal([]);
      await runFailure(executor.run(jobOf(kit("fail.json"), {}), { signal: AbortSignal.abort() }), "aborted");
    });

    it("fails a module that allocates past its memory limit", async () => {
      // 2 GiB of buffers under the template's 1024 MiB of address space: the allocation fails, Node says so.
      const error = await runFailure(executor.run(jobOf(kit("alloc.json"), {})), "memory");
      expect(error.stderrTail).to.match(/allocation failed|out of memory/i);
      // The job's spec.ram is the limit when the executor sets none and it is lower than the template's.
      const small = await runFailure(executor.run(jobOf(kit("meter-none.json"), {}, { ram: 256 })), "memory");
      expect(small.stderrTail).to.not.equal("");
    });
  });
});
