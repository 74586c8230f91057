/**
 * The text-mode corpus: plain, public-domain-style prose written for this project. The simulator
 * walks through its tokens; it is not a language model and does not pretend to be one.
 */
export const CORPUS = `The engine simulator is not a language model. It produces readable text so that people and programs can follow what happens on the wire. Every token it sends is a real token of the configured tokenizer, and every log-probability it reports is the log-probability of that token under the distribution it was drawn from.
Reinforcement learning for language agents runs many episodes at once. Each episode is a conversation: the agent asks, the model answers, a tool runs, and the agent asks again. When the episode ends, a reward says how well it went, and the trainer learns from the tokens that were generated.
While the trainer updates the weights, generation pauses. Requests in flight stop where they are and come back with the tokens they have so far. When generation continues, each of them is sent again with its prompt and the tokens already produced, and the answer goes on as if nothing had happened.
The weight version of every token matters. A token produced before the update belongs to the old policy, and a token produced after it belongs to the new one. The trainer uses these versions to decide how stale a sample is and how much to trust it.
A good rollout service adds almost nothing to latency, never loses a request, and reports exactly what the engine produced. It keeps sessions apart, checks every key, and answers bad input with a clear message instead of falling over.
Rivers run to the sea, and the sea does not fill. The morning was cold and bright, and the road went on between the hills. Somebody had left a lamp burning in the window of the last house, and the light fell across the snow in a long yellow line.
`;
