// An agent's role settings (`accord agent <role> --config file.json`): machines and faults for a provider, the jobs
// and the judging policy for a job creator, the policy for a mediator. Offers' parts (specs, pricing, timeouts,
// modules) are decoded with the data model's own schemas, so a config is refused with the same field-naming errors
// as an offer would be.

import fs from "node:fs";
import { AccordValidationError } from "../model/errors";
import { goInt, goMap, goSlice, goString, goStruct } from "../model/json";
import {
  dealPricingSchema,
  dealTimeoutsSchema,
  machineSpecSchema,
  moduleConfigSchema,
  serviceConfigSchema,
} from "../model/schemas";
import { decodeWithSchema } from "../model/validate";
import { bytes32Input } from "../pools/inputs";
import type { ServiceConfig } from "../model/types";
import type { JobCreatorPolicy, JobSpec } from "./job-creator";
import type { MediatorPolicy } from "./mediator";
import type { MachineConfig, ProviderFaults } from "./resource-provider";

export type AgentRole = "job-creator" | "resource-provider" | "mediator";
export const AGENT_ROLES: readonly AgentRole[] = ["job-creator", "resource-provider", "mediator"];

const machineSchema = goStruct("Machine", [
  ["index", goInt],
  ["spec", machineSpecSchema],
  ["modules", goSlice(goString())],
  ["pricing", dealPricingSchema],
  ["timeouts", dealTimeoutsSchema],
  ["module_pricing", goMap(dealPricingSchema)],
  ["module_timeouts", goMap(dealTimeoutsSchema)],
]);

const jobSchema = goStruct("Job", [
  ["module", moduleConfigSchema],
  ["inputs", goMap(goString())],
  ["spec", machineSpecSchema],
  ["mode", goString("pricing-mode")],
  ["pricing", dealPricingSchema],
  ["timeouts", dealTimeoutsSchema],
]);

/**
 * Paid retrieval of results. A provider's ask (what a byte of results costs, unsealing, the payment intervals) and
 * when it settles a channel itself; a job creator's cap on the price it pays per byte and the least it deposits.
 * Token amounts as whole numbers (or decimal strings), byte counts as numbers.
 */
export interface RetrievalConfig {
  pricePerByte?: bigint;
  unsealPrice?: bigint;
  paymentInterval?: number;
  paymentIntervalIncrease?: number;
  /** Provider: settle a channel once its vouchers owe this much (default never: the payer settles). */
  settleWhenOwed?: bigint;
  /** Job creator: the most it pays per byte; a dearer ask sends the deal to mediation unfetched. */
  maxPricePerByte?: bigint;
  /** Job creator: the least it deposits when it opens or tops up a channel (so one deposit serves many deals). */
  minDeposit?: bigint;
  /** Job creator: the settle delay of the channels it opens (seconds; default the contract's 12 hours). */
  settleDelay?: bigint;
}

export interface AgentConfig {
  /** The solver and the mediators this agent's offers trust. */
  trust?: ServiceConfig;
  /** Executors (provider, mediator): accept file:// and absolute-path module repositories. */
  allowFileRepos?: boolean;
  /** Executors: the wall-time limit of a run (ms). */
  runTimeoutMs?: number;
  machines: MachineConfig[];
  faults: ProviderFaults;
  jobs: JobSpec[];
  postIntervalMs?: number;
  maxInFlight?: number;
  jobPolicy: JobCreatorPolicy;
  mediatorPolicy: MediatorPolicy;
  retrieval: RetrievalConfig;
}

function tokens(raw: Raw, field: string, name: string): bigint | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (
    (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === "string" && /^\d+$/.test(value))
  ) {
    return BigInt(value);
  }
  throw new AccordValidationError(`${field}.${name}`, "must be a whole number of token units", {
    subject: "agent config",
  });
}

function bytes(raw: Raw, field: string, name: string, min: number): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new AccordValidationError(`${field}.${name}`, `must be a whole number of bytes, at least ${min}`, {
      subject: "agent config",
    });
  }
  return value as number;
}

function parseRetrieval(raw: Raw): RetrievalConfig {
  return {
    pricePerByte: tokens(raw, "retrieval", "pricePerByte"),
    unsealPrice: tokens(raw, "retrieval", "unsealPrice"),
    paymentInterval: bytes(raw, "retrieval", "paymentInterval", 1),
    paymentIntervalIncrease: bytes(raw, "retrieval", "paymentIntervalIncrease", 0),
    settleWhenOwed: tokens(raw, "retrieval", "settleWhenOwed"),
    maxPricePerByte: tokens(raw, "retrieval", "maxPricePerByte"),
    minDeposit: tokens(raw, "retrieval", "minDeposit"),
    settleDelay: tokens(raw, "retrieval", "settleDelay"),
  };
}

type Raw = Record<string, unknown>;

function share(raw: Raw, field: string, name: string): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new AccordValidationError(`${field}.${name}`, "must be a number from 0 to 1", { subject: "agent config" });
  }
  return value;
}

function count(raw: Raw, name: string): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new AccordValidationError(name, "must be a whole number", { subject: "agent config" });
  }
  return value as number;
}

function object(raw: unknown, field: string): Raw {
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AccordValidationError(field, "must be an object", { subject: "agent config" });
  }
  return raw as Raw;
}

function list(raw: unknown, field: string): unknown[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new AccordValidationError(field, "must be an array", { subject: "agent config" });
  return raw;
}

/** Decodes `part` with the model's schema, naming the field under `prefix` when it is refused. */
function decodePart<T>(part: unknown, schema: Parameters<typeof decodeWithSchema>[1], prefix: string): T {
  try {
    return decodeWithSchema(part, schema, "agent config") as T;
  } catch (error) {
    if (error instanceof AccordValidationError) {
      throw new AccordValidationError(error.field ? `${prefix}.${error.field}` : prefix, error.rule, {
        subject: "agent config",
      });
    }
    throw error;
  }
}

/** The settings of `role` from a config object (as parsed from JSON); throws AccordValidationError naming the field. */
export function parseAgentConfig(role: AgentRole, input: unknown): AgentConfig {
  const raw = object(input, "");
  const machines = list(raw.machines, "machines").map((m, i) => {
    // machine_id (the onboarded machine the offers name, a MachineRegistry ID) is the agent's, not the offer's: it is
    // taken out before the offer's parts are decoded with the data model's schema.
    const { machine_id: machineId, ...offerParts } = object(m, `machines[${i}]`);
    const decoded = decodePart<{
      index: number;
      spec: MachineConfig["spec"];
      modules: string[] | null;
      pricing: MachineConfig["pricing"];
      timeouts: MachineConfig["timeouts"];
      module_pricing: MachineConfig["modulePricing"] | null;
      module_timeouts: MachineConfig["moduleTimeouts"] | null;
    }>({ modules: [], module_pricing: {}, module_timeouts: {}, ...offerParts }, machineSchema, `machines[${i}]`);
    return {
      index: decoded.index,
      spec: decoded.spec,
      modules: decoded.modules ?? [],
      pricing: decoded.pricing,
      timeouts: decoded.timeouts,
      modulePricing: decoded.module_pricing ?? {},
      moduleTimeouts: decoded.module_timeouts ?? {},
      ...(machineId === undefined
        ? {}
        : { machineId: bytes32Input(machineId, `machines[${i}].machine_id`, "agent config") }),
    };
  });
  const jobs = list(raw.jobs, "jobs").map((j, i) => {
    const job = decodePart<JobSpec & { inputs: Record<string, string> | null }>(
      { inputs: {}, mode: "MarketPrice", ...object(j, `jobs[${i}]`) },
      jobSchema,
      `jobs[${i}]`,
    );
    return { ...job, inputs: job.inputs ?? {} };
  });
  if (role === "resource-provider" && machines.length === 0) {
    throw new AccordValidationError("machines", "must list at least one machine", { subject: "agent config" });
  }
  if (role === "job-creator" && jobs.length === 0) {
    throw new AccordValidationError("jobs", "must list at least one job", { subject: "agent config" });
  }
  const faults = object(raw.faults, "faults");
  const policy = object(raw.policy, "policy");
  const trust =
    raw.trust === undefined ? undefined : decodePart<ServiceConfig>(raw.trust, serviceConfigSchema, "trust");
  if (raw.allowFileRepos !== undefined && typeof raw.allowFileRepos !== "boolean") {
    throw new AccordValidationError("allowFileRepos", "must be true or false", { subject: "agent config" });
  }
  return {
    trust,
    allowFileRepos: raw.allowFileRepos,
    runTimeoutMs: count(raw, "runTimeoutMs"),
    machines,
    faults: { wrongResults: share(faults, "faults", "wrongResults"), silent: share(faults, "faults", "silent") },
    jobs,
    postIntervalMs: count(raw, "postIntervalMs"),
    maxInFlight: count(raw, "maxInFlight"),
    jobPolicy: { sampleRate: share(policy, "policy", "sampleRate"), silent: share(policy, "policy", "silent") },
    mediatorPolicy: { silent: share(policy, "policy", "silent") },
    retrieval: parseRetrieval(object(raw.retrieval, "retrieval")),
  };
}

/** A config as its file's JSON text (amounts as numbers, as parseAgentConfig reads them). */
export function formatAgentConfig(config: unknown): string {
  return JSON.stringify(config, (_, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2);
}

/** Reads and parses a config file. */
export function loadAgentConfig(role: AgentRole, file: string): AgentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new AccordValidationError("", `cannot be read from ${file}: ${(error as Error).message}`, {
      subject: "agent config",
    });
  }
  return parseAgentConfig(role, decodeWithSchemaText(text));
}

function decodeWithSchemaText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AccordValidationError("", `is not JSON: ${(error as Error).message}`, { subject: "agent config" });
  }
}
