// Loaded into the orchestrator with NODE_OPTIONS=--import (which refuses --cpu-prof) when the loop
// benchmark profiles it: the first SIGUSR2 starts V8's CPU profiler, the next one stops it and writes
// the profile to BENCH_PROFILE_DIR, so the profile covers exactly the part of the run measured.
import { Session } from 'node:inspector';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLING_INTERVAL_MICROS = 500;
const dir = process.env.BENCH_PROFILE_DIR;

if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  let profiling = false;
  const fail = (what: string, error: Error | null): boolean => {
    if (error === null) return false;
    console.error(`bench profiler: ${what} failed: ${error.message}`);
    return true;
  };
  process.on('SIGUSR2', () => {
    if (!profiling) {
      session.post('Profiler.enable', (enableError) => {
        if (fail('enable', enableError)) return;
        session.post(
          'Profiler.setSamplingInterval',
          { interval: SAMPLING_INTERVAL_MICROS },
          (intervalError) => {
            if (fail('setSamplingInterval', intervalError)) return;
            session.post('Profiler.start', (startError) => {
              if (!fail('start', startError)) profiling = true;
            });
          },
        );
      });
      return;
    }
    profiling = false;
    session.post('Profiler.stop', (stopError, result) => {
      if (fail('stop', stopError)) return;
      // Written under another name first, so the benchmark never reads half a file.
      const file = join(dir, `orchestrator-${process.pid}.cpuprofile`);
      writeFileSync(`${file}.partial`, JSON.stringify(result.profile));
      renameSync(`${file}.partial`, file);
    });
  });
}
