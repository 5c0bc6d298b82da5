import { ref, shallowRef } from 'vue';

/**
 * Loading and error state for one async action, so every view shows the same
 * spinner and the same error alert. `run` never throws: it returns `undefined`
 * on failure and leaves the error in `error`.
 */
export function useAsync<T, A extends unknown[]>(fn: (...args: A) => Promise<T>) {
  const loading = ref(false);
  const error = shallowRef<unknown>(null);
  async function run(...args: A): Promise<T | undefined> {
    loading.value = true;
    error.value = null;
    try {
      return await fn(...args);
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') return undefined;
      error.value = e;
      return undefined;
    } finally {
      loading.value = false;
    }
  }
  return { loading, error, run };
}
