// Agents' config files: decoded with the data model's schemas, refused with the field named.

import { expect } from "chai";
import { parseAgentConfig } from "../../src/agents/config";
import { AccordValidationError } from "../../src/model/errors";

const pricing = { instruction_price: 1, payment_collateral: 10, results_collateral_multiple: 2, mediation_fee: 1 };
const timeouts = {
  agree: { timeout: 60, collateral: 1 },
  submit_results: { timeout: 60, collateral: 1 },
  judge_results: { timeout: 60, collateral: 1 },
  mediate_results: { timeout: 60, collateral: 1 },
};
const trust = { solver: "0x" + "11".repeat(20), mediator: ["0x" + "22".repeat(20)] };
const machine = { index: 0, spec: { cpu: 1000, gpu: 0, ram: 1024 }, pricing, timeouts };
const job = {
  module: { name: "m", repo: "https://example.org/m", hash: "a".repeat(40), path: "module.json" },
  inputs: { n: "1" },
  spec: { cpu: 1000, gpu: 0, ram: 1024 },
  pricing,
  timeouts,
};

function refusal(fn: () => unknown): AccordValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(AccordValidationError);
    return error as AccordValidationError;
  }
  expect.fail("the config was accepted");
}

describe("agents: config files", () => {
  it("decodes a provider's machines and faults and a job creator's jobs and policy with the model's types", () => {
    const provider = parseAgentConfig("resource-provider", { trust, machines: [machine], faults: { silent: 0.5 } });
    expect(provider.machines[0].pricing.instruction_price).to.equal(1n);
    expect(provider.machines[0].timeouts.agree.timeout).to.equal(60n);
    expect(provider.faults).to.deep.equal({ wrongResults: undefined, silent: 0.5 });
    const creator = parseAgentConfig("job-creator", { trust, jobs: [job], policy: { sampleRate: 0.25 } });
    expect(creator.jobs[0].mode).to.equal("MarketPrice");
    expect(creator.jobPolicy.sampleRate).to.equal(0.25);
  });

  const cases: [string, "resource-provider" | "job-creator", unknown, string][] = [
    ["a provider without machines", "resource-provider", { trust }, "machines"],
    ["a job creator without jobs", "job-creator", { trust }, "jobs"],
    [
      "a negative price",
      "resource-provider",
      { trust, machines: [{ ...machine, pricing: { ...pricing, instruction_price: -1 } }] },
      "machines[0].pricing.instruction_price",
    ],
    ["a share over 1", "resource-provider", { trust, machines: [machine], faults: { silent: 2 } }, "faults.silent"],
    ["a job with a bad mode", "job-creator", { trust, jobs: [{ ...job, mode: "Cheap" }] }, "jobs[0].mode"],
    [
      "a trusted solver that is no address",
      "job-creator",
      { trust: { ...trust, solver: "me" }, jobs: [job] },
      "trust.solver",
    ],
  ];
  for (const [what, role, config, field] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      expect(refusal(() => parseAgentConfig(role, config)).field).to.equal(field);
    });
  }
});
