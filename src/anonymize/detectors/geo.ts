// GPS coordinates in text: a latitude, longitude pair of decimals ("51.5072, -0.1276", "(40.7128,-74.0060)")
// with at least four decimals each (≈ 11 m) and in range, not one pair of a longer list of numbers, and
// not two numbers below 1 (probabilities, scores); or degrees with hemispheres (51.5072° N, 0.1276° W).
// Under a coordinate key (latitude, lat, lng, lon, x-geo) the key says so instead (key-names.ts).
import type { Span } from './types.js';

const PAIR = /(?<![\d.,\-]|[\d.,] )(-?\d{1,2}\.\d{4,10}) ?[,;] ?(-?\d{1,3}\.\d{4,10})(?![\d.]| ?[,;] ?-?\d)/g;
const HEMISPHERES = /(?<![\d.])(\d{1,2}(?:\.\d{1,10})?) ?° ?([NS]),? ?(\d{1,3}(?:\.\d{1,10})?) ?° ?([EW])(?![\p{L}])/gu;

export function coordinatePair(lat: number, lon: number): boolean {
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && (Math.abs(lat) >= 1 || Math.abs(lon) >= 1);
}

export function detectGeo(text: string, out: Span[]): void {
  PAIR.lastIndex = 0;
  for (let m = PAIR.exec(text); m !== null; m = PAIR.exec(text)) {
    if (coordinatePair(Number(m[1]), Number(m[2]))) out.push({ start: m.index, end: m.index + m[0].length, entity: 'geo' });
  }
  if (text.indexOf('°') < 0) return;
  HEMISPHERES.lastIndex = 0;
  for (let m = HEMISPHERES.exec(text); m !== null; m = HEMISPHERES.exec(text)) {
    if (coordinatePair(Number(m[1]), Number(m[3]))) out.push({ start: m.index, end: m.index + m[0].length, entity: 'geo' });
  }
}
