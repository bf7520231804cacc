// The `accord` command line.
import { Command } from "commander";
import { registerAgent } from "./commands/agent";
import { registerDev } from "./commands/dev";
import { registerIndex } from "./commands/index";
import { registerOperator } from "./commands/operator";
import { registerOracle } from "./commands/oracle";
import { registerPools } from "./commands/pools";
import { registerProvider } from "./commands/provider";
import { registerRetrieval } from "./commands/retrieval";
import { registerServe } from "./commands/serve";
import { registerSolver } from "./commands/solver";

export function buildProgram(): Command {
  const program = new Command();
  program.name("accord").description("Accord: compute-deal markets on EVM chains");
  registerDev(program);
  registerIndex(program);
  registerServe(program);
  registerSolver(program);
  registerAgent(program);
  registerOperator(program);
  registerOracle(program);
  registerPools(program);
  registerProvider(program);
  registerRetrieval(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
