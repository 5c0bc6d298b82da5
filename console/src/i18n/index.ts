import { createI18n } from 'vue-i18n';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: Array<{ code: Locale; label: string }> = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '简体中文' },
];
const STORAGE_KEY = 'tessera.locale';

/** The stored choice, else the browser's first language we have (any `zh*` → Simplified Chinese). */
export function detectLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh-CN') return stored;
  for (const lang of languages) {
    const lower = lang.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export const i18n = createI18n({
  legacy: false,
  locale: detectLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
  datetimeFormats: {
    en: { short: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }, day: { month: 'short', day: 'numeric' } },
    'zh-CN': { short: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }, day: { month: 'short', day: 'numeric' } },
  },
  missingWarn: false,
  fallbackWarn: false,
});

export function setLocale(code: Locale): void {
  i18n.global.locale.value = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
}

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}
