// The key-name classifier: a JSON key, header or parameter name (snake, camel, kebab, a few languages)
// picks the entity when the value alone cannot say (names, addresses, dates of birth, ids, secrets).
import type { Entity } from './types.js';
import { BoundedMap } from '../../kernel/bounded-map.js';

/** person_first / person_last narrow `person` so the name transform keeps a single given or family name. */
export type KeyEntity = Entity | 'person_first' | 'person_last';

const EXACT: Readonly<Record<string, KeyEntity>> = {};
function add(entity: KeyEntity, names: string): void {
  for (const n of names.split(' ')) (EXACT as Record<string, KeyEntity>)[n] = entity;
}
add('email', 'email emailaddress mail email_address e_mail mailaddress correo courriel emailadresse mail_address contact_email user_email');
add('phone', 'phone phonenumber phone_number tel telephone telefon telefono telefone mobile mobilephone mobile_number cell cellphone handy msisdn fax contact_phone whatsapp');
add('person_first', 'first_name firstname fname given_name givenname given given_names givennames forename vorname prenom prénom nombre first');
add('person_last', 'last_name lastname lname surname family_name familyname family nachname nom apellido apellidos cognome sobrenome last');
add('person', 'name names full_name fullname name_prefix name_suffix display_name displayname customer customer_name recipient recipient_name sender sender_name owner owner_name holder cardholder card_holder account_holder patient patient_name contact contact_name beneficiary payee payer guardian spouse emergency_contact middle_name maiden_name nickname author signatory');
add('address', 'address addr street street_address streetaddress address_line address_line1 address_line2 address1 address2 line1 line2 adresse direccion indirizzo endereco strasse house_number billing_address shipping_address home_address residence');
add('postcode', 'postcode post_code postal_code postalcode zip zipcode zip_code plz codigo_postal code_postal');
add('dob', 'dob birth_date birthdate date_of_birth dateofbirth birthday born geburtsdatum fecha_nacimiento data_nascita date_naissance');
add('ssn', 'ssn social_security social_security_number sin national_id nationalid tax_id taxid tin personnummer steuer_id nif dni cpf aadhaar');
add('nino', 'nino nin ni_number ni_no national_insurance national_insurance_number national_insurance_no nat_ins_no');
add('passport', 'passport passport_number passport_no passportnumber passport_id passport_num reisepass passeport pasaporte');
add('geo', 'latitude longitude lat lng lon latlng lat_lng lat_lon latlon geo x_geo geolocation geo_location gps coordinates coords geopoint geo_point');
add('id', 'user_id userid uid customer_id customerid client_id account_id accountid member_id memberid patient_id device_id deviceid session_id sessionid subscriber_id employee_id student_id username user_name login handle external_id person_id buyer_id seller_id driver_id rider_id');
add('card', 'card card_number cardnumber cc cc_number ccnumber credit_card creditcard pan card_no');
add('iban', 'iban bank_account bankaccount account_number accountnumber bic_iban');
add('ip', 'ip ip_address ipaddress client_ip remote_ip remote_addr x_forwarded_for x_real_ip forwarded source_ip');
add('mac', 'mac mac_address macaddress');
add('credential', 'password passwd pwd pass secret client_secret token access_token refresh_token id_token api_key apikey x_api_key auth authorization cookie set_cookie session private_key secret_key proxy_authorization x_auth_token otp pin cvv cvc');

/** `firstName`, `first-name`, `First Name` → `first_name`. */
export function normalizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s\-.]+/g, '_')
    .toLowerCase();
}

const TOKEN_RULES: readonly { test: RegExp; entity: KeyEntity }[] = [
  { test: /(?:^|_)(?:e_?mail|correo|courriel)(?:_|$)/, entity: 'email' },
  { test: /(?:^|_)(?:phone|tel|telephone|mobile|msisdn)(?:_|$)/, entity: 'phone' },
  { test: /(?:^|_)(?:password|passwd|secret|token|api_key|apikey|credential)s?(?:_|$)/, entity: 'credential' },
  { test: /(?:^|_)ssn(?:_|$)/, entity: 'ssn' },
  { test: /(?:^|_)passport(?:_|$)/, entity: 'passport' },
  { test: /(?:^|_)(?:national_insurance|nino)(?:_|$)/, entity: 'nino' },
  { test: /(?:^|_)(?:latitude|longitude|geolocation|gps|coordinates)(?:_|$)/, entity: 'geo' },
  { test: /(?:^|_)(?:postcode|postal_code|zip_code|zipcode)(?:_|$)/, entity: 'postcode' },
  { test: /(?:^|_)(?:iban)(?:_|$)/, entity: 'iban' },
  { test: /(?:^|_)(?:birth|dob)(?:_|$)/, entity: 'dob' },
  { test: /(?:^|_)(?:first_name|given_name|firstname)(?:_|$)/, entity: 'person_first' },
  { test: /(?:^|_)(?:last_name|surname|family_name|lastname)(?:_|$)/, entity: 'person_last' },
  { test: /(?:^|_)(?:full_name|fullname)(?:_|$)/, entity: 'person' },
  { test: /(?:^|_)(?:address|street)(?:_|$)/, entity: 'address' },
  { test: /(?:^|_)ip(?:_address)?(?:_|$)/, entity: 'ip' },
  { test: /(?:^|_)(?:user|customer|client|account|member|patient|device|session|subscriber|employee|person)_id$/, entity: 'id' },
];

// Keys come from user input: memoize a bounded number of them.
const MEMO_MAX = 4096;
const memo = new BoundedMap<string, KeyEntity | null>(MEMO_MAX);

export function classifyKey(key: string): KeyEntity | undefined {
  const hit = memo.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const norm = normalizeKey(key);
  let entity: KeyEntity | undefined = EXACT[norm] ?? EXACT[norm.replace(/_/g, '')];
  if (entity === undefined) {
    for (const rule of TOKEN_RULES) if (rule.test.test(norm)) { entity = rule.entity; break; }
  }
  memo.set(key, entity ?? null);
  return entity;
}

// Keys whose values are non-personal categorical data (model features such as merchant, city, country):
// the name detector skips them, because "Urban Threads" or "Valencia" are listed names by accident. Every
// other detector still runs. Judged by the key's head noun, its last word: `merchant_category` and
// `billing_country` are categorical, `merchant_owner` is not.
const CATEGORICAL = new Set((
  'merchant category subcategory city town country region province state county district currency device ' +
  'status type kind model brand make product sku plan tier channel platform os browser language lang locale ' +
  'timezone tz segment method source medium campaign color colour size label tag tags mode level stage reason ' +
  'event action version variant store shop vendor carrier network genre department industry sector class ' +
  'code format unit mcc team league sport cuisine airline airport'
).split(' '));

const categoricalMemo = new BoundedMap<string, boolean>(MEMO_MAX);

/** True when the key names non-personal categorical data and does not reveal an entity. */
export function isCategoricalKey(key: string): boolean {
  const hit = categoricalMemo.get(key);
  if (hit !== undefined) return hit;
  let result = false;
  if (classifyKey(key) === undefined) {
    const norm = normalizeKey(key);
    result = CATEGORICAL.has(norm.slice(norm.lastIndexOf('_') + 1));
  }
  categoricalMemo.set(key, result);
  return result;
}

// The parts of a FHIR/HL7 HumanName (`name[].given[]`, `name[].family`, `name[].text`, `prefix`, `suffix`):
// under a key that names a person they are one, and each part is read as the key it stands for.
const NAME_PARTS = new Map<string, string>([
  ['given', 'given_name'], ['family', 'family_name'], ['text', 'full_name'], ['prefix', 'name_prefix'], ['suffix', 'name_suffix'],
]);

/**
 * The key a JSON member is classified by: its own, or, for a part of a structured name (`text` under
 * `name`), the key that part stands for. One map lookup for every other member.
 */
export function scopedKey(parent: string | undefined, key: string): string {
  const part = NAME_PARTS.get(key);
  if (part === undefined || parent === undefined) return key;
  return classifyKey(parent) === 'person' ? part : key;
}

export function baseEntity(e: KeyEntity): Entity {
  return e === 'person_first' || e === 'person_last' ? 'person' : e;
}
