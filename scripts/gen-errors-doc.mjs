// Writes docs/errors.md from the error catalogue of @clusnotify/protocol (build first).
import { writeFileSync } from 'node:fs';
import { renderErrorCatalogue } from '@clusnotify/protocol';

const target = new URL('../docs/errors.md', import.meta.url);
writeFileSync(target, renderErrorCatalogue());
console.log(`wrote ${target.pathname}`);
