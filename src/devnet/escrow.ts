// Provider onboarding and escrowed jobs in `accord dev`'s live market (the jobs: escrow-jobs.ts): two providers register machines in the MachineRegistry from
// profiles (src/onboarding): the machine `accord dev` itself runs on, probed as `accord provider onboard` probes it,
// and two GPU machines described by hand (so GraphQL's GPU and VRAM filters have something to find on a machine
// without GPUs; their names say they are described, not probed). Every few minutes one GPU machine goes off the market
// and the other comes back repriced, so the registry's events keep coming.

import type { JsonRpcProvider, Signer } from "ethers";
import { parseEther } from "ethers";
import type pino from "pino";
import { MachineRegistryClient } from "../clients/machines";
import { SerialSigner } from "../clients/serial-signer";
import { buildMachineProfile, probe, type MachineProfile, type SpecInfo } from "../onboarding";
import type { AccordToken } from "../../typechain-types";
import { hardhatAccount } from "./accounts";
import { startEscrowJobs } from "./escrow-jobs";

const MB = 1n << 20n;
const GB = 1n << 30n;
const TOKEN = 10n ** 18n;
/** How often a machine's availability or price moves. */
const CHANGE_MS = 3 * 60_000;

export interface EscrowMarketOptions {
  rpcUrl: string;
  deploymentPath: string;
  provider: JsonRpcProvider;
  token: AccordToken;
  /** Holds ETH and the token supply; funds the accounts. */
  funder: Signer;
  /** Where the oracles keep their journals. */
  dir: string;
  host: string;
  /** The oracles' API ports (escrow-jobs.ts's ORACLE_ACCOUNTS, in order). */
  oraclePorts: number[];
  logger: pino.Logger;
  /** Passed to the oracle processes (e.g. --log-format json). */
  logArgs: string[];
}

export interface OnboardedMachine {
  machineId: string;
  name: string;
  provider: string;
  profileCid: string;
  pricePerMinute: bigint;
}

export interface EscrowMarket {
  machines: OnboardedMachine[];
  /** The `accord oracle` processes' URLs. */
  oracleUrls: string[];
  close(): Promise<void>;
}

/** A described GPU server: `gpus` GPUs of `vramGb` each, `threads` logical CPUs at 3 GHz. */
function describedSpecs(model: string, gpus: number, vramGb: bigint, threads: number, ramGb: bigint): SpecInfo {
  return {
    CPUs: [
      {
        Model: "AMD EPYC 7763 64-Core Processor",
        Vendor: "AMD",
        ClockSpeedHz: 3_000_000_000n,
        Cores: threads / 2,
        Threads: threads,
        Architecture: "x86_64",
        CacheSize: 32n * MB,
      },
    ],
    GPUs: Array.from({ length: gpus }, (_, index) => ({
      Index: index,
      Vendor: "NVIDIA" as const,
      PCIAddress: `0000:${(index + 1).toString(16).padStart(2, "0")}:00.0`,
      model,
      TotalVRAM: vramGb * GB,
      UsedVRAM: 0n,
      FreeVRAM: vramGb * GB,
    })),
    RAMs: [{ Size: ramGb * GB, ClockSpeedHz: 3_200_000_000n, Type: "DDR4" }],
    Disks: [
      {
        Model: "",
        Vendor: "",
        Size: 2000n * GB,
        Type: "NVMe",
        Interface: "PCIe",
        ReadSpeed: 0n,
        WriteSpeed: 0n,
      },
    ],
    Network: { Bandwidth: 10_000_000_000n, NetworkType: "Ethernet" },
  };
}

/** The market's machines: who registers each, and its profile. */
async function marketProfiles(): Promise<{ account: number; profile: MachineProfile }[]> {
  const local = await probe();
  return [
    {
      account: 22,
      profile: buildMachineProfile({
        name: local.name,
        specs: local.specs,
        cpu: { percent: 50n },
        memory: { percent: 50n },
        pricePerMinute: TOKEN / 100n,
      }),
    },
    {
      account: 22,
      profile: buildMachineProfile({
        name: "described: 8× A100 80 GB",
        specs: describedSpecs("NVIDIA A100-SXM4-80GB", 8, 80n, 128, 1024n),
        cpu: { percent: 90n },
        memory: { percent: 90n },
        pricePerMinute: TOKEN,
      }),
    },
    {
      account: 23,
      profile: buildMachineProfile({
        name: "described: 2× RTX 4090 24 GB",
        specs: describedSpecs("NVIDIA GeForce RTX 4090", 2, 24n, 32, 128n),
        cpu: { percent: 75n },
        memory: { percent: 75n },
        pricePerMinute: TOKEN / 5n,
      }),
    },
  ];
}

/**
 * Registers the market's machines (accounts #22 and #23, given ETH here; no other process sends from them) and
 * starts their periodic changes; resolves once every machine is registered.
 */
export async function startEscrowMarket(options: EscrowMarketOptions): Promise<EscrowMarket> {
  const { logger } = options;
  // One SerialSigner per account: the machines' changes and the escrowed jobs send from the same accounts.
  const signers = new Map<number, SerialSigner>();
  const clients = new Map<number, MachineRegistryClient>();
  const signerOf = async (account: number): Promise<SerialSigner> => {
    let signer = signers.get(account);
    if (!signer) {
      const wallet = hardhatAccount(account);
      const eth = await options.provider.getBalance(wallet.address);
      if (eth < parseEther("10")) {
        await (await options.funder.sendTransaction({ to: wallet.address, value: parseEther("100") })).wait();
      }
      signer = new SerialSigner(wallet.connect(options.provider));
      signers.set(account, signer);
    }
    return signer;
  };
  const clientOf = async (account: number): Promise<MachineRegistryClient> => {
    let client = clients.get(account);
    if (!client) {
      client = await MachineRegistryClient.fromDeployment(await signerOf(account), options.deploymentPath);
      clients.set(account, client);
    }
    return client;
  };

  const machines: (OnboardedMachine & { account: number; profile: MachineProfile })[] = [];
  for (const { account, profile } of await marketProfiles()) {
    const client = await clientOf(account);
    const registered = await client.register(profile);
    const machine = {
      machineId: registered.machineId,
      name: profile.name,
      provider: await client.getAddress(),
      profileCid: registered.profileCid,
      pricePerMinute: profile.price_per_minute,
      account,
      profile,
    };
    machines.push(machine);
    logger.info(
      { machineId: machine.machineId, profileCid: machine.profileCid, provider: machine.provider },
      `machine onboarded: ${profile.name}`,
    );
  }

  // The GPU machines take turns: each round the one that was off the market comes back at a price moved by ±10%, and
  // the other goes off until the next round.
  let round = 0;
  let running: Promise<void> | undefined;
  const change = async () => {
    const [back, off] = round % 2 === 0 ? [machines[1], machines[2]] : [machines[2], machines[1]];
    round += 1;
    try {
      const price = (back.profile.price_per_minute * (round % 4 < 2 ? 110n : 90n)) / 100n;
      back.profile = { ...back.profile, price_per_minute: price };
      const updated = await (await clientOf(back.account)).update(back.machineId, back.profile, { available: true });
      back.profileCid = updated.profileCid;
      back.pricePerMinute = price;
      logger.info({ machineId: back.machineId, pricePerMinute: String(price) }, `machine on the market: ${back.name}`);
      await (await clientOf(off.account)).setAvailability(off.machineId, false);
      logger.info({ machineId: off.machineId }, `machine off the market: ${off.name}`);
    } catch (error) {
      logger.warn({ err: error }, "machine change failed");
    }
  };
  const timer = setInterval(() => {
    if (!running) running = change().finally(() => (running = undefined));
  }, CHANGE_MS);
  timer.unref();

  // Jobs run on the local machine: it never leaves the market.
  const local = machines[0];
  const jobs = await startEscrowJobs({
    rpcUrl: options.rpcUrl,
    deploymentPath: options.deploymentPath,
    provider: options.provider,
    token: options.token,
    funder: options.funder,
    machineId: local.machineId,
    providerSigner: await signerOf(local.account),
    dir: options.dir,
    oraclePorts: options.oraclePorts,
    host: options.host,
    logger,
    logArgs: options.logArgs,
  });

  return {
    oracleUrls: jobs.oracleUrls,
    machines: machines.map(({ machineId, name, provider, profileCid, pricePerMinute }) => ({
      machineId,
      name,
      provider,
      profileCid,
      pricePerMinute,
    })),
    async close() {
      clearInterval(timer);
      await jobs.close();
      await running;
    },
  };
}
