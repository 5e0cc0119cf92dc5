"""An OpenAI-compatible emulator: the default backend of `trainer demo` and the test double.

It speaks the files, fine-tuning, batch, chat completions and models endpoints over real
HTTP, moves jobs and batches through their statuses over time, and serves fine-tuned
models that really learned from their training file (by nearest-neighbour retrieval), so
evaluations of a base and a fine-tuned model differ for a real reason. Every answer says
it comes from the emulator.

Entry points: `server` (run it), `state` (its in-memory world), `faults` (inject errors).
The HTTP side: `app` assembles `routes.*` behind `middleware`, sharing `responses`;
`validation` checks job requests; `batches` runs batches (`batch_model`: their data and
input checks) through `chat`, the one answer to a chat request, synchronous or batched.
What models say: `retrieval` (fine-tuned models), `replies` (base models and the judge),
`safety` (the filter every model starts with).
"""
