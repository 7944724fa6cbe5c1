import './instrument.js';
import { runService } from '@steward/runtime';
import { SandboxModule } from './sandbox/sandbox.module.js';

await runService({ service: 'vm-service', imports: [SandboxModule] });
