// The processes of `accord dev`'s live market: each role is its own `accord` process, restarted when it exits (its
// journal carries it on), and stopped together (SIGTERM, then SIGKILL after 5 s).

import { spawn, type ChildProcess } from "node:child_process";
import type pino from "pino";
import { accordCommand } from "./accounts";

export interface MarketProcess {
  name: string;
  address: string;
  child(): ChildProcess | undefined;
}

export interface SupervisorOptions {
  logger: pino.Logger;
  /** Passed to every process (e.g. --log-format json). */
  logArgs: string[];
  /** Where the processes' output goes (default: inherited). */
  stdio?: "inherit" | "ignore";
}

export class ProcessSupervisor {
  readonly processes: MarketProcess[] = [];
  #closing = false;

  constructor(private readonly options: SupervisorOptions) {}

  /** Runs `accord <args>` with `env` (its key) and restarts it a second after it exits, until close. */
  supervise(name: string, address: string, args: string[], env: NodeJS.ProcessEnv): void {
    const { command, args: prefix } = accordCommand();
    let current: ChildProcess | undefined;
    const run = (): void => {
      if (this.#closing) return;
      current = spawn(command, [...prefix, ...args, ...this.options.logArgs], {
        env: { ...process.env, ...env, DATABASE_URL: "" },
        stdio: this.options.stdio === "ignore" ? "ignore" : ["ignore", "inherit", "inherit"],
      });
      current.on("exit", (code, signal) => {
        if (this.#closing) return;
        this.options.logger.warn({ process: name, code, signal }, "market process exited; restarting it");
        setTimeout(run, 1000).unref();
      });
    };
    run();
    this.processes.push({ name, address, child: () => current });
  }

  /** Stops every process: SIGTERM, SIGKILL after 5 s. */
  async close(): Promise<void> {
    this.#closing = true;
    const children = this.processes
      .map((p) => p.child())
      .filter((c): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null);
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
            child.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  }
}
