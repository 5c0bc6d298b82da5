import { useI18n } from 'vue-i18n';
import { ApiError } from '@/api/client';

/**
 * Turns an error into words for the user: our translation of the API's `code`
 * when we have one (clients match on `code`, never on message text), else the
 * API's own message — which names the field for `invalid_param`.
 */
export function useErrorText() {
  const { t, te } = useI18n();
  return (error: unknown): string => {
    if (error instanceof ApiError) {
      const key = `errors.${error.code}`;
      if (error.code !== 'invalid_param' && te(key)) return t(key);
      return error.message || t('errors.unknown');
    }
    if (error instanceof Error && error.message) return error.message;
    return t('errors.unknown');
  };
}
