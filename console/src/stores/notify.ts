import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

/** Short confirmations and failures shown as toasts (announced to screen readers by ToastHost). */
export const useNotifyStore = defineStore('notify', () => {
  const toasts = ref<Toast[]>([]);
  let next = 1;
  function push(kind: Toast['kind'], text: string, ms = 4000) {
    const id = next++;
    toasts.value.push({ id, kind, text });
    setTimeout(() => dismiss(id), ms);
  }
  function dismiss(id: number) {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }
  return { toasts, dismiss, success: (text: string) => push('success', text), error: (text: string) => push('error', text, 7000), info: (text: string) => push('info', text) };
});
