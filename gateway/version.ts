// A named import of one field: esbuild keeps just this value from the manifest.
import { version } from '../package.json';

export const VERSION: string = version;
