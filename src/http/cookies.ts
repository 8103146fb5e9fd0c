// What every cookie the BFF sets has in common.
import type { Config } from '../config.js';

/** Browsers reach the BFF over https (BFF_PUBLIC_URL), whatever the hop in front of it. */
export function isHttps(config: Config): boolean {
  return config.publicUrl.protocol === 'https:';
}

/** The cookie's name: over https with the __Host- prefix, which pins it to this exact origin, Secure, Path=/. */
export function cookieName(config: Config, name: string): string {
  return isHttps(config) ? `__Host-${name}` : name;
}
