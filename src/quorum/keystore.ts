// An operator's BLS secret key at rest: an EIP-2335 keystore (version 4), written with scrypt + AES-128-CTR and a
// SHA-256 checksum, all from node:crypto (no dependency). Reading also takes the PBKDF2 variant of the EIP. The
// password is processed as the EIP says (NFKD, control codes removed) so a keystore from another tool opens here.
// EIP-2335's `pubkey` is meant for BLS keys in G1; Accord's keys are in G2, so it holds the 256-byte EIP-2537
// encoding of the G2 key (hex, no 0x), which is checked against the decrypted secret.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AccordError } from "../model/errors";
import { blsPublicKey, blsSecretKeyFromBytes, blsSecretKeyToBytes, encodeG2, type BlsSecretKey } from "./bls";

/** The keystore's password does not open it (the checksum does not match). */
export class KeystorePasswordError extends AccordError {
  override name = "KeystorePasswordError";
  constructor() {
    super("wrong keystore password (the checksum does not match)");
  }
}

/** The keystore is not an EIP-2335 keystore this code reads; `field` names what is wrong. */
export class KeystoreFormatError extends AccordError {
  override name = "KeystoreFormatError";
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`keystore ${field}: ${detail}`);
  }
}

type Module = { function: string; params: Record<string, unknown>; message: string };

/** An EIP-2335 keystore document. */
export type Keystore = {
  crypto: { kdf: Module; checksum: Module; cipher: Module };
  description: string;
  pubkey: string;
  path: string;
  uuid: string;
  version: 4;
};

/** scrypt's cost; the EIP's default is n = 2^18 (256 MiB, ~1 s); tests may use less. */
export type ScryptParams = { n: number; r: number; p: number };
export const DEFAULT_SCRYPT: ScryptParams = { n: 262144, r: 8, p: 1 };

/** The password as EIP-2335 processes it: NFKD, without C0, C1 and Delete control codes, UTF-8. */
export function keystorePassword(password: string): Buffer {
  // eslint-disable-next-line no-control-regex -- removing the control codes is the point
  return Buffer.from(password.normalize("NFKD").replace(/[\u0000-\u001f\u007f-\u009f]/g, ""), "utf8");
}

function scrypt(password: Buffer, salt: Buffer, params: ScryptParams, dklen: number): Buffer {
  return crypto.scryptSync(password, salt, dklen, {
    N: params.n,
    r: params.r,
    p: params.p,
    // Node refuses above 32 MiB by default; the EIP's default needs 256 MiB.
    maxmem: 128 * params.n * params.r * params.p + 64 * 1024 * 1024,
  });
}

/** Encrypts a secret key into a keystore. */
export function encryptKeystore(
  secretKey: BlsSecretKey,
  password: string,
  options: { scrypt?: ScryptParams; description?: string } = {},
): Keystore {
  const params = options.scrypt ?? DEFAULT_SCRYPT;
  const salt = crypto.randomBytes(32);
  const iv = crypto.randomBytes(16);
  const key = scrypt(keystorePassword(password), salt, params, 32);
  const cipher = crypto.createCipheriv("aes-128-ctr", key.subarray(0, 16), iv);
  const message = Buffer.concat([cipher.update(blsSecretKeyToBytes(secretKey)), cipher.final()]);
  const checksum = crypto.createHash("sha256").update(key.subarray(16, 32)).update(message).digest();
  return {
    crypto: {
      kdf: {
        function: "scrypt",
        params: { dklen: 32, n: params.n, r: params.r, p: params.p, salt: salt.toString("hex") },
        message: "",
      },
      checksum: { function: "sha256", params: {}, message: checksum.toString("hex") },
      cipher: { function: "aes-128-ctr", params: { iv: iv.toString("hex") }, message: message.toString("hex") },
    },
    description: options.description ?? "accord operator BLS12-381 key (G2 public key, EIP-2537 encoding)",
    pubkey: encodeG2(blsPublicKey(secretKey)).slice(2),
    path: "",
    uuid: crypto.randomUUID(),
    version: 4,
  };
}

/** Decrypts a keystore (a document or its JSON); KeystorePasswordError for a wrong password. */
export function decryptKeystore(keystore: Keystore | string, password: string): BlsSecretKey {
  const doc = parseKeystore(keystore);
  const { kdf, checksum, cipher } = doc.crypto;
  const pass = keystorePassword(password);
  const dklen = numberParam(kdf.params, "dklen", "crypto.kdf.params");
  const salt = hexParam(kdf.params.salt, "crypto.kdf.params.salt");
  let key: Buffer;
  if (kdf.function === "scrypt") {
    const params = {
      n: numberParam(kdf.params, "n", "crypto.kdf.params"),
      r: numberParam(kdf.params, "r", "crypto.kdf.params"),
      p: numberParam(kdf.params, "p", "crypto.kdf.params"),
    };
    key = scrypt(pass, salt, params, dklen);
  } else if (kdf.function === "pbkdf2") {
    if (kdf.params.prf !== "hmac-sha256") throw new KeystoreFormatError("crypto.kdf.params.prf", "must be hmac-sha256");
    key = crypto.pbkdf2Sync(pass, salt, numberParam(kdf.params, "c", "crypto.kdf.params"), dklen, "sha256");
  } else {
    throw new KeystoreFormatError("crypto.kdf.function", `unsupported: ${kdf.function}`);
  }
  if (dklen < 32) throw new KeystoreFormatError("crypto.kdf.params.dklen", "must be at least 32");
  if (checksum.function !== "sha256") throw new KeystoreFormatError("crypto.checksum.function", "must be sha256");
  if (cipher.function !== "aes-128-ctr") throw new KeystoreFormatError("crypto.cipher.function", "must be aes-128-ctr");
  const message = hexParam(cipher.message, "crypto.cipher.message");
  const expected = hexParam(checksum.message, "crypto.checksum.message");
  const actual = crypto.createHash("sha256").update(key.subarray(16, 32)).update(message).digest();
  if (expected.length !== actual.length || !crypto.timingSafeEqual(expected, actual)) throw new KeystorePasswordError();
  const decipher = crypto.createDecipheriv(
    "aes-128-ctr",
    key.subarray(0, 16),
    hexParam(cipher.params.iv, "crypto.cipher.params.iv"),
  );
  const secret = Buffer.concat([decipher.update(message), decipher.final()]);
  const secretKey = blsSecretKeyFromBytes(secret, "crypto.cipher.message");
  if (doc.pubkey && encodeG2(blsPublicKey(secretKey)).slice(2) !== doc.pubkey.toLowerCase().replace(/^0x/, "")) {
    throw new KeystoreFormatError("pubkey", "is not the public key of the secret the keystore holds");
  }
  return secretKey;
}

/** Writes a keystore file (mode 0600), refusing to overwrite one. */
export function writeKeystore(file: string, keystore: Keystore): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(keystore, null, 2) + "\n", { flag: "wx", mode: 0o600 });
}

/** Reads and decrypts a keystore file. */
export function readKeystore(file: string, password: string): BlsSecretKey {
  return decryptKeystore(fs.readFileSync(file, "utf8"), password);
}

function parseKeystore(value: Keystore | string): Keystore {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch (error) {
      throw new KeystoreFormatError("(root)", `not JSON (${(error as Error).message})`);
    }
  }
  const record = doc as Partial<Keystore> | null;
  if (!record || typeof record !== "object") throw new KeystoreFormatError("(root)", "must be an object");
  if (record.version !== 4) throw new KeystoreFormatError("version", "must be 4");
  const c = record.crypto;
  if (!c || typeof c !== "object") throw new KeystoreFormatError("crypto", "must be an object");
  for (const name of ["kdf", "checksum", "cipher"] as const) {
    const module = c[name];
    if (!module || typeof module !== "object" || typeof module.function !== "string") {
      throw new KeystoreFormatError(`crypto.${name}`, "must be a module with a function");
    }
    if (!module.params || typeof module.params !== "object") {
      throw new KeystoreFormatError(`crypto.${name}.params`, "must be an object");
    }
  }
  return record as Keystore;
}

function numberParam(params: Record<string, unknown>, name: string, where: string): number {
  const value = params[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new KeystoreFormatError(`${where}.${name}`, "must be a positive integer");
  }
  return value;
}

function hexParam(value: unknown, field: string): Buffer {
  if (typeof value !== "string" || !/^([0-9a-fA-F]{2})*$/.test(value)) {
    throw new KeystoreFormatError(field, "must be hex");
  }
  return Buffer.from(value, "hex");
}
