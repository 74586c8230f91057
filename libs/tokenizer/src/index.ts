/** `@app/tokenizer`: Hugging Face tokenizer folders (encode natively, decode synchronously). */
export * from './byte-level.js';
export * from './hf-tokenizer.js';
export * from './segment-cache.js';
export * from './model-folder.js';
export * from './token-family.js';
