import { ref } from 'vue';

/** Copies text, falling back to a hidden textarea where the Clipboard API is not allowed (plain http). */
export function useClipboard() {
  const copied = ref(false);
  async function copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    copied.value = true;
    setTimeout(() => (copied.value = false), 1500);
  }
  return { copied, copy };
}
