// Options objects with defaults in one place: `{ hangMs: undefined }` keeps the
// default instead of replacing it with undefined.

/** The object without its undefined values. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
