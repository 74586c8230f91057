import type { CompletionCreateParamsBase } from 'openai/resources/completions';
import { honored, refused, requestSurface, type FieldHandling } from '../common/field-handling.js';
import { BOOLEAN, ENGINE_SAMPLING_EXTENSIONS, OBJECT, SHARED_FIELDS, STRING } from '../common/field-rules.js';
import { AT_LEAST_ONE, CHAT_TEMPERATURE, PENALTY, TOP_LOGPROBS } from './chat-fields.js';

/** Every field of the openai SDK's `CompletionCreateParams` (the legacy completions API). */
const COMPLETIONS_FIELDS = {
  model: honored('Routes the request and is echoed in the answer', STRING),
  prompt: honored('Text (tokenized as it is, never templated) or token ids; a batch of one prompt is that prompt'),
  best_of: refused('One completion per request', [1]),
  echo: refused('The prompt is not repeated in the answer', [false]),
  frequency_penalty: honored('Sent to the engine', PENALTY),
  logit_bias: refused('Not supported: the engine request carries no logit bias'),
  logprobs: honored(
    'The answer carries each token’s recorded log-prob and this many alternatives (0: none)',
    TOP_LOGPROBS,
  ),
  max_tokens: honored('Caps the generated tokens (default 16, as OpenAI)', AT_LEAST_ONE),
  n: refused('One completion per request: send n requests', [1]),
  presence_penalty: honored('Sent to the engine', PENALTY),
  seed: SHARED_FIELDS.seed,
  stop: honored('Stop strings (at most 16); the answer is cut before the matched one'),
  stream: honored('Server-sent events as tokens arrive', BOOLEAN),
  stream_options: honored('include_usage adds the usage chunk', OBJECT),
  suffix: refused('Insertion (text after the completion) is not supported', ['']),
  temperature: honored('Sent to the engine; 0 is greedy', CHAT_TEMPERATURE),
  top_p: SHARED_FIELDS.top_p,
  user: SHARED_FIELDS.caller_id,
} satisfies Record<keyof CompletionCreateParamsBase, FieldHandling>;

const COMPLETIONS_EXTENSIONS = {
  store: honored('false: the turn is not recorded', BOOLEAN),
  ...ENGINE_SAMPLING_EXTENSIONS,
  ignore_eos: honored('Sent to the engine: generation runs to the token budget', BOOLEAN),
  skip_special_tokens: honored('true: special tokens are left out of the answer’s text (default false)', BOOLEAN),
  return_token_ids: honored(
    'vLLM: the answer carries prompt_token_ids and choices[].token_ids, the recorded ids',
    BOOLEAN,
  ),
};

/** `/v1/completions`: a raw prompt on the same pipeline. */
export const COMPLETIONS_SURFACE = requestSurface<CompletionCreateParamsBase>()({
  api: 'Legacy completions (`/v1/completions`)',
  fields: COMPLETIONS_FIELDS,
  extensions: COMPLETIONS_EXTENSIONS,
  kinds: {},
});
