import { PGLITE_TEMPLATE_DIR, preparePgliteTemplate } from './database.js';

// Build step (`npm run build`): see preparePgliteTemplate.
await preparePgliteTemplate(process.argv[2] ?? PGLITE_TEMPLATE_DIR);
