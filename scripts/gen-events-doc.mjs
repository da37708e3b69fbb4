// Writes docs/events.md from the change-event mapping of @clusnotify/core (build first).
import { writeFileSync } from 'node:fs';
import { renderEventsTable } from '@clusnotify/core';

const target = new URL('../docs/events.md', import.meta.url);
writeFileSync(target, renderEventsTable());
console.log(`wrote ${target.pathname}`);
