/**
 * A streaming scanner for a child's log lines (issue 8, "no secrets in logs"): each line is checked as it arrives
 * (ManagedChild keeps only the last 256 KiB), and only the offending lines are kept, masked, with a line count.
 */
import { expect } from '@jest/globals';
import type { ManagedChild } from '../../src/cli/demo/child.js';

export interface SecretsToFind {
  /** Literal secrets (tokens, passwords, base64 of `user:password`); each at least 8 characters. */
  secrets?: readonly string[];
  /**
   * PEM texts (certificates, private keys): any 40-character piece of their base64 body is a leak, unless another
   * of them has it too.
   */
  pems?: readonly string[];
}

export interface LogScan {
  /** Lines seen so far (stdout and stderr). */
  lines(): number;
  /** Offending lines seen so far, each `reason: line` with the secrets masked; at most {@link MAX_KEPT}. */
  leaks(): string[];
}

/** NB: enough to diagnose; a flood of leaks must not flood the test's memory. */
const MAX_KEPT = 20;
const MAX_LINE_SHOWN = 2000;
/** Base64 runs this long are improbable by chance: 40 characters carry 240 bits. */
const WINDOW = 40;
const BASE64_RUN = new RegExp(`[A-Za-z0-9+/]{${WINDOW},}`, 'g');
/** An HTTP credential: `Bearer x`/`Basic x` whose credential is not a plain lower-case word ("bearer token"). */
const CREDENTIAL = /\b(Bearer|Basic)\s+([A-Za-z0-9\-._~+/]+=*)/gi;
/** A Buffer as pino (JSON.stringify) writes it: its bytes are decoded and scanned as well. */
const JSON_BUFFER = /"type":"Buffer","data":\[([\d,]*)\]/g;

/** The base64 body of each PEM block in `pem` (armour and header lines dropped), line breaks removed. */
export function pemBodies(pem: string): string[] {
  const bodies: string[] = [];
  const block = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/g;
  for (const match of pem.matchAll(block)) {
    const body = (match[1] ?? '')
      .split(/\r?\n/)
      .filter((line) => !line.includes(':'))
      .join('')
      .replace(/\s+/g, '');
    if (body.length >= WINDOW) bodies.push(body);
  }
  if (bodies.length === 0) throw new Error('no PEM block of at least 40 base64 characters in a given PEM');
  return bodies;
}

/** How a secret may appear in a JSON log line: as is, JSON-escaped, percent-encoded. */
function spellings(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

/** Scans `child`'s log lines for the given secrets from now on; attach it before the child logs anything. */
export function scanLogs(child: ManagedChild, find: SecretsToFind): LogScan {
  const secrets = (find.secrets ?? []).map((secret, i) => {
    if (secret.length < 8) throw new Error(`secret #${i} is shorter than 8 characters: too likely by chance`);
    return { label: `secret #${i}`, spellings: spellings(secret) };
  });
  // NB: windows found in two of the PEMs are structure (the PKCS#8 header of every P-256 key, a shared issuer),
  // not secret: only the distinctive ones count.
  const windows = new Map<string, string | null>();
  (find.pems ?? []).forEach((pem, i) => {
    for (const body of pemBodies(pem)) {
      for (let at = 0; at + WINDOW <= body.length; at++) {
        const window = body.slice(at, at + WINDOW);
        const seen = windows.get(window);
        windows.set(window, seen === undefined || seen === `PEM #${i}` ? `PEM #${i}` : null);
      }
    }
  });

  const mask = (text: string): string => {
    let masked = text;
    for (const s of secrets)
      for (const spelling of s.spellings) masked = masked.split(spelling).join(`<${s.label}>`);
    masked = masked.replace(CREDENTIAL, (_all, scheme: string) => `${scheme} <credential>`);
    masked = masked.replace(BASE64_RUN, (run) => `<base64 run of ${run.length}>`);
    return masked.length > MAX_LINE_SHOWN ? `${masked.slice(0, MAX_LINE_SHOWN)}…` : masked;
  };

  const reasonsIn = (text: string): string[] => {
    const reasons: string[] = [];
    for (const s of secrets)
      if (s.spellings.some((spelling) => text.includes(spelling))) reasons.push(s.label);
    if (text.includes('-----BEGIN')) reasons.push('PEM armour');
    for (const [, scheme, credential] of text.matchAll(CREDENTIAL)) {
      if (credential !== undefined && !/^[a-z]+$/.test(credential)) reasons.push(`${scheme} credential`);
    }
    for (const [run] of text.matchAll(BASE64_RUN)) {
      for (let at = 0; at + WINDOW <= run.length; at++) {
        const pem = windows.get(run.slice(at, at + WINDOW));
        if (typeof pem === 'string') {
          reasons.push(`body of ${pem}`);
          break;
        }
      }
    }
    return reasons;
  };

  let count = 0;
  const kept: string[] = [];
  child.onLine((line) => {
    count++;
    if (kept.length >= MAX_KEPT) return;
    const buffers = [...line.matchAll(JSON_BUFFER)].map(([, bytes]) =>
      Buffer.from((bytes ?? '').split(',').filter(Boolean).map(Number)).toString('latin1'),
    );
    const reasons = [...new Set([line, ...buffers].flatMap(reasonsIn))];
    if (reasons.length > 0) kept.push(`${reasons.join(', ')}: ${mask(line)}`);
  });
  return { lines: () => count, leaks: () => [...kept] };
}

/** Fails listing the offending lines (masked) when the scan found any. */
export function expectNoLeaks(scan: LogScan): void {
  expect(scan.leaks()).toEqual([]);
}
