// Whether this process should receive traffic: flips off while draining; both transports report it.

export class Readiness {
  private value = false;
  private readonly listeners = new Set<(ready: boolean) => void>();

  get ready(): boolean {
    return this.value;
  }

  set(ready: boolean): void {
    if (ready === this.value) return;
    this.value = ready;
    for (const listener of this.listeners) listener(ready);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (ready: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
