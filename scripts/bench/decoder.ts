// Event-decoder micro-benchmark: `npm run bench:decoder` → bench/results/decoder.json.
//
// The same logs (a deal's worth of the market's events in realistic proportions: DealCreated with its tuples and
// address[], DealStateChange, Payment, ResultAdded, plus the registry's ServiceRegistered with a string), encoded
// with ethers from the contracts' ABIs, decoded by src/abi's decoder and by ethers' Interface.parseLog. Both must
// decode every log to equal values before anything is timed. Timing: warm-up rounds, then rounds that alternate
// the decoders (so drift in clock speed hits them alike); logs/s is the median over rounds, with min and max.
// ethers is measured twice: Interface.parseLog, what the clients used (it looks the event up by recomputing each
// fragment's topic hash on every call), and Interface.decodeEventLog with the fragment found once per topic0 (its
// decoding alone). viem is not a dependency, so it is not measured.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Interface, type EventFragment, type LogDescription } from "ethers";
import { createEventDecoder, dealMarketAbi, serviceRegistryAbi, type LogLike } from "../../src/abi";
import { plain } from "../../test/helpers/ethers-values";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 3);
/** Distinct deals' worth of logs (15 each); a round decodes a prefix of them. */
const DEALS = Number(process.env.BENCH_DEALS ?? 2_000);
/** About how long each decoder runs in one round. */
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 0.25);
const OUT = path.resolve(__dirname, "..", "..", "bench", "results", "decoder.json");

/** A deterministic pseudo-random source, so every run decodes the same logs. */
function* numbers(seed: number): Generator<number> {
  let state = seed >>> 0;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}
const random = numbers(7);
const next = (): number => random.next().value as number;
const hexOf = (bytes: number): string =>
  "0x" + Array.from({ length: bytes }, () => (next() & 0xff).toString(16).padStart(2, "0")).join("");
const address = (): string => hexOf(20);
const TOKEN = 10n ** 18n;

const market = new Interface(dealMarketAbi);
const registry = new Interface(serviceRegistryAbi);

type BenchLog = LogLike & { iface: Interface; kind: string };

function encode(iface: Interface, name: string, values: unknown[]): BenchLog {
  const { data, topics } = iface.encodeEventLog(name, values);
  return { data, topics, iface, kind: name };
}

/** The logs of one deal through the happy path (as the market emits them) and one registration. */
function dealLogs(): BenchLog[] {
  const dealKey = hexOf(32);
  const [jobCreator, resourceProvider, solver] = [address(), address(), address()];
  const mediators = [address(), address(), address()];
  const pricing = [2n * TOKEN, 100n * TOKEN, 2n, 5n * TOKEN];
  const timeouts = [3600n, 3600n, 3600n, 3600n, 0n, 10n * TOKEN, 3n * TOKEN, 0n];
  const payment = (payee: string, amount: bigint, reason: number, direction: number) =>
    encode(market, "Payment", [dealKey, payee, amount, reason, direction]);
  return [
    encode(market, "DealCreated", [
      dealKey,
      jobCreator,
      resourceProvider,
      hexOf(32),
      solver,
      mediators,
      pricing,
      timeouts,
    ]),
    encode(market, "DealStateChange", [dealKey, 1]),
    payment(jobCreator, 100n * TOKEN, 0, 0),
    payment(jobCreator, 3n * TOKEN, 3, 0),
    payment(resourceProvider, 10n * TOKEN, 3, 0),
    encode(market, "ResultAdded", [dealKey, hexOf(32), 1_000_000n]),
    encode(market, "DealStateChange", [dealKey, 2]),
    payment(resourceProvider, 40n * TOKEN, 1, 0),
    payment(resourceProvider, 10n * TOKEN, 3, 1),
    encode(market, "DealStateChange", [dealKey, 3]),
    payment(resourceProvider, 2n * TOKEN, 2, 1),
    payment(resourceProvider, 40n * TOKEN, 1, 1),
    payment(jobCreator, 98n * TOKEN, 0, 1),
    payment(jobCreator, 3n * TOKEN, 3, 1),
    encode(registry, "ServiceRegistered", [
      address(),
      next() & 0x1f,
      hexOf(32),
      `https://provider-${next() % 1000}.example.org:8080/api/v1`,
    ]),
  ];
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  return a === b;
}

const marketDecoder = createEventDecoder(dealMarketAbi);
const registryDecoder = createEventDecoder(serviceRegistryAbi);
const accordDecoderOf = (log: BenchLog) => (log.iface === market ? marketDecoder : registryDecoder);

/** One implementation: decodes every log, returns something of the result so no work is optimised away. */
type Implementation = { name: string; decodeAll(logs: readonly BenchLog[]): number };

/** ethers' fragments by topic0, found once: what a caller of decodeEventLog would keep. */
const fragments = new Map<string, EventFragment>();
for (const iface of [market, registry]) iface.forEachEvent((fragment) => fragments.set(fragment.topicHash, fragment));
const ifaceOf = new Map<EventFragment, Interface>();
for (const iface of [market, registry]) iface.forEachEvent((fragment) => ifaceOf.set(fragment, iface));

const implementations: Implementation[] = [
  {
    name: "accord",
    decodeAll(logs) {
      let count = 0;
      for (const log of logs) {
        const decoded = accordDecoderOf(log).decode(log);
        if (decoded) count += decoded.values.length;
      }
      return count;
    },
  },
  {
    // What the clients used: the Interface finds the event by topic0, then decodes.
    name: "ethersParseLog",
    decodeAll(logs) {
      let count = 0;
      for (const log of logs) {
        const parsed: LogDescription | null = log.iface.parseLog(log);
        // parseLog decodes lazily into a Result; reading every value is part of what decoding means here.
        if (parsed) count += parsed.args.toArray().length;
      }
      return count;
    },
  },
  {
    // ethers without its event lookup (parseLog recomputes each fragment's topic hash per call).
    name: "ethersDecodeEventLog",
    decodeAll(logs) {
      let count = 0;
      for (const log of logs) {
        const fragment = fragments.get(log.topics[0])!;
        count += ifaceOf.get(fragment)!.decodeEventLog(fragment, log.data, log.topics).toArray().length;
      }
      return count;
    },
  },
];

function check(logs: readonly BenchLog[]): void {
  for (const log of logs) {
    const ours = accordDecoderOf(log).decodeOrThrow(log);
    const theirs = log.iface.parseLog(log);
    if (!theirs || theirs.name !== ours.eventName) throw new Error(`${log.kind}: ethers decodes another event`);
    const expected = plain(theirs.args);
    if (!same(ours.values, expected)) {
      throw new Error(`${log.kind}: the decoders disagree: ${String(ours.values)} vs ${String(expected)}`);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function secondsOf(implementation: Implementation, logs: readonly BenchLog[]): number {
  const started = process.hrtime.bigint();
  implementation.decodeAll(logs);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

type Rates = { median: number; min: number; max: number };

/**
 * Median, min and max logs/s of each implementation over the rounds, after the warm-up. A round gives each
 * implementation about ROUND_SECONDS: a prefix of `logs` sized by its warm-up rate, in whole periods of `period`
 * logs so that every implementation decodes the same mix.
 */
function measure(logs: readonly BenchLog[], period: number, rounds: number): Record<string, Rates> {
  const samples = new Map<string, number[]>(implementations.map((i) => [i.name, []]));
  const sizes = new Map<string, number>(implementations.map((i) => [i.name, period]));
  for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
    // Alternate the order, so no implementation always gets the fresher caches or the warmer clock.
    const order = round % 2 === 0 ? implementations : [...implementations].reverse();
    for (const implementation of order) {
      const count = sizes.get(implementation.name)!;
      const sample = logs.slice(0, count);
      const seconds = secondsOf(implementation, sample);
      if (round < WARMUP_ROUNDS) {
        const wanted = Math.ceil(((count / seconds) * ROUND_SECONDS) / period) * period;
        sizes.set(implementation.name, Math.max(period, Math.min(logs.length, wanted)));
      } else {
        samples.get(implementation.name)!.push(count / seconds);
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, rates]) => [
      name,
      { median: Math.round(median(rates)), min: Math.round(Math.min(...rates)), max: Math.round(Math.max(...rates)) },
    ]),
  );
}

function main(): void {
  // Other processes on the machine slow every decoder alike; the load says how noisy the figures are.
  const loadBefore = os.loadavg()[0];
  const deal = dealLogs().length;
  const logs: BenchLog[] = [];
  for (let i = 0; i < DEALS; i++) logs.push(...dealLogs());
  check(logs);

  const mix = measure(logs, deal, ROUNDS);
  const kinds = [...new Set(logs.map((log) => log.kind))];
  const perEvent = Object.fromEntries(
    kinds.map((kind) => {
      const rates = measure(
        logs.filter((log) => log.kind === kind),
        1,
        Math.max(5, Math.round(ROUNDS / 3)),
      );
      return [kind, Object.fromEntries(Object.entries(rates).map(([name, r]) => [name, r.median]))];
    }),
  );
  const result = {
    command: "npm run bench:decoder",
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      node: process.version,
      loadAverage1m: { before: Number(loadBefore.toFixed(1)), after: Number(os.loadavg()[0].toFixed(1)) },
    },
    method:
      `${WARMUP_ROUNDS} warm-up rounds, then ${ROUNDS} rounds; each round gives each decoder about ${ROUND_SECONDS} s ` +
      "of the same logs (in the same mix), in alternating order; logs/s is the median (min, max) over the rounds. " +
      "Per event: the same over that event's logs alone, medians. ethersParseLog is Interface.parseLog (what the " +
      "clients used); ethersDecodeEventLog is Interface.decodeEventLog with the fragment looked up once per topic0.",
    logs: {
      distinct: logs.length,
      mix: Object.fromEntries(kinds.map((kind) => [kind, logs.filter((log) => log.kind === kind).length / DEALS])),
    },
    logsPerSecond: mix,
    speedupMedian: {
      overEthersParseLog: Number((mix.accord.median / mix.ethersParseLog.median).toFixed(1)),
      overEthersDecodeEventLog: Number((mix.accord.median / mix.ethersDecodeEventLog.median).toFixed(1)),
    },
    perEventLogsPerSecond: perEvent,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
}

main();
