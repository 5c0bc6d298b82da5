import type { ReadinessSources } from '../../src/boot/readiness.js';
import type { Kernel } from '../../src/kernel.js';
import { DatabaseRef, EventBusRef, MarketplaceRef, PackagesRef, PluginHostRef, QueueRef } from '../../src/services.js';

/** A started kernel's services, as checkReadiness (boot/readiness.ts) sees them. */
export function sourcesOf(kernel: Kernel, started = true): ReadinessSources {
  return { started, db: kernel.get(DatabaseRef), events: kernel.get(EventBusRef), queue: kernel.get(QueueRef), marketplace: kernel.get(MarketplaceRef), packages: kernel.get(PackagesRef), pluginHost: kernel.get(PluginHostRef) };
}
