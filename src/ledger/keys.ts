// Ed25519 keys of the ledger and the dataset manifests (node:crypto): the private key from PEM (PKCS#8)
// or a 32-byte seed in base64/base64url, the public key as PEM (SPKI), a short key id from its digest.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ShadowgateError } from '../errors.js';

/** The DER prefix of a PKCS#8 Ed25519 private key: the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ledgerError(message: string, cause?: unknown): ShadowgateError {
  return new ShadowgateError('SG_ERR_LEDGER', message, undefined, cause === undefined ? undefined : { cause });
}

export interface Signer {
  /** First 16 hex digits of SHA-256 of the public key (SPKI DER): which key signed an entry. */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  sign(data: string): string;
}

export interface Verifier {
  readonly keyId: string;
  verify(data: string, signature: string): boolean;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Parses an Ed25519 private key (PEM or base64/base64url seed); the message never quotes the key. */
export function parsePrivateKey(text: string, where: string): KeyObject {
  const t = text.trim();
  let key: KeyObject;
  try {
    if (t.startsWith('-----BEGIN')) key = createPrivateKey(t);
    else {
      const seed = Buffer.from(t, 'base64url');
      if (seed.length !== 32) throw new Error('not 32 bytes');
      key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    }
  } catch (err) {
    throw ledgerError(`${where}: not an Ed25519 private key (PEM, or a base64 32-byte seed)`, err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw ledgerError(`${where}: the key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return key;
}

export function loadPrivateKey(src: { key?: string | undefined; keyFile?: string | undefined }, where: string): KeyObject {
  if (src.key !== undefined) return parsePrivateKey(src.key, `${where}.key`);
  if (src.keyFile === undefined) throw ledgerError(`${where}: no key or keyFile`);
  let text: string;
  try {
    text = readFileSync(src.keyFile, 'utf8');
  } catch (err) {
    throw ledgerError(`${where}.keyFile: cannot read ${src.keyFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
  }
  return parsePrivateKey(text, `${where}.keyFile ${src.keyFile}`);
}

export function signerOf(privateKey: KeyObject): Signer {
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (data) => sign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64'),
  };
}

/** A public key from PEM (SPKI), or the public half of a private key file. */
export function parsePublicKey(text: string, where: string): Verifier {
  let publicKey: KeyObject;
  try {
    publicKey = text.includes('PRIVATE KEY') ? createPublicKey(parsePrivateKey(text, where)) : createPublicKey(text);
  } catch (err) {
    if (err instanceof ShadowgateError) throw err;
    throw ledgerError(`${where}: not a PEM public key`, err);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw ledgerError(`${where}: the key is ${publicKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return verifierOf(publicKey);
}

export function verifierOf(publicKey: KeyObject): Verifier {
  return {
    keyId: keyIdOf(publicKey),
    verify: (data, signature) => {
      try {
        return verify(null, Buffer.from(data, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

/** The verifiers of a `ledger:` section: its own key's public half and its previousPublicKeys files. */
export function ledgerVerifiers(cfg: { key?: string | undefined; keyFile?: string | undefined; previousPublicKeys: readonly string[] }): Verifier[] {
  const own = verifierOf(signerOf(loadPrivateKey(cfg, 'ledger')).publicKey);
  return [own, ...cfg.previousPublicKeys.map((file, i) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw ledgerError(`ledger.previousPublicKeys[${i}]: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
    }
    return parsePublicKey(text, `ledger.previousPublicKeys[${i}] ${file}`);
  })];
}

export function exportPublicKey(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** A fresh private key as PEM (PKCS#8), for `shadowgate ledger keygen`. */
export function generatePrivateKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
