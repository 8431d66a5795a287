// core: the vocabulary every other folder shares (errors, logging, redaction,
// artifacts, integrity, atomic writes, text decoding, PEP 503 names and
// simple-page anchors). It imports nothing from the project and does no
// network I/O.
export * from './errors.js';
export * from './log.js';
export * from './redact.js';
export * from './artifact.js';
export * from './integrity.js';
export * from './atomic-file.js';
export * from './process-alive.js';
export * from './stacks.js';
export * from './plain-name.js';
export * from './regular-file.js';
export * from './download-limits.js';
export * from './text.js';
export * from './project-name.js';
export * from './html-entities.js';
export * from './html-anchors.js';
export * from './network-reference.js';
