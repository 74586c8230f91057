/** A model the router can route to; `url === ''` means served by the engines behind the data proxies. */
export interface ModelEntry {
  name: string;
  url: string;
  apiKey: string | null;
  dataProxyAddrs: string[];
}

/** Models in insertion order; overwriting keeps the position, remove + add moves to the end. */
export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();

  register(entry: ModelEntry): void {
    this.models.set(entry.name, { ...entry, dataProxyAddrs: [...entry.dataProxyAddrs] });
  }

  get(name: string): ModelEntry | null {
    return this.models.get(name) ?? null;
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  remove(name: string): boolean {
    return this.models.delete(name);
  }

  /** The earliest-registered model still present. */
  first(): ModelEntry | null {
    for (const entry of this.models.values()) return entry;
    return null;
  }

  get size(): number {
    return this.models.size;
  }

  /** Drops an unregistered worker's address from every model. */
  pruneAddr(addr: string): void {
    for (const entry of this.models.values()) {
      if (entry.dataProxyAddrs.includes(addr)) entry.dataProxyAddrs = entry.dataProxyAddrs.filter((a) => a !== addr);
    }
  }
}
