import { join } from 'node:path';
import { defineModule } from '../boot/module.js';
import { DatabaseRef, FilesRef } from '../services.js';
import { Files } from './files.js';

/** Uploaded files, in DATA_DIR/files. */
export const filesModule = defineModule({
  name: 'files',
  deps: { db: DatabaseRef },
  provides: { files: FilesRef },
  start: ({ db }, { config }) => ({ files: new Files(db.knex, join(config.dataDir, 'files'), { fileSizeMb: config.uploadFileSizeLimitMb, imageSizeMb: config.uploadImageSizeLimitMb }) }),
});
