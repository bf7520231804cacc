// The agents' journal: each record written whole (a write killed half-way leaves the old record), read back after a
// restart, and one process per directory (a lock a killed process left is taken over).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Journal, JournalLockedError } from "../../src/agents";

describe("agents: the journal", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-journal-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps every record across a reopen, with updates and deletes", () => {
    const journal = Journal.open<{ step: string; n?: number }>(dir);
    journal.put("QmA", { step: "signed" });
    journal.put("0xkey", { step: "agreed", n: 1 });
    journal.update("QmA", { n: 2 });
    journal.put("a key / with odd characters", { step: "odd" });
    journal.delete("0xkey");
    journal.close();
    const again = Journal.open<{ step: string; n?: number }>(dir);
    expect(again.get("QmA")).to.deep.equal({ step: "signed", n: 2 });
    expect(again.get("0xkey")).to.equal(undefined);
    expect(again.get("a key / with odd characters")).to.deep.equal({ step: "odd" });
    expect(again.values()).to.have.length(2);
    again.close();
  });

  it("never shows a half-written record: a temporary file a killed write left is ignored and removed", () => {
    const journal = Journal.open<{ step: string }>(dir);
    journal.put("QmA", { step: "signed" });
    journal.close();
    fs.writeFileSync(path.join(dir, "QmA.json.12345.tmp"), '{"key":"QmA","value":{"st');
    const again = Journal.open<{ step: string }>(dir);
    expect(again.get("QmA")).to.deep.equal({ step: "signed" });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
    again.close();
  });

  it("refuses a second live process on the directory, and takes over the lock of a dead one", () => {
    const journal = Journal.open(dir);
    expect(() => Journal.open(dir)).to.not.throw(); // the same process may reopen its own
    journal.close();
    // A live other process (this one's parent) holds it.
    fs.writeFileSync(path.join(dir, "LOCK"), String(process.ppid));
    expect(() => Journal.open(dir)).to.throw(JournalLockedError);
    // A process that is gone (a PID far beyond any live one) left it.
    fs.writeFileSync(path.join(dir, "LOCK"), "4194303");
    const taken = Journal.open(dir);
    expect(fs.readFileSync(path.join(dir, "LOCK"), "utf8")).to.equal(String(process.pid));
    taken.close();
  });
});
