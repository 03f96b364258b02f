// What a label combination records into (frozen attributes, counter series), made once and found again by key.

/** More combinations than labels could make from configured names and closed sets: past it the cache starts over. */
const MAX_SETS = 4_096;

/**
 * A bounded cache by key. Labels are bounded already (configured names, closed sets), so it holds
 * every combination in use; the bound only keeps a bug from growing it (counts live in the counters,
 * so starting over loses none).
 */
export class LabelSets<T> {
  private readonly sets = new Map<string, T>();

  constructor(private readonly make: (key: string) => T) {}

  get(key: string): T {
    let set = this.sets.get(key);
    if (set === undefined) {
      if (this.sets.size >= MAX_SETS) this.sets.clear();
      set = this.make(key);
      this.sets.set(key, set);
    }
    return set;
  }
}
