import { defineStore } from 'pinia';
import { shallowRef } from 'vue';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel?: string;
  danger?: boolean;
  resolve(ok: boolean): void;
}

/** `await confirm({...})` from anywhere; ConfirmHost shows it as an accessible dialog. */
export const useConfirmStore = defineStore('confirm', () => {
  const pending = shallowRef<ConfirmRequest | null>(null);
  function confirm(request: Omit<ConfirmRequest, 'resolve'>): Promise<boolean> {
    pending.value?.resolve(false);
    return new Promise((resolve) => {
      pending.value = { ...request, resolve };
    });
  }
  function answer(ok: boolean) {
    pending.value?.resolve(ok);
    pending.value = null;
  }
  return { pending, confirm, answer };
});
