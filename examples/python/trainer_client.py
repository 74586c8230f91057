#!/usr/bin/env python3
"""A trainer's side of the rollout service, in Python with the standard library only.

It drives the controller's HTTP API the way an RL trainer does each step: pull a batch of
accepted episodes (token ids, log-probs and weight versions per token), "train" on it, pause
generation, publish the new weight version, continue. Run the stack first (`npm start`), then:

    python3 examples/python/trainer_client.py --steps 2

Nothing here is specific to this example: any trainer can make the same calls.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request


class Controller:
    """A tiny client for the controller API (every call carries the admin key)."""

    def __init__(self, url, admin_key, timeout=600):
        self.url = url.rstrip("/")
        self.admin_key = admin_key
        self.timeout = timeout

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": "Bearer " + self.admin_key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{method} {path} answered {err.code}: {err.read()[:500]!r}") from None

    def set_version(self, version):
        return self.call("POST", "/set_version", {"version": version})

    def pause(self):
        return self.call("POST", "/pause", {})

    def resume(self):
        return self.call("POST", "/continue", {})

    def capacity(self):
        return self.call("GET", "/capacity")

    def prepare_batch(self, **fields):
        return self.call("POST", "/rollout/prepare_batch", fields)

    def rollout_batch(self, **fields):
        return self.call("POST", "/rollout/batch", fields)


def summarize(episode):
    """Tokens, completion tokens and the versions that produced them, from the json export."""
    interactions = list(episode["interactions"].values())
    tokens = sum(len(i["input_ids"]) for i in interactions)
    generated = sum(sum(i["loss_mask"]) for i in interactions)
    versions = sorted({v for i in interactions for v, m in zip(i["versions"], i["loss_mask"]) if m})
    for i in interactions:
        lengths = {len(i[k]) for k in ("input_ids", "loss_mask", "logprobs", "versions")}
        assert len(lengths) == 1, "every per-token array has the same length"
    return {"task_id": episode["task_id"], "rewards": episode["rewards"], "tokens": tokens,
            "generated": generated, "versions": versions}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controller", default=os.environ.get("CONTROLLER_URL", "http://127.0.0.1:8090"))
    parser.add_argument("--admin-key", default=os.environ.get("ADMIN_API_KEY", "areal-admin-key"))
    parser.add_argument("--agent", default="examples/math-agent/agent.mjs")
    parser.add_argument("--dataset", default="examples/math-agent/dataset.jsonl")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--group-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()

    controller = Controller(args.controller, args.admin_key)
    version = controller.call("GET", "/get_version")["version"]
    report = {"steps": []}
    for step in range(args.steps):
        batch = controller.prepare_batch(dataset=args.dataset, agent=args.agent, batch_size=args.batch_size,
                                         group_size=args.group_size, timeout_s=300)
        if batch["timed_out"]:
            raise RuntimeError("prepare_batch timed out")
        episodes = [summarize(e) for e in batch["trajectories"]]
        # ... a real trainer computes advantages and updates the weights here ...
        controller.pause()
        version += 1
        controller.set_version(version)
        controller.resume()
        report["steps"].append({"step": step, "cursor": batch["cursor"], "episodes": episodes,
                                "capacity_after": controller.capacity()["capacity"]})
        print(f"step {step}: {len(episodes)} episodes, cursor at {batch['cursor']['position']}, "
              f"now at version {version}", file=sys.stderr)

    # One explicit batch too: the same items, each run group_size times.
    items = [{"question": "What is 2 + 2?", "answer": "4"}, {"question": "What is 3 * 5?", "answer": "15"}]
    batch = controller.rollout_batch(items=items, agent=args.agent, group_size=args.group_size, timeout_s=300)
    report["batch"] = {"accepted": batch["accepted"], "rejected": batch["rejected"],
                       "episodes": [summarize(e) for e in batch["trajectories"]]}
    report["version"] = version
    print(json.dumps(report))


if __name__ == "__main__":
    main()
