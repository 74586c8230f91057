import type { GenerationListener, GenerationRequest } from './generation-request.js';

/** How far a streamed generation's events have got: output tokens and text characters already sent. */
export interface StreamedSoFar {
  tokens: number;
  text: number;
}

/**
 * The listener of a streamed generation, as both engines stream: `emit` writes one event for what
 * arrived since `sent` (on every token, and on the finish unless the last token's event already
 * carried it), then `end` closes the stream.
 */
export function streamListener(
  emit: (g: GenerationRequest, sent: Readonly<StreamedSoFar>) => void,
  end: (g: GenerationRequest) => void,
): GenerationListener {
  const sent: StreamedSoFar = { tokens: 0, text: 0 };
  let finishSent = false;
  const send = (g: GenerationRequest): void => {
    emit(g, sent);
    sent.tokens = g.outputIds.length;
    sent.text = g.text.length;
    finishSent = g.finished;
  };
  return {
    onToken: send,
    onFinish: (g) => {
      if (!finishSent) send(g);
      end(g);
    },
  };
}
