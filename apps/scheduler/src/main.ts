import './instrument.js';
import { runService } from '@steward/runtime';

await runService({ service: 'scheduler', imports: [] });
