import type { LiveChange } from '@dynapharm/types';

/**
 * Decides which change events reach the application: each offset at most once,
 * in offset order, and per record only versions newer than the one applied.
 * Events without an offset (published by a service, not the stream) pass on
 * their version alone and never move the offset.
 */
export class ChangeMerger {
  private versions = new Map<string, number>();
  lastOffset: number;

  constructor(initialOffset = 0) {
    this.lastOffset = initialOffset;
  }

  /** Returns whether the event is new to the application, and records it. */
  accept(event: LiveChange): boolean {
    if ('offset' in event) {
      if (event.offset <= this.lastOffset) return false;
      this.lastOffset = event.offset;
    }
    const key = `${event.resource}:${event.id}`;
    const seen = this.versions.get(key) ?? 0;
    if (event.version <= seen) return false;
    this.versions.set(key, event.version);
    return true;
  }

  /** Records a version the application learned elsewhere (a snapshot or its own write). */
  noteVersion(resource: string, id: string, version: number) {
    const key = `${resource}:${id}`;
    if ((this.versions.get(key) ?? 0) < version) this.versions.set(key, version);
  }

  /** Forgets per-record versions (after a resync the application reloads everything). */
  reset(offset: number) {
    this.versions.clear();
    this.lastOffset = offset;
  }
}
