// `accord provider probe`: the local machine as the reference's SpecInfo (src/onboarding/probe.ts) and its totals,
// as JSON on stdout.
//
// `accord provider onboard --cpu-share <percent> --memory-share <percent> --price-per-minute <wei>`: probes the
// machine, builds its profile with those shares (each 10 to 90% of the machine's, the reference's rule), computes
// its CID and prints the profile, the CID and the on-chain fields; with --rpc and --deployment, also registers the
// machine in the deployment's MachineRegistry from the account of ACCORD_PROVIDER_KEY.
import type { Command } from "commander";
import { UINT64_MAX } from "../../model/integers";
import { parseJson } from "../../model/parse";
import { ENV_VARS, optionalUrl, type Env } from "../options";

export type ProviderOnboardFlags = {
  cpuShare?: string;
  memoryShare?: string;
  pricePerMinute?: string;
  name?: string;
  rpc?: string;
  deployment?: string;
  salt?: string;
  unavailable?: boolean;
};

export type ProviderOnboardSettings = {
  cpuPercent: bigint;
  memoryPercent: bigint;
  pricePerMinute: bigint;
  /** The profile's name; default the host name. */
  name?: string;
  /** Set: register on chain; unset: print the profile only. */
  registration?: { rpcUrl: string; deployment: string; key: string; salt?: string; available: boolean };
};

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** A share flag: a whole percentage from 10 to 90 (the onboarding rule's bounds), named in the error. */
function parseShare(value: string | undefined, flag: string, resource: string): bigint {
  const text = nonEmpty(value);
  if (text === undefined)
    throw new Error(`${flag} is required (the percentage of the machine's ${resource} to onboard)`);
  if (!/^\d+$/.test(text)) throw new Error(`${flag} must be a whole percentage, got "${text}"`);
  const percent = BigInt(text);
  if (percent < 10n) throw new Error(`${flag} ${text}% is below the 10% minimum of the machine's ${resource}`);
  if (percent > 90n) throw new Error(`${flag} ${text}% is above the 90% maximum of the machine's ${resource}`);
  return percent;
}

/** `accord provider onboard`'s settings from its flags and ACCORD_PROVIDER_KEY (read only to register). */
export function resolveProviderOnboard(flags: ProviderOnboardFlags, env: Env): ProviderOnboardSettings {
  const cpuPercent = parseShare(flags.cpuShare, "--cpu-share", "CPU");
  const memoryPercent = parseShare(flags.memoryShare, "--memory-share", "memory");
  const price = nonEmpty(flags.pricePerMinute);
  if (price === undefined) throw new Error("--price-per-minute is required (token wei per minute)");
  if (!/^\d+$/.test(price) || BigInt(price) > UINT64_MAX) {
    throw new Error(`--price-per-minute must be a whole number of wei from 0 to ${UINT64_MAX}, got "${price}"`);
  }
  const name = nonEmpty(flags.name);
  if (name !== undefined && name.length > 256) throw new Error("--name must be at most 256 characters");
  const rpcUrl = optionalUrl(flags.rpc, "--rpc");
  const deployment = nonEmpty(flags.deployment);
  const salt = nonEmpty(flags.salt);
  if (salt !== undefined && !HEX32.test(salt)) {
    throw new Error(`--salt must be 0x followed by 64 hex digits, got "${salt}"`);
  }
  let registration: ProviderOnboardSettings["registration"];
  if (rpcUrl !== undefined || deployment !== undefined) {
    if (rpcUrl === undefined) throw new Error("--deployment needs --rpc (the chain to register the machine on)");
    if (deployment === undefined) throw new Error("--rpc needs --deployment (the MachineRegistry to register in)");
    const key = nonEmpty(env[ENV_VARS.providerKey]);
    if (key === undefined || !HEX32.test(key)) {
      throw new Error(`${ENV_VARS.providerKey} must be the provider's private key (0x followed by 64 hex digits)`);
    }
    registration = { rpcUrl, deployment, key, salt, available: !flags.unavailable };
  } else if (salt !== undefined || flags.unavailable) {
    throw new Error("--salt and --unavailable apply to the registration: give --rpc and --deployment");
  }
  return { cpuPercent, memoryPercent, pricePerMinute: BigInt(price), name, registration };
}

export function registerProvider(program: Command): void {
  const provider = program
    .command("provider")
    .description("a compute provider's machine: probe it, onboard a share of it into MachineRegistry");
  provider
    .command("probe")
    .description("the local machine (CPUs, memory, disks, GPUs, network) and its totals, as JSON")
    .action(async () => {
      await runProviderProbe();
    });
  provider
    .command("onboard")
    .description(`build this machine's profile and register it (key in ${ENV_VARS.providerKey})`)
    .option("--cpu-share <percent>", "percentage of the machine's CPU to onboard (10 to 90)")
    .option("--memory-share <percent>", "percentage of the machine's memory to onboard (10 to 90)")
    .option("--price-per-minute <wei>", "price of a minute of a job on the machine, in token wei")
    .option("--name <name>", "the machine's name in its profile (default the host name)")
    .option("--rpc <url>", "HTTP JSON-RPC endpoint (with --deployment: register the machine)")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .option("--salt <bytes32>", "the salt the machine's ID is made from (default random)")
    .option("--unavailable", "register it as not taking jobs yet")
    .action(async (flags: ProviderOnboardFlags) => {
      await runProviderOnboard(resolveProviderOnboard(flags, process.env));
    });
}

/** JSON with bigints as decimal strings (the figures can exceed 2^53). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item), 2);
}

export async function runProviderProbe(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the onboarding code only when it runs */
  const onboarding = require("../../onboarding") as typeof import("../../onboarding");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const probed = await onboarding.probe();
  for (const warning of probed.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stdout.write(
    `${toJson({ name: probed.name, specs: probed.specs, totals: onboarding.machineTotals(probed.specs) })}\n`,
  );
}

export async function runProviderOnboard(settings: ProviderOnboardSettings): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers, the clients and the onboarding code only when it runs */
  const onboarding = require("../../onboarding") as typeof import("../../onboarding");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const probed = await onboarding.probe();
  for (const warning of probed.warnings) process.stderr.write(`warning: ${warning}\n`);
  const profile = onboarding.buildMachineProfile({
    name: settings.name ?? probed.name,
    specs: probed.specs,
    cpu: { percent: settings.cpuPercent },
    memory: { percent: settings.memoryPercent },
    pricePerMinute: settings.pricePerMinute,
  });
  const fields = await onboarding.machineOnChainFields(profile);
  const output: Record<string, unknown> = {
    profileCid: fields.profileCid,
    onChain: fields,
    // The canonical JSON the CID is computed over, its integers exact (bigints print as strings).
    profile: parseJson(onboarding.encodeMachineProfile(profile)),
  };
  if (settings.registration) {
    const registration = settings.registration;
    /* eslint-disable @typescript-eslint/no-require-imports -- only to register */
    const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
    const { MachineRegistryClient } = require("../../clients/machines") as typeof import("../../clients/machines");
    const { SerialSigner } = require("../../clients/serial-signer") as typeof import("../../clients/serial-signer");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const provider = new JsonRpcProvider(registration.rpcUrl, undefined, { pollingInterval: 250 });
    try {
      const client = await MachineRegistryClient.fromDeployment(
        new SerialSigner(new Wallet(registration.key, provider)),
        registration.deployment,
      );
      const result = await client.register(profile, { salt: registration.salt, available: registration.available });
      Object.assign(output, { machineId: result.machineId, salt: result.salt, transactionHash: result.hash });
    } finally {
      provider.destroy();
    }
  }
  process.stdout.write(`${toJson(output)}\n`);
}
