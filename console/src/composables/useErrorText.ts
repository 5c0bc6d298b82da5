import { useI18n } from 'vue-i18n';
import { ApiError } from '@/api/client';

/**
 * Turns an error into words for the user: our translation of the API's `code`
 * when we have one (clients match on `code`, never on message text; every code of
 * the kernel's catalogue has one, issue #14), else the API's own message. A
 * translation whose specifics only the server knows (the field of `invalid_param`,
 * a YAML line, the provider's refusal) quotes that message as `{detail}`.
 */
export function useErrorText() {
  const { t, te } = useI18n();
  return (error: unknown): string => {
    if (error instanceof ApiError) {
      const key = `errors.${error.code}`;
      const detail = error.message || t('errors.unknown');
      return te(key) ? t(key, { detail }) : detail;
    }
    if (error instanceof Error && error.message) return error.message;
    return t('errors.unknown');
  };
}
