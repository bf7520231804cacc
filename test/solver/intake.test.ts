// Offer intake: a post is accepted only when the offer parses, passes the reference's checks, carries its own ID,
// is fresh, names this solver, fits the size limits and is signed (EIP-712) by its owner for this solver and chain.
// Every refusal names its field; a signature cannot be replayed onto another offer, solver or chain.

import { expect } from "chai";
import { getModuleId } from "../../src/model";
import { acceptJobOffer, acceptResourceOffer } from "../../src/solver";
import {
  cowsay,
  jobBody,
  jobCreator,
  mediator,
  NOW,
  otherSolver,
  pricing,
  provider,
  resourceBody,
  rules,
  sign,
  solver,
  stranger,
  type Json,
  refusal,
} from "./helpers";

describe("solver: offer intake", () => {
  it("accepts a job offer signed by its job creator, with its module's ID", async () => {
    const body = await jobBody();
    const { offer, moduleId } = await acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW);
    expect(offer.id).to.equal(body.id);
    expect(moduleId).to.equal(await getModuleId(cowsay));
    // From JSON text too, as an HTTP body arrives.
    const text = JSON.stringify(body);
    await acceptJobOffer(text, await sign(jobCreator, "job", body.id), rules, NOW + 29_000);
  });

  it("accepts a resource offer signed by its provider, whatever the case of the addresses", async () => {
    const body = await resourceBody({
      trusted_parties: { solver: solver.toUpperCase().replace("0X", "0x"), mediator: [mediator] },
    });
    const offer = await acceptResourceOffer(body, await sign(provider, "resource", body.id), rules, NOW);
    expect(offer.id).to.equal(body.id);
  });

  describe("refuses, naming the field", () => {
    const cases: [string, () => Promise<{ field: string; rule: RegExp; promise: Promise<unknown> }>][] = [
      [
        "a signature by another account",
        async () => {
          const body = await jobBody();
          return {
            field: "signature",
            rule: /signed by job_creator/,
            promise: acceptJobOffer(body, await sign(stranger, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "bytes that are no signature",
        async () => {
          const body = await jobBody();
          return { field: "signature", rule: /65-byte EIP-712/, promise: acceptJobOffer(body, "0x1234", rules, NOW) };
        },
      ],
      [
        "a signature of the post to another solver (replayed here)",
        async () => {
          const body = await jobBody();
          return {
            field: "signature",
            rule: /signed by/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id, otherSolver), rules, NOW),
          };
        },
      ],
      [
        "a signature made for another chain",
        async () => {
          const body = await jobBody();
          return {
            field: "signature",
            rule: /signed by/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id, solver, 1n), rules, NOW),
          };
        },
      ],
      [
        "a signature of another offer (the body altered after signing)",
        async () => {
          const signed = await jobBody();
          const altered = await jobBody({ pricing: { ...pricing, instruction_price: 1 } });
          return {
            field: "signature",
            rule: /signed by/,
            promise: acceptJobOffer(altered, await sign(jobCreator, "job", signed.id), rules, NOW),
          };
        },
      ],
      [
        "a signature of the offer posted as the other kind",
        async () => {
          const body = await jobBody();
          return {
            field: "signature",
            rule: /signed by/,
            promise: acceptJobOffer(body, await sign(jobCreator, "resource", body.id), rules, NOW),
          };
        },
      ],
      [
        "a body whose ID is not its own",
        async () => {
          const body: Json = { ...(await jobBody()), inputs: { prompt: "baa" } };
          return {
            field: "id",
            rule: /./,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "a stale created_at",
        async () => {
          const body = await jobBody({ created_at: NOW - 30_001 });
          return {
            field: "created_at",
            rule: /within 30000 ms/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "a created_at in the future",
        async () => {
          const body = await jobBody({ created_at: NOW + 60_000 });
          return {
            field: "created_at",
            rule: /within/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "an offer for another solver",
        async () => {
          const body = await jobBody({ trusted_parties: { solver: otherSolver, mediator: [mediator] } });
          return {
            field: "trusted_parties.solver",
            rule: /this solver/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "a negative spec",
        async () => {
          const body = await jobBody({ spec: { gpu: 0, cpu: -1, ram: 512 } });
          return {
            field: "spec.cpu",
            rule: /≥ 0/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "an offer trusting no mediator",
        async () => {
          const body = await jobBody({ trusted_parties: { solver, mediator: [] } });
          return {
            field: "trusted_parties.mediator",
            rule: /at least one/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "too many mediators",
        async () => {
          const many = Array.from({ length: 33 }, (_, i) => "0x" + (i + 1).toString(16).padStart(40, "0"));
          const body = await jobBody({ trusted_parties: { solver, mediator: many } });
          return {
            field: "trusted_parties.mediator",
            rule: /at most 32/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "too many inputs",
        async () => {
          const inputs = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, "v"]));
          const body = await jobBody({ inputs });
          return {
            field: "inputs",
            rule: /at most 256/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "an unknown module: a commit that is not pinned",
        async () => {
          const body = await jobBody({ module: { ...cowsay, hash: "main" } });
          return {
            field: "module.hash",
            rule: /full commit/,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "an unknown module: a repository on the solver's machine",
        async () => {
          const body = await jobBody({ module: { ...cowsay, repo: "file:///etc" } });
          return {
            field: "module.repo",
            rule: /file:\/\//,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "an unknown module: a template outside its repository",
        async () => {
          const body = await jobBody({ module: { ...cowsay, path: "../../etc/passwd" } });
          return {
            field: "module.path",
            rule: /./,
            promise: acceptJobOffer(body, await sign(jobCreator, "job", body.id), rules, NOW),
          };
        },
      ],
      [
        "malformed JSON",
        () => Promise.resolve({ field: "", rule: /./, promise: acceptJobOffer("{ not json", "0x", rules, NOW) }),
      ],
      [
        "a field of the wrong type",
        async () => {
          const body: Json = { ...(await jobBody()), spec: { gpu: 0, cpu: "a lot", ram: 512 } };
          return { field: "spec.cpu", rule: /./, promise: acceptJobOffer(body, "0x", rules, NOW) };
        },
      ],
      [
        "a market-price resource offer",
        async () => {
          const body = await resourceBody({ mode: "MarketPrice" });
          return {
            field: "mode",
            rule: /MarketPrice/,
            promise: acceptResourceOffer(body, await sign(provider, "resource", body.id), rules, NOW),
          };
        },
      ],
      [
        "a resource offer signed by someone else",
        async () => {
          const body = await resourceBody();
          return {
            field: "signature",
            rule: /signed by resource_provider/,
            promise: acceptResourceOffer(body, await sign(jobCreator, "resource", body.id), rules, NOW),
          };
        },
      ],
      [
        "a resource offer listing too many modules",
        async () => {
          const modules = Array.from({ length: 257 }, (_, i) => `m${i}`);
          const body = await resourceBody({ modules });
          return {
            field: "modules",
            rule: /at most 256/,
            promise: acceptResourceOffer(body, await sign(provider, "resource", body.id), rules, NOW),
          };
        },
      ],
    ];
    for (const [what, make] of cases) {
      it(what, async () => {
        const { field, rule, promise } = await make();
        const error = await refusal(promise);
        expect(error.field, error.message).to.equal(field);
        expect(error.rule).to.match(rule);
      });
    }
  });
});
