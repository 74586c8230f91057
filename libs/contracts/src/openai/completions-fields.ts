import type { CompletionCreateParamsBase } from 'openai/resources/completions';
import { honored, refused, requestSurface, type FieldHandling } from '../common/field-handling.js';
import { BOOLEAN, ENGINE_GENERATION_EXTENSIONS, OBJECT, SHARED_FIELDS } from '../common/field-rules.js';
import { AT_LEAST_ONE, CHAT_TEMPERATURE, TOP_LOGPROBS } from './chat-fields.js';

/** Every field of the openai SDK's `CompletionCreateParams` (the legacy completions API). */
const COMPLETIONS_FIELDS = {
  model: SHARED_FIELDS.model,
  prompt: honored('Text (tokenized as it is, never templated) or token ids; a batch of one prompt is that prompt'),
  best_of: refused('One completion per request', [1]),
  echo: refused('The prompt is not repeated in the answer', [false]),
  frequency_penalty: SHARED_FIELDS.frequency_penalty,
  logit_bias: SHARED_FIELDS.logit_bias,
  logprobs: honored(
    'The answer carries each token’s recorded log-prob and this many alternatives (0: none)',
    TOP_LOGPROBS,
  ),
  max_tokens: honored('Caps the generated tokens (default 16, as OpenAI)', AT_LEAST_ONE),
  n: refused('One completion per request: send n requests', [1]),
  presence_penalty: SHARED_FIELDS.presence_penalty,
  seed: SHARED_FIELDS.seed,
  stop: SHARED_FIELDS.stop,
  stream: SHARED_FIELDS.stream,
  stream_options: honored('include_usage adds the usage chunk', OBJECT),
  suffix: refused('Insertion (text after the completion) is not supported', ['']),
  temperature: honored('Sent to the engine; 0 is greedy', CHAT_TEMPERATURE),
  top_p: SHARED_FIELDS.top_p,
  user: SHARED_FIELDS.caller_id,
} satisfies Record<keyof CompletionCreateParamsBase, FieldHandling>;

const COMPLETIONS_EXTENSIONS = {
  store: SHARED_FIELDS.store,
  ...ENGINE_GENERATION_EXTENSIONS,
  skip_special_tokens: honored('true: special tokens are left out of the answer’s text (default false)', BOOLEAN),
  return_token_ids: SHARED_FIELDS.return_token_ids,
};

/** `/v1/completions`: a raw prompt on the same pipeline. */
export const COMPLETIONS_SURFACE = requestSurface<CompletionCreateParamsBase>()({
  api: 'Legacy completions (`/v1/completions`)',
  fields: COMPLETIONS_FIELDS,
  extensions: COMPLETIONS_EXTENSIONS,
  kinds: {},
});
