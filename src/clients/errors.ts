// Revert data → typed errors. Every custom error of the Accord contracts lives in the Errors library;
// the decoding interface also takes the market's, registry's, capacity pools' and token's ABIs (OpenZeppelin errors such
// as ERC20InsufficientAllowance bubble up through SafeERC20) and the builtin Error(string) / Panic(uint256).

import { Interface, isHexString, type ErrorDescription, type JsonFragment } from "ethers";
import {
  AccordToken__factory,
  CapacityPools__factory,
  DealMarket__factory,
  Errors__factory,
  ServiceRegistry__factory,
} from "../../typechain-types";
import {
  AccordError,
  agreementStateNames,
  paymentDirectionNames,
  paymentReasonNames,
  poolStatusNames,
  serviceTypeNames,
  workloadStatusNames,
} from "../model";

type AbiParam = { name?: string; type?: string; internalType?: string };

const ERROR_ABIS: readonly (readonly JsonFragment[])[] = [
  Errors__factory.abi,
  DealMarket__factory.abi,
  ServiceRegistry__factory.abi,
  CapacityPools__factory.abi,
  AccordToken__factory.abi,
];

function collectErrorFragments(): JsonFragment[] {
  const seen = new Map<string, JsonFragment>();
  for (const abi of ERROR_ABIS) {
    for (const fragment of abi) {
      if (fragment.type !== "error") continue;
      const signature = `${fragment.name}(${(fragment.inputs ?? []).map((input) => input.type).join(",")})`;
      if (!seen.has(signature)) seen.set(signature, fragment);
    }
  }
  return [...seen.values()];
}

const errorFragments = collectErrorFragments();

/** One interface holding every error the Accord contracts (and the token they call) can revert with. */
export const accordErrorInterface = new Interface(errorFragments);

/** The ABI inputs (with internalType, which ethers does not keep) of each error, by selector. */
const inputsBySelector = new Map<string, readonly AbiParam[]>();
for (const fragment of errorFragments) {
  const selector = accordErrorInterface.getError(fragment.name!)?.selector;
  if (selector) inputsBySelector.set(selector, fragment.inputs ?? []);
}

const ENUM_NAMES: Record<string, readonly string[]> = {
  "enum AgreementState": agreementStateNames,
  "enum ServiceType": serviceTypeNames,
  "enum PaymentReason": paymentReasonNames,
  "enum PaymentDirection": paymentDirectionNames,
  "enum PoolStatus": poolStatusNames,
  "enum WorkloadStatus": workloadStatusNames,
};

const PANIC_REASONS: Record<number, string> = {
  0x01: "assertion failed",
  0x11: "arithmetic overflow or underflow",
  0x12: "division or modulo by zero",
  0x21: "invalid enum value",
  0x22: "invalid storage byte array",
  0x31: "pop on an empty array",
  0x32: "array index out of bounds",
  0x41: "out of memory",
  0x51: "call to an invalid internal function",
};

/**
 * A transaction or call reverted. `errorName` is the custom error ("DealMarket_InvalidState"), or
 * "Error" for a revert string (args.message), "Panic" (args.code), "EmptyRevert" for a revert without
 * data, "UnknownError" for a selector no Accord ABI knows (args.selector). `args` holds the decoded
 * arguments by name: enums and uint8 as numbers (compare `args.current` with `AgreementState.X`), other
 * integers as bigint, addresses checksummed.
 */
export class AccordContractError extends AccordError {
  override name = "AccordContractError";
  readonly errorName: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The arguments in declaration order. */
  readonly argsList: readonly unknown[];
  /** E.g. "DealMarket_InvalidState(bytes32,uint8,uint8)"; "" for EmptyRevert / UnknownError. */
  readonly signature: string;
  /** The 4-byte selector ("0x…"), "" for EmptyRevert. */
  readonly selector: string;
  /** The raw revert data. */
  readonly data: string;
  /** The client action that failed ("acceptResult"), when known. */
  readonly action: string | undefined;
  /** The mined transaction, when the revert happened on chain rather than in gas estimation. */
  readonly transactionHash: string | undefined;

  constructor(init: {
    errorName: string;
    args: Record<string, unknown>;
    argsList: unknown[];
    signature: string;
    selector: string;
    data: string;
    description: string;
    action?: string;
    transactionHash?: string;
    cause?: unknown;
  }) {
    super(`${init.action ? `${init.action} reverted: ` : "reverted: "}${init.description}`, { cause: init.cause });
    this.errorName = init.errorName;
    this.args = Object.freeze({ ...init.args });
    this.argsList = Object.freeze([...init.argsList]);
    this.signature = init.signature;
    this.selector = init.selector;
    this.data = init.data;
    this.action = init.action;
    this.transactionHash = init.transactionHash;
  }

  /** True when this is the custom error `errorName` (and, if given, its args match these values). */
  is(errorName: string, args: Record<string, unknown> = {}): boolean {
    if (this.errorName !== errorName) return false;
    return Object.entries(args).every(([key, value]) => sameValue(this.args[key], value));
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if ((typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number")) {
    return BigInt(a) === BigInt(b);
  }
  return a === b;
}

function convertArg(value: unknown, param: AbiParam | undefined): unknown {
  if (typeof value === "bigint" && param) {
    const enumNames = param.internalType ? ENUM_NAMES[param.internalType] : undefined;
    if (enumNames || param.type === "uint8") return Number(value);
  }
  return value;
}

function formatArg(value: unknown, param: AbiParam | undefined): string {
  const enumNames = param?.internalType ? ENUM_NAMES[param.internalType] : undefined;
  if (enumNames && typeof value === "number") return `${enumNames[value] ?? "?"} (${value})`;
  if (typeof value === "string" && !isHexString(value)) return JSON.stringify(value);
  return String(value);
}

function describe(description: ErrorDescription): {
  errorName: string;
  args: Record<string, unknown>;
  argsList: unknown[];
  text: string;
} {
  const { name, selector } = description.fragment;
  if (name === "Error" && selector === "0x08c379a0") {
    const message = String(description.args[0]);
    return { errorName: "Error", args: { message }, argsList: [message], text: `Error(${JSON.stringify(message)})` };
  }
  if (name === "Panic" && selector === "0x4e487b71") {
    const code = description.args[0] as bigint;
    const reason = PANIC_REASONS[Number(code)] ?? "unknown panic code";
    return {
      errorName: "Panic",
      args: { code, reason },
      argsList: [code],
      text: `Panic(0x${code.toString(16)}: ${reason})`,
    };
  }
  const params = inputsBySelector.get(selector) ?? [];
  const args: Record<string, unknown> = {};
  const argsList: unknown[] = [];
  const parts: string[] = [];
  description.fragment.inputs.forEach((input, i) => {
    const param = params[i];
    const value = convertArg(description.args[i], param);
    argsList.push(value);
    const key = input.name || `arg${i}`;
    args[key] = value;
    parts.push(`${key}: ${formatArg(value, param)}`);
  });
  return { errorName: name, args, argsList, text: `${name}(${parts.join(", ")})` };
}

/**
 * Decodes revert data (a hex string) into an AccordContractError. Always returns one: unknown selectors
 * give errorName "UnknownError", empty data "EmptyRevert".
 */
export function decodeRevertData(
  data: string,
  context: { action?: string; transactionHash?: string; cause?: unknown } = {},
): AccordContractError {
  const hex = data.toLowerCase();
  if (hex === "0x" || hex === "") {
    return new AccordContractError({
      errorName: "EmptyRevert",
      args: {},
      argsList: [],
      signature: "",
      selector: "",
      data: "0x",
      description: "reverted without data (require without reason, invalid enum or ABI input, or out of gas)",
      ...context,
    });
  }
  const selector = hex.slice(0, 10);
  let description: ErrorDescription | null;
  try {
    description = accordErrorInterface.parseError(hex);
  } catch {
    description = null; // known selector, malformed arguments
  }
  if (!description) {
    return new AccordContractError({
      errorName: "UnknownError",
      args: { selector },
      argsList: [selector],
      signature: "",
      selector,
      data: hex,
      description: `unknown error ${selector} (data ${hex})`,
      ...context,
    });
  }
  const { errorName, args, argsList, text } = describe(description);
  return new AccordContractError({
    errorName,
    args,
    argsList,
    signature: description.signature,
    selector,
    data: hex,
    description: text,
    ...context,
  });
}

/**
 * The revert data an error from ethers, Hardhat or a JSON-RPC node carries, searched in the places
 * they put it (`data`, `error.data`, `info.error.data`, `cause`, …). `undefined` when there is none;
 * "0x" for a call exception that reverted without data.
 */
export function findRevertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const search = (value: unknown, depth: number): string | undefined => {
    if (depth > 6 || typeof value !== "object" || value === null || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record.data;
    if (typeof data === "string" && isHexString(data) && (data.length >= 10 || data === "0x")) return data;
    if (typeof data === "object" && data !== null) {
      const nested = search(data, depth + 1);
      if (nested !== undefined) return nested;
    }
    for (const key of ["error", "info", "cause", "originalError", "revert", "parent"]) {
      const nested = search(record[key], depth + 1);
      if (nested !== undefined) return nested;
    }
    return undefined;
  };
  const found = search(error, 0);
  if (found !== undefined) return found;
  // ethers reports a revert without data as CALL_EXCEPTION with data null.
  if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "CALL_EXCEPTION") {
    return "0x";
  }
  return undefined;
}

/**
 * The AccordContractError for an error thrown by a contract call or transaction, or `undefined` when
 * the error is not a revert (network failure, rejected signature request, …).
 */
export function decodeContractError(
  error: unknown,
  context: { action?: string; transactionHash?: string } = {},
): AccordContractError | undefined {
  if (error instanceof AccordContractError) return error;
  const data = findRevertData(error);
  if (data === undefined) return undefined;
  const transactionHash =
    context.transactionHash ??
    (typeof (error as { transactionHash?: unknown }).transactionHash === "string"
      ? (error as { transactionHash: string }).transactionHash
      : undefined);
  return decodeRevertData(data, { ...context, transactionHash, cause: error });
}
