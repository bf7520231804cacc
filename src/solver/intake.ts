// Offer intake: what the solver checks before an offer enters its book, and how an offering account signs a post.
//
// The reference authenticates a request by a signature over `{address}` alone: anyone who saw one can replay it
// with any body. Here the offering account signs, with EIP-712, a post naming the offer by its ID (the CID of the
// whole offer, so the signature covers every field), the solver it is posted to and the chain: a signature cannot
// be moved to another offer, another solver or another chain, and posting the same offer again is the same offer
// (the book refuses a second copy of an ID). `created_at` must be within the freshness window, so an old signed
// offer cannot be brought back either.
//
// A resource offer may name the onboarded machine it offers (a MachineRegistry ID). The ID is post metadata, not part
// of the offer (the offer's CID, and so every signature and deal over it, is the data model's), so the post is signed
// as a MachineOfferPost(offerId, machineId, solver) instead of an OfferPost: the signature binds the offer to that
// machine, and an OfferPost signature (kept as it was, so existing posts still verify) cannot be reused to name one.
// The solver then reads the machine (a MachineSource, over MachineRegistryClient.getMachine) and takes the offer only
// if the machine is Active, the offer's provider's, available, and its onboarded share holds the offer's spec.
//
// A bad post is refused with an OfferIntakeError naming the field and the rule; nothing of it is kept.

import type { TypedDataDomain, TypedDataField } from "ethers";
import type { MachineView } from "../clients/machines";
import { DEFAULTS } from "../defaults";
import { checkModuleConfig } from "../executor/module";
import { checkJobOffer, checkResourceOffer } from "../model/checks";
import { AccordValidationError } from "../model/errors";
import { getModuleId } from "../model/ids";
import { MachineStatus, type JobOffer, type MachineSpec, type ResourceOffer } from "../model/types";
import { parseJobOffer, parseResourceOffer } from "../model/validate";
import { isAddress, sameAddress } from "../model/address";
import { bytes32Input } from "../pools/inputs";
import { recoverTypedDataSigner } from "./recover";

export const OFFER_POST_EIP712_NAME = "Accord Solver";
export const OFFER_POST_EIP712_VERSION = "1";

/** The EIP-712 type a post is signed as. */
export const OFFER_POST_TYPES: Record<string, TypedDataField[]> = {
  OfferPost: [
    { name: "kind", type: "string" },
    { name: "offerId", type: "string" },
    { name: "solver", type: "address" },
  ],
};

/**
 * The EIP-712 type a resource offer naming its onboarded machine is posted as (same domain as OfferPost). A type of its
 * own rather than a field added to OfferPost: OfferPost signatures made before keep verifying, and neither kind of
 * signature can stand for the other.
 */
export const MACHINE_OFFER_POST_TYPES: Record<string, TypedDataField[]> = {
  MachineOfferPost: [
    { name: "offerId", type: "string" },
    { name: "machineId", type: "bytes32" },
    { name: "solver", type: "address" },
  ],
};

export type OfferKind = "job" | "resource";

/** The EIP-712 domain of posts to solvers on one chain. */
export function offerPostDomain(chainId: bigint | number): TypedDataDomain {
  return { name: OFFER_POST_EIP712_NAME, version: OFFER_POST_EIP712_VERSION, chainId };
}

/** What an offering account signs to post `offerId` to `solver`. */
export function offerPost(kind: OfferKind, offerId: string, solver: string) {
  return { kind, offerId, solver };
}

/** What a provider signs to post resource offer `offerId`, naming its machine `machineId`, to `solver`. */
export function machineOfferPost(offerId: string, machineId: string, solver: string) {
  return { offerId, machineId, solver };
}

/** A machine's record as intake reads it (MachineRegistryClient.getMachine's answer). */
export type OnboardedMachine = Pick<MachineView, "provider" | "status" | "statusName" | "updatedAt" | "spec">;

/** Where the solver reads onboarded machines: MachineRegistryClient is one. */
export interface MachineSource {
  getMachine(machineId: string): Promise<OnboardedMachine>;
}

/** The machine a resource offer was accepted for, and its record's updatedAt then (what later changes are told by). */
export interface OfferMachine {
  /** The MachineRegistry ID, lower-case. */
  id: string;
  updatedAt: bigint;
}

/** The solver's intake rules: one options object, resolved with defaults in one place (resolveIntakeRules). */
export interface IntakeRules {
  chainId: bigint | number;
  /** This solver's address: offers naming another solver are not for it. */
  solver: string;
  /** How far `created_at` may be from now, either way, in ms (the reference: 30 s). */
  freshnessMs: number;
  /** At most this many mediators an offer trusts. */
  maxMediators: number;
  /** At most this many modules a resource offer lists, and module pricing / timeout entries. */
  maxModules: number;
  /** At most this many template inputs a job offer carries. */
  maxInputs: number;
  /** Take jobs whose module lives in a local repository (file://, a path): development networks only. */
  allowFileRepos?: boolean;
}

/** The rules with the library's defaults (src/defaults.ts) for what is left out. */
export function resolveIntakeRules(rules: Pick<IntakeRules, "chainId" | "solver"> & Partial<IntakeRules>): IntakeRules {
  return {
    freshnessMs: DEFAULTS.offerFreshnessMs,
    maxMediators: DEFAULTS.offerMaxMediators,
    maxModules: DEFAULTS.offerMaxModules,
    maxInputs: DEFAULTS.offerMaxInputs,
    ...rules,
  };
}

/** A post refused at intake: the field (a JSON path into the post, "" for the whole) and the rule it breaks. */
export class OfferIntakeError extends AccordValidationError {
  override name = "OfferIntakeError";
}

const subjectOf = (kind: OfferKind): string => (kind === "job" ? "job offer" : "resource offer");

function fail(kind: OfferKind, field: string, rule: string, cause?: unknown): never {
  throw new OfferIntakeError(field, rule, { subject: subjectOf(kind), cause });
}

function checkSpec(kind: OfferKind, spec: MachineSpec): void {
  for (const key of ["cpu", "gpu", "ram"] as const) {
    if (!Number.isSafeInteger(spec[key]) || spec[key] < 0) fail(kind, `spec.${key}`, "must be a whole number ≥ 0");
  }
}

function checkCount(kind: OfferKind, field: string, count: number, max: number): void {
  if (count > max) fail(kind, field, `may hold at most ${max} entries`);
}

function countOf(value: readonly unknown[] | Record<string, unknown> | null): number {
  if (value === null) return 0;
  return Array.isArray(value) ? value.length : Object.keys(value).length;
}

/** What a post's signature is over: an EIP-712 type and its message. */
interface SignedPost {
  types: Record<string, TypedDataField[]>;
  message: Record<string, unknown>;
}

const offerPostOf = (message: { kind: string; offerId: string; solver: string }): SignedPost => ({
  types: OFFER_POST_TYPES,
  message,
});

/** The checks both sides share, after parsing: freshness, solver, sizes, the signature over `signed`. */
function checkPost(
  kind: OfferKind,
  offer: JobOffer | ResourceOffer,
  owner: string,
  ownerField: string,
  signature: string,
  rules: IntakeRules,
  now: number,
  signed: SignedPost = offerPostOf(offerPost(kind, offer.id, rules.solver)),
): void {
  if (Math.abs(now - offer.created_at) > rules.freshnessMs) {
    fail(kind, "created_at", `must be within ${rules.freshnessMs} ms of the solver's clock`);
  }
  if (!sameAddress(offer.trusted_parties.solver, rules.solver)) {
    fail(kind, "trusted_parties.solver", "must name this solver");
  }
  checkSpec(kind, offer.spec);
  checkCount(kind, "trusted_parties.mediator", countOf(offer.trusted_parties.mediator), rules.maxMediators);
  checkPostSignature(kind, signed, owner, ownerField, signature, rules);
}

/** Throws OfferIntakeError (field "signature") unless `owner` signed `signed` in this solver's domain. */
function checkPostSignature(
  kind: OfferKind,
  signed: SignedPost,
  owner: string,
  ownerField: string,
  signature: string,
  rules: IntakeRules,
): void {
  let signer: string;
  try {
    signer = recoverTypedDataSigner(offerPostDomain(rules.chainId), signed.types, signed.message, signature);
  } catch (error) {
    fail(kind, "signature", "must be a 65-byte EIP-712 signature of the post", error);
  }
  if (!sameAddress(signer, owner)) fail(kind, "signature", `must be signed by ${ownerField} (${owner})`);
}

/**
 * What an offer's owner signs to withdraw it from `solver`: an OfferPost of kind "withdraw". A post's signature
 * (kind "job" or "resource") cannot stand for it, nor the other way round; replayed, it withdraws nothing more.
 */
export function offerWithdrawal(offerId: string, solver: string) {
  return { kind: "withdraw", offerId, solver };
}

/** Throws OfferIntakeError (field "signature") unless the offer's owner signed its withdrawal from this solver. */
export function checkWithdrawal(
  offer: JobOffer | ResourceOffer,
  kind: OfferKind,
  signature: string,
  rules: IntakeRules,
): void {
  const [owner, field] =
    kind === "job"
      ? [(offer as JobOffer).job_creator, "job_creator"]
      : [(offer as ResourceOffer).resource_provider, "resource_provider"];
  checkPostSignature(kind, offerPostOf(offerWithdrawal(offer.id, rules.solver)), owner, field, signature, rules);
}

/** Whatever the parse or a reference check threw, as an intake error with its field and rule. */
function asIntakeError(kind: OfferKind, error: unknown): never {
  if (error instanceof OfferIntakeError) throw error;
  if (error instanceof AccordValidationError) fail(kind, error.field, error.rule, error);
  throw error;
}

/**
 * A job offer posted to this solver: parsed (the data model's rules), checked (the reference's), its ID recomputed,
 * fresh, for this solver, within the size limits, and signed by its job creator. Returns the offer and its
 * module's ID (what the book needs); throws OfferIntakeError.
 */
export async function acceptJobOffer(
  body: unknown,
  signature: string,
  rules: IntakeRules,
  now: number = Date.now(),
): Promise<{ offer: JobOffer; moduleId: string }> {
  let offer: JobOffer;
  try {
    offer = await parseJobOffer(body, { verifyId: true });
    checkJobOffer(offer);
    // The executor's own rules: a job no provider would run (an unpinned commit, a private path) is refused here.
    checkModuleConfig(offer.module, { allowFileRepos: rules.allowFileRepos });
  } catch (error) {
    asIntakeError("job", error);
  }
  checkCount("job", "inputs", countOf(offer.inputs), rules.maxInputs);
  checkPost("job", offer, offer.job_creator, "job_creator", signature, rules, now);
  return { offer, moduleId: await getModuleId(offer.module) };
}

/** A resource offer posted to this solver: as acceptJobOffer, signed (OfferPost) by its resource provider. */
export async function acceptResourceOffer(
  body: unknown,
  signature: string,
  rules: IntakeRules,
  now: number = Date.now(),
): Promise<ResourceOffer> {
  return resourceOfferOf(body, signature, rules, now, undefined);
}

/**
 * A resource offer posted naming its onboarded machine: as acceptResourceOffer, but signed as a MachineOfferPost, and
 * the machine read from `machines` must hold it (checkOfferMachine). Returns the offer and the machine as read; throws
 * OfferIntakeError (field "machineId" when the solver reads no machines: `machines` undefined).
 */
export async function acceptMachineResourceOffer(
  body: unknown,
  machineId: unknown,
  signature: string,
  rules: IntakeRules,
  machines: MachineSource | undefined,
  now: number = Date.now(),
): Promise<{ offer: ResourceOffer; machine: OfferMachine }> {
  let id: string;
  try {
    id = bytes32Input(machineId, "machineId", subjectOf("resource"));
  } catch (error) {
    asIntakeError("resource", error);
  }
  if (!machines) fail("resource", "machineId", NO_MACHINE_SOURCE);
  const offer = await resourceOfferOf(body, signature, rules, now, id);
  // Read only once the post is known to be the provider's: a stranger's post costs no chain read.
  const machine = await machines.getMachine(id);
  const fault = checkOfferMachine(offer, machine);
  if (fault) fail("resource", fault.field, fault.rule);
  return { offer, machine: { id, updatedAt: machine.updatedAt } };
}

/** The rule a post naming a machine breaks on a solver without a MachineSource. */
export const NO_MACHINE_SOURCE = "this solver does not read onboarded machines";

async function resourceOfferOf(
  body: unknown,
  signature: string,
  rules: IntakeRules,
  now: number,
  machineId: string | undefined,
): Promise<ResourceOffer> {
  let offer: ResourceOffer;
  try {
    offer = await parseResourceOffer(body, { verifyId: true });
    checkResourceOffer(offer);
  } catch (error) {
    asIntakeError("resource", error);
  }
  checkCount("resource", "modules", countOf(offer.modules), rules.maxModules);
  checkCount("resource", "module_pricing", countOf(offer.module_pricing), rules.maxModules);
  checkCount("resource", "module_timeouts", countOf(offer.module_timeouts), rules.maxModules);
  const signed: SignedPost | undefined =
    machineId === undefined
      ? undefined
      : { types: MACHINE_OFFER_POST_TYPES, message: machineOfferPost(offer.id, machineId, rules.solver) };
  checkPost("resource", offer, offer.resource_provider, "resource_provider", signature, rules, now, signed);
  return offer;
}

/**
 * The first rule a machine's record breaks for holding `offer`, as a field of the post and the rule; undefined when it
 * holds it: the machine is Active (registered, not removed), its provider is the offer's resource_provider, it is
 * available for new jobs, and its onboarded share (what the provider gave the network, not the whole machine) holds
 * the offer's spec. Units: the data model's spec is in milli-CPU, milli-GPU and MB (src/model/types.ts MachineSpec;
 * the executor runs spec.ram as MiB), the registry's in cores, MHz, GPUs and MB (2^20 bytes, src/onboarding/profile.ts):
 *   spec.cpu ≤ floor(cpuCores × 1000 × onboardedCpuMhz / cpuMhz)  the onboarded clock's share of the cores, in milli-CPU;
 *   spec.ram ≤ onboardedMemoryMb                                  the same unit on both sides, no conversion;
 *   spec.gpu ≤ gpuCount × 1000                                    the registry onboards GPUs whole, in milli-GPU.
 */
export function checkOfferMachine(
  offer: ResourceOffer,
  machine: OnboardedMachine,
): { field: string; rule: string } | undefined {
  if (machine.status !== MachineStatus.Active) {
    return { field: "machineId", rule: `must be an Active machine in MachineRegistry (it is ${machine.statusName})` };
  }
  if (!sameAddress(machine.provider, offer.resource_provider)) {
    return { field: "machineId", rule: `must be a machine of resource_provider (its provider is ${machine.provider})` };
  }
  if (!machine.spec.available) return { field: "machineId", rule: "must be available for new jobs" };
  const { cpuCores, cpuMhz, onboardedCpuMhz, onboardedMemoryMb, gpuCount } = machine.spec;
  // An Active machine has cpuMhz > 0 (the registry refuses a zero capacity); the guard keeps a bad source harmless.
  const milliCpu = cpuMhz > 0n ? (cpuCores * 1000n * onboardedCpuMhz) / cpuMhz : 0n;
  const limits = [
    ["cpu", milliCpu, "milli-CPU, the machine's onboarded CPU share"],
    ["ram", onboardedMemoryMb, "MB, the machine's onboarded memory"],
    ["gpu", gpuCount * 1000n, "milli-GPU, the machine's GPUs"],
  ] as const;
  for (const [key, max, what] of limits) {
    if (BigInt(offer.spec[key]) > max) return { field: `spec.${key}`, rule: `must be at most ${max} (${what})` };
  }
  return undefined;
}

/**
 * Why an offer accepted for `held` no longer stands on the machine as `machine` reads now, or undefined: a rule of
 * checkOfferMachine it breaks now, or any change since (the record's updatedAt moved: the provider updated it).
 */
export function machineChangeOf(
  offer: ResourceOffer,
  held: OfferMachine,
  machine: OnboardedMachine,
): string | undefined {
  const fault = checkOfferMachine(offer, machine);
  if (fault) return `machine ${held.id} changed on chain: the offer's ${fault.field} ${fault.rule}`;
  if (machine.updatedAt !== held.updatedAt) {
    return `machine ${held.id} changed on chain since the offer was accepted (its record updated at ${machine.updatedAt})`;
  }
  return undefined;
}

/** The EIP-712 type a party signs to receive its own proposals (api.ts's myProposals subscription). */
export const PARTY_SUBSCRIPTION_TYPES: Record<string, TypedDataField[]> = {
  PartySubscription: [
    { name: "party", type: "address" },
    { name: "solver", type: "address" },
    { name: "expiry", type: "uint64" },
  ],
};

/** The longest a subscription signature may be valid for (s). */
export const MAX_SUBSCRIPTION_SECONDS = 3600;

/** A subscription request refused: the field and the rule. */
export class SubscriptionAuthError extends AccordValidationError {
  override name = "SubscriptionAuthError";
}

/**
 * Checks that `party` itself asks for its proposals: its EIP-712 PartySubscription signature for this solver and
 * chain, with `expiry` (seconds since the epoch) in the future and at most MAX_SUBSCRIPTION_SECONDS ahead.
 */
export function verifyPartySubscription(
  rules: IntakeRules,
  party: string,
  expiry: number,
  signature: string,
  nowSeconds: number,
): void {
  const subject = "subscription";
  if (!isAddress(party)) throw new SubscriptionAuthError("party", "must be an address", { subject });
  if (!Number.isSafeInteger(expiry) || expiry <= nowSeconds || expiry > nowSeconds + MAX_SUBSCRIPTION_SECONDS) {
    throw new SubscriptionAuthError("expiry", `must be within the next ${MAX_SUBSCRIPTION_SECONDS} s`, { subject });
  }
  let signer: string;
  try {
    signer = recoverTypedDataSigner(
      offerPostDomain(rules.chainId),
      PARTY_SUBSCRIPTION_TYPES,
      { party, solver: rules.solver, expiry },
      signature,
    );
  } catch (error) {
    throw new SubscriptionAuthError("signature", "must be a 65-byte EIP-712 signature", { subject, cause: error });
  }
  if (!sameAddress(signer, party))
    throw new SubscriptionAuthError("signature", "must be signed by the party", { subject });
}
