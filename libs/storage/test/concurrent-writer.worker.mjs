// A second connection to the test database from another thread, so that its lock waits and the
// main thread's run truly in parallel (see storage.test.ts). Loads the built library.
import { parentPort, workerData } from 'node:worker_threads';
import { closeDatabase, openDatabase } from '@steward/storage';

const { file, rows } = workerData;
const ds = await openDatabase({ file, entities: [], migrations: [] });
parentPort.postMessage({ type: 'ready' });
await new Promise((resolve) => parentPort.once('message', resolve));
let inserted = 0;
const errors = [];
for (let i = 0; i < rows; i++) {
  try {
    await ds.transaction((manager) =>
      manager.query('INSERT INTO "note" ("body") VALUES (?)', [`worker ${i}`]),
    );
    inserted++;
  } catch (error) {
    errors.push(error instanceof Error ? `${error.code ?? ''} ${error.message}` : String(error));
  }
}
await closeDatabase(ds);
parentPort.postMessage({ type: 'done', inserted, errors });
