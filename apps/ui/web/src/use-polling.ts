import { useCallback, useEffect, useRef, useState } from 'react';

/** Reads `load` now and every `everyMs`, and on demand; keeps the last good value and error. */
export function usePolling<T>(
  load: () => Promise<T>,
  everyMs: number,
): { readonly value: T | undefined; readonly error: unknown; readonly reload: () => void } {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<unknown>();
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  }, [load]);

  const reload = useCallback(() => {
    loadRef.current().then(
      (next) => {
        setValue(next);
        setError(undefined);
      },
      (failure: unknown) => setError(failure ?? new Error('failed')),
    );
  }, []);

  useEffect(() => {
    reload();
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);

  return { value, error, reload };
}
