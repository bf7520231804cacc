// The data model's enum tables against the contracts' enums: the index is what the contracts store and emit, so a
// member out of order (or missing) in either would give every decoded value a wrong name.

import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import * as enums from "../../src/model/enums";

const TYPES_DIR = path.join(__dirname, "..", "..", "contracts", "types");

/** Every `enum Name { A, B }` declared under contracts/types, its members in order (comments left out). */
function solidityEnums(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of fs.readdirSync(TYPES_DIR)) {
    const source = fs
      .readFileSync(path.join(TYPES_DIR, file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/[^\n]*/g, "");
    for (const match of source.matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
      found.set(
        match[1],
        match[2]
          .split(",")
          .map((member) => member.trim())
          .filter(Boolean),
      );
    }
  }
  return found;
}

const TABLES: Record<string, readonly string[]> = {
  ServiceType: enums.serviceTypeNames,
  AgreementState: enums.agreementStateNames,
  PaymentReason: enums.paymentReasonNames,
  PaymentDirection: enums.paymentDirectionNames,
  PoolStatus: enums.poolStatusNames,
  WorkloadStatus: enums.workloadStatusNames,
  ChannelStatus: enums.channelStatusNames,
  OperatorStatus: enums.operatorStatusNames,
  TaskStatus: enums.taskStatusNames,
  MachineStatus: enums.machineStatusNames,
  JobStatus: enums.jobStatusNames,
  RefundReason: enums.refundReasonNames,
};

describe("model enums = contract enums", () => {
  const declared = solidityEnums();

  it("every enum of contracts/types has a table in the model", () => {
    expect([...declared.keys()].sort()).to.deep.equal(Object.keys(TABLES).sort());
  });

  for (const [name, names] of Object.entries(TABLES)) {
    it(`${name} lists the contract's members in its order`, () => {
      expect(names).to.deep.equal(declared.get(name));
    });
  }
});
