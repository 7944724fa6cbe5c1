import './instrument.js';
import { runService } from '@steward/runtime';
import { ExecModule } from './exec/exec.module.js';

await runService({ service: 'vm-service', imports: [ExecModule] });
