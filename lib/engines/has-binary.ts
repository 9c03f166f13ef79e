/** Whether a value holds binary data anywhere: the adapters then encode it with msgpack instead of JSON. */
export function hasBinary(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  return Object.values(value).some(hasBinary);
}
