// Detectors: each entity's positives and the look-alikes it must not flag, and the key-name classifier.
import { describe, expect, test } from 'vitest';
import { classifyKey } from '../../src/anonymize/detectors/key-names.js';
import { scanText } from '../../src/anonymize/scan.js';

const found = (text: string) => scanText(text).map((s) => [s.entity, text.slice(s.start, s.end)]);
const entities = (text: string) => scanText(text).map((s) => s.entity);

describe('detectors', () => {
  test('emails are found inside text', () => {
    expect(found('write to jane.doe+x@example.co.uk today')).toEqual([['email', 'jane.doe+x@example.co.uk']]);
    expect(entities('not an email: a@b')).toEqual([]);
  });

  test.each([
    ['+1-415-555-0132'], ['(415) 555-0132'], ['415.555.0132'], ['+44 7700 900123'], ['07700 900123'],
    ['+49 30 1234567'], ['030 12345678'], ['+33 1 23 45 67 89'], ['01.23.45.67.89'], ['+91 98765 43210'],
    ['098765 43210'], ['+55 11 91234-5678'], ['(11) 91234-5678'], ['4155550132'],
  ])('phone %s is found in US, UK, DE, FR, IN and BR formats', (phone) => {
    expect(found(`call ${phone} now`)).toEqual([['phone', phone]]);
  });

  test('dates, decimals, timestamps and short numbers are not phones', () => {
    expect(entities('on 2024-01-15 at 3.14159265 with id 1700000000 and 42 items, order 1234567')).toEqual([]);
  });

  test('cards need 13-19 digits and a valid Luhn digit', () => {
    expect(found('card 4111 1111 1111 1111 ok')).toEqual([['card', '4111 1111 1111 1111']]);
    expect(found('card 5555-5555-5555-4444')).toEqual([['card', '5555-5555-5555-4444']]);
    expect(entities('card 4111 1111 1111 1112')).not.toContain('card');
  });

  test('IBANs need the country length and mod-97', () => {
    expect(found('IBAN DE89 3704 0044 0532 0130 00.')).toEqual([['iban', 'DE89 3704 0044 0532 0130 00']]);
    expect(entities('IBAN DE89 3704 0044 0532 0130 01')).not.toContain('iban');
  });

  test('SSNs follow Presidio\'s invalidation rules', () => {
    expect(found('ssn 536-22-8726')).toEqual([['ssn', '536-22-8726']]);
    for (const bad of ['000-12-3456', '666-12-3456', '536-00-8726', '536-22-0000', '111-11-1111', '123-45-6789']) {
      expect(entities(`ssn ${bad}`)).not.toContain('ssn');
    }
  });

  test('IPv4, IPv6 and MAC addresses', () => {
    expect(found('from 192.168.10.200 via fe80::1ff:fe23:4567:890a')).toEqual([['ip', '192.168.10.200'], ['ip', 'fe80::1ff:fe23:4567:890a']]);
    expect(entities('version 1.2.3.4567 and 999.1.1.1')).toEqual([]);
    expect(found('nic 00:1a:2b:3c:4d:5e')).toEqual([['mac', '00:1a:2b:3c:4d:5e']]);
    expect(entities('at 10:30:00')).toEqual([]);
  });

  test('JWTs need a header that decodes to JSON', () => {
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const payload = Buffer.from('{"sub":"42"}').toString('base64url');
    expect(entities(`token ${header}.${payload}.c2lnbmF0dXJl`)).toEqual(['jwt']);
    expect(entities('eyJub3Rqc29u.eyJzdWIiOiI0MiJ9.sig')).not.toContain('jwt');
  });

  test('secrets: AWS, GitHub, Slack, Stripe, Google keys, bearer tokens, private keys, URL passwords', () => {
    const cases = [
      'AKIAIOSFODNN7EXAMPLE', `ghp_${'a1B2'.repeat(9)}`, 'xoxb-1234567890-abcdefghij', `sk_live_${'x'.repeat(24)}`,
      `AIza${'B'.repeat(35)}`, 'Bearer abcdef0123456789abcdef', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
    ];
    for (const c of cases) expect(entities(`x ${c} y`)).toEqual(['secret']);
    expect(found('db postgres://admin:hunter2@db.internal:5432/app')).toEqual([['url_credentials', 'admin:hunter2']]);
  });

  test('names: dictionary words in capitalised runs, with initials and titles', () => {
    expect(found('Yesterday Sara Schwarz met Dr Okafor and Janka M. Szász.')).toEqual([
      ['person', 'Sara Schwarz'], ['person', 'Okafor'], ['person', 'Janka M. Szász'],
    ]);
    expect(entities('The Premium Plan for Entertainment Weekly')).toEqual([]);
  });

  test('names: a given name that is also an everyday word, joined to its surname by a particle (the demo leaked "Jack de Vries")', () => {
    expect(found('Gift for Jack de Vries, wrapped please')).toEqual([['person', 'Jack de Vries']]);
    expect(found('Ask Mark van der Berg about it')).toEqual([['person', 'Mark van der Berg']]);
    // A bundled given name and a bundled surname that are also everyday words (the 30 s demo leaked these three).
    for (const name of ['Jack Costa', 'Mei Silva', 'Mei Martin']) expect(found(`Gift for ${name}, wrapped please`)).toEqual([['person', name]]);
    expect(entities('The Rose Garden is open')).toEqual([]);
    // A place with a particle does not start with a given name.
    expect(entities('We flew to Rio de Janeiro on Monday')).toEqual([]);
  });

  test('street addresses with a street type or a unit', () => {
    expect(found('ship to 1600 Pennsylvania Avenue today')).toEqual([['address', '1600 Pennsylvania Avenue']]);
    expect(entities('Suite 501')).toEqual(['address']);
    expect(found('lives at 28245 Puruntie 82, Tallinn')).toEqual([['address', '28245 Puruntie 82, Tallinn']]);
    expect(entities('we sold 20 songs for 15 dollars')).toEqual([]);
  });

  test.each([
    ['email', 'email'], ['e_mail', 'email'], ['userEmail', 'email'], ['firstName', 'person_first'], ['first-name', 'person_first'],
    ['full_name', 'person'], ['customer', 'person'], ['recipient', 'person'], ['address', 'address'], ['street', 'address'],
    ['dob', 'dob'], ['birth_date', 'dob'], ['ssn', 'ssn'], ['user_id', 'id'], ['userId', 'id'], ['Vorname', 'person_first'],
    ['apellido', 'person_last'], ['telefono', 'phone'], ['x-api-key', 'credential'], ['x-forwarded-for', 'ip'],
  ])('key %s names %s', (key, entity) => {
    expect(classifyKey(key)).toBe(entity);
  });

  test('innocuous keys name nothing', () => {
    for (const key of ['score', 'model', 'features', 'count', 'tags', 'lang', 'country']) expect(classifyKey(key)).toBeUndefined();
  });
});
