// The live market's escrowed jobs run as real child processes: what the provider reports is their exit status (128 + n
// when killed by signal n) and whole seconds of wall-clock run time.
import { expect } from "chai";
import { runJobProcess } from "../../src/devnet/escrow-jobs";

describe("devnet: escrowed jobs' runs", function () {
  this.timeout(20_000);

  it("reports the exit code and the whole seconds it ran", async () => {
    expect(await runJobProcess(0, 100)).to.deep.equal({ exitCode: 0, seconds: 0n });
    expect((await runJobProcess(3, 1100)).exitCode).to.equal(3);
    expect((await runJobProcess(3, 1100)).seconds).to.equal(1n);
  });

  it("a job past its time limit is killed there: exit 137, the limit's seconds", async () => {
    const ran = await runJobProcess("timeout", 1200);
    expect(ran).to.deep.equal({ exitCode: 137, seconds: 1n });
  });
});
