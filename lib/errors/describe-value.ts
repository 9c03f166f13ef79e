import { inspect } from 'node:util';

const MAX_SHOWN = 60;

/** A value as an error message shows it: its kind and, shortened, the value itself. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value)}`;
  const shown = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 5, maxStringLength: MAX_SHOWN });
  if (Array.isArray(value)) return `the array ${shown}`;
  if (typeof value === 'object' || typeof value === 'function')
    return `${value.constructor?.name === 'Object' ? 'the object' : 'a'} ${shown}`;
  return `the ${typeof value} ${shown}`;
}
