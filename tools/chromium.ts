/**
 * How the tests start Debian's Chromium headless: as root, without a sandbox, and without the
 * background traffic (updates, sync) that a closed network would refuse at every start.
 */
export const CHROMIUM = process.env.BIFROST_E2E_CHROMIUM ?? '/usr/bin/chromium';

export const HEADLESS_CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
