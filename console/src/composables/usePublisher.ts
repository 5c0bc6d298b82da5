import { useI18n } from 'vue-i18n';
import type { PublisherInfo } from '@/api/types';

const SOURCES = ['upload', 'marketplace', 'bundled', 'file', 'folder'];

/**
 * Who vouches for a plugin version, in words: "signed by Acme", or — unsigned —
 * how it got onto this install ("unsigned, uploaded to this install").
 */
export function usePublisher() {
  const { t } = useI18n();
  const source = (info: PublisherInfo) => (SOURCES.includes(info.source) ? t(`plugins.sources.${info.source}`) : info.source);
  const publisher = (info: PublisherInfo) => (info.signed ? t('plugins.signedBy', { publisher: info.publisher ?? info.signer ?? '' }) : t('plugins.unsignedFrom', { source: source(info) }));
  /** Beside a Signed/Unsigned badge: the publisher's name, or how an unsigned version got here. */
  const vouchedBy = (info: PublisherInfo) => (info.signed ? (info.publisher ?? info.signer ?? '') : source(info));
  return { publisher, source, vouchedBy };
}
