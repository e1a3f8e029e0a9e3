// Synthetic personal data for the demo traffic: a fixed cast of users with names, emails, phones of
// several countries, dates of birth, addresses, IPs, Luhn-valid cards and mod-97-valid IBANs.
// Nothing here is real; every value is derived from the seed.
import { createRng, digits, intBetween, pick, type Rng } from './random.js';

export interface DemoAddress {
  readonly street: string;
  readonly city: string;
  readonly postcode: string;
  readonly country: string;
}

export interface DemoUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly phone: string;
  readonly dob: string;
  readonly address: DemoAddress;
  readonly ip: string;
  readonly card: string;
  readonly iban?: string;
}

const FIRST = ['Amelia', 'Noah', 'Olivia', 'Liam', 'Sofia', 'Mateo', 'Hannah', 'Lukas', 'Chloe', 'Hugo', 'Priya', 'Arjun',
  'Ana', 'Joao', 'Fatima', 'Omar', 'Emma', 'Finn', 'Lucia', 'Pablo', 'Isla', 'Jack', 'Mei', 'Kenji', 'Zara', 'Elias',
  'Freya', 'Theo', 'Ines', 'Rafael', 'Maya', 'Daniel'] as const;
const LAST = ['Smith', 'Johnson', 'Garcia', 'Muller', 'Schneider', 'Martin', 'Bernard', 'Sharma', 'Patel', 'Silva',
  'Santos', 'de Vries', 'Jansen', 'Fernandez', 'Lopez', 'Brown', 'Wilson', 'Taylor', 'Okafor', 'Nguyen', 'Kowalski',
  'Rossi', 'Dubois', 'Fischer', 'Weber', 'Costa', 'Iyer', 'Reddy', 'Evans', 'Moreau'] as const;
const MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'proton.me', 'icloud.com', 'web.de', 'orange.fr', 'hotmail.co.uk'] as const;

interface Country {
  readonly code: string;
  readonly cities: readonly (readonly [city: string, postcode: () => string])[];
  readonly streets: readonly string[];
  readonly phone: (rng: Rng) => string;
  /** IBAN layout: bank-code length and letters-or-digits, account digits; absent: no IBAN. */
  readonly iban?: (rng: Rng) => string;
}

function postcode(rng: Rng, n: number): () => string {
  return () => digits(rng, n);
}

/** The countries users live in, each with phone and IBAN formats of its own. */
function countries(rng: Rng): readonly Country[] {
  const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(65 + Math.floor(rng() * 26))).join('');
  return [
    { code: 'US', cities: [['New York', postcode(rng, 5)], ['Chicago', postcode(rng, 5)], ['Seattle', postcode(rng, 5)]],
      streets: ['Maple Avenue', 'Oak Street', 'Pine Road', 'Lakeview Drive'],
      phone: (g) => `+1 ${pick(g, ['212', '312', '415', '617', '206'])}-${intBetween(g, 200, 999)}-${digits(g, 4)}` },
    { code: 'GB', cities: [['London', () => `SW${intBetween(rng, 1, 20)} ${intBetween(rng, 1, 9)}${letters(2)}`], ['Leeds', () => `LS${intBetween(rng, 1, 29)} ${intBetween(rng, 1, 9)}${letters(2)}`]],
      streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road'],
      phone: (g) => `+44 7${digits(g, 3)} ${digits(g, 6)}`,
      iban: (g) => iban('GB', `${letters(4)}${digits(g, 14)}`) },
    { code: 'DE', cities: [['Berlin', postcode(rng, 5)], ['Hamburg', postcode(rng, 5)], ['Munich', postcode(rng, 5)]],
      streets: ['Hauptstrasse', 'Schulstrasse', 'Gartenweg', 'Bahnhofstrasse'],
      phone: (g) => `+49 15${intBetween(g, 1, 7)} ${digits(g, 8)}`,
      iban: (g) => iban('DE', digits(g, 18)) },
    { code: 'FR', cities: [['Paris', postcode(rng, 5)], ['Lyon', postcode(rng, 5)]],
      streets: ['rue de la Paix', 'avenue Victor Hugo', 'rue des Lilas'],
      phone: (g) => `+33 6 ${digits(g, 2)} ${digits(g, 2)} ${digits(g, 2)} ${digits(g, 2)}`,
      iban: (g) => iban('FR', digits(g, 23)) },
    { code: 'NL', cities: [['Amsterdam', () => `${intBetween(rng, 1000, 1109)} ${letters(2)}`], ['Utrecht', () => `${intBetween(rng, 3500, 3585)} ${letters(2)}`]],
      streets: ['Prinsengracht', 'Kerkstraat', 'Dorpsstraat'],
      phone: (g) => `+31 6 ${digits(g, 8)}`,
      iban: (g) => iban('NL', `${letters(4)}${digits(g, 10)}`) },
    { code: 'ES', cities: [['Madrid', postcode(rng, 5)], ['Valencia', postcode(rng, 5)]],
      streets: ['Calle Mayor', 'Gran Via', 'Calle del Sol'],
      phone: (g) => `+34 6${digits(g, 2)} ${digits(g, 3)} ${digits(g, 3)}`,
      iban: (g) => iban('ES', digits(g, 20)) },
    { code: 'IN', cities: [['Mumbai', postcode(rng, 6)], ['Bengaluru', postcode(rng, 6)]],
      streets: ['MG Road', 'Linking Road', 'Park Street'],
      phone: (g) => `+91 9${digits(g, 4)} ${digits(g, 5)}` },
    { code: 'BR', cities: [['Sao Paulo', () => `${digits(rng, 5)}-${digits(rng, 3)}`], ['Recife', () => `${digits(rng, 5)}-${digits(rng, 3)}`]],
      streets: ['Rua das Flores', 'Avenida Paulista', 'Rua Augusta'],
      phone: (g) => `+55 11 9${digits(g, 4)}-${digits(g, 4)}` },
  ];
}

/** Appends the Luhn check digit to a digit string. */
export function withLuhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export function luhnValid(card: string): boolean {
  const d = card.replace(/[ -]/g, '');
  return /^\d{12,19}$/.test(d) && withLuhnDigit(d.slice(0, -1)) === d;
}

function ibanRemainder(text: string): number {
  let rem = 0;
  for (const ch of text) {
    const v = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const c of v) rem = (rem * 10 + (c.charCodeAt(0) - 48)) % 97;
  }
  return rem;
}

/** An IBAN with correct ISO 13616 check digits for the given country and BBAN. */
export function iban(country: string, bban: string): string {
  const check = 98 - ibanRemainder(`${bban}${country}00`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

export function ibanValid(value: string): boolean {
  const v = value.replace(/ /g, '');
  return /^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(v) && ibanRemainder(v.slice(4) + v.slice(0, 4)) === 1;
}

function card(rng: Rng): string {
  const brand = rng();
  if (brand < 0.55) return withLuhnDigit(`4${digits(rng, 14)}`);
  if (brand < 0.9) return withLuhnDigit(`5${intBetween(rng, 1, 5)}${digits(rng, 13)}`);
  return withLuhnDigit(`3${pick(rng, ['4', '7'])}${digits(rng, 12)}`);
}

function ipv4(rng: Rng): string {
  // Public-looking first octets only (no 10/8, 127/8, 172.16/12, 192.168/16 surprises).
  return `${pick(rng, [31, 46, 62, 77, 81, 88, 92, 109, 151, 176, 185, 203, 212])}.${intBetween(rng, 0, 255)}.${intBetween(rng, 0, 255)}.${intBetween(rng, 1, 254)}`;
}

function ipv6(rng: Rng): string {
  const h = () => intBetween(rng, 0, 0xffff).toString(16);
  return `2a02:${h()}:${h()}:${h()}::${h()}`;
}

function ascii(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, '');
}

/** `n` distinct users, the same for the same seed. */
export function createUsers(seed: number, n: number): DemoUser[] {
  const rng = createRng(seed ^ 0x5eed);
  const places = countries(rng);
  const users: DemoUser[] = [];
  const emails = new Set<string>();
  for (let i = 0; i < n; i++) {
    const first = pick(rng, FIRST);
    const last = pick(rng, LAST);
    let email = `${ascii(first)}.${ascii(last)}${intBetween(rng, 1, 99)}@${pick(rng, MAIL_DOMAINS)}`;
    while (emails.has(email)) email = `${ascii(first)}${ascii(last)}${digits(rng, 3)}@${pick(rng, MAIL_DOMAINS)}`;
    emails.add(email);
    const c = pick(rng, places);
    const [city, code] = pick(rng, c.cities);
    const month = intBetween(rng, 1, 12);
    const day = intBetween(rng, 1, 28);
    users.push({
      id: `u_${(seed >>> 0).toString(36)}${i.toString(36).padStart(3, '0')}${digits(rng, 4)}`,
      email,
      name: `${first} ${last}`,
      phone: c.phone(rng),
      dob: `${intBetween(rng, 1948, 2006)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      address: { street: `${intBetween(rng, 1, 240)} ${pick(rng, c.streets)}`, city, postcode: code(), country: c.code },
      ip: rng() < 0.15 ? ipv6(rng) : ipv4(rng),
      card: card(rng),
      ...(c.iban && rng() < 0.6 ? { iban: c.iban(rng) } : {}),
    });
  }
  return users;
}
