/**
 * The dated price table in data/prices-<region>.json, typed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PriceItem {
  readonly unit: string;
  readonly price: number;
  readonly verified: boolean;
  readonly source: string;
  readonly note: string;
}

export interface PriceTable {
  readonly asOf: string;
  readonly currency: string;
  readonly region: string;
  readonly items: Readonly<Record<string, PriceItem>>;
}

export const PRICES_FILE = path.resolve(__dirname, '..', '..', 'data', 'prices-us-east-1.json');

export function loadPrices(file: string = PRICES_FILE): PriceTable {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
}

/** One price; a missing key is a bug in the estimator or the table, so it throws. */
export function price(table: PriceTable, key: string): number {
  const item = table.items[key];
  if (!item) throw new Error(`Price table ${table.region} ${table.asOf} has no item "${key}"`);
  return item.price;
}

/** Whether the table has a price for the key (e.g. an instance type). */
export function hasPrice(table: PriceTable, key: string): boolean {
  return key in table.items;
}
