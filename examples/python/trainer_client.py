#!/usr/bin/env python3
"""A trainer's side of the rollout service, in Python with the standard library only.

It drives the controller's HTTP API the way an RL trainer does each step: pull a batch of
accepted episodes (token ids, log-probs and weight versions per token), "train" on it, pause
generation, publish the new weight version, continue. Run the stack first (`npm start`), then:

    python3 examples/python/trainer_client.py --steps 2
    python3 examples/python/trainer_client.py --steps 2 --areal2   # AReaL 2.0's `traj` batches

With --areal2 every episode comes back as AReaL 2.0 exports it: one padded batch per group, each
tensor an RTensor reference whose bytes the trainer fetches from the data proxy that holds them
(POST /data/batch), as AReaL 2.0's RPC client does. Nothing here is specific to this example:
any trainer can make the same calls.
"""

import argparse
import base64
import struct
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


DTYPES = {"torch.int64": ("q", 8), "torch.int32": ("i", 4), "torch.float32": ("f", 4), "torch.bool": ("?", 1)}


def decode_tensor(tensor):
    """AReaL's tensor encoding: base64 of raw little-endian C-order bytes, as nested row lists."""
    code, size = DTYPES[tensor["dtype"]]
    raw = base64.b64decode(tensor["data"])
    values = list(struct.unpack("<%d%s" % (len(raw) // size, code), raw))
    shape = tensor["shape"]
    if len(shape) == 1:
        return values
    width = shape[1]
    return [values[i * width:(i + 1) * width] for i in range(shape[0])]


def fetch_traj(traj, timeout=60):
    """Resolves every RTensor reference of a `traj` answer: one POST /data/batch per data proxy."""
    by_node = {}
    for key, ref in traj.items():
        shard = ref["data"]["shard"]["data"]
        by_node.setdefault(shard["node_addr"], []).append((key, shard["shard_id"]))
    out = {}
    for node, wanted in by_node.items():
        body = json.dumps({"shard_ids": [shard_id for _, shard_id in wanted]}).encode()
        request = urllib.request.Request("http://%s/data/batch" % node, data=body, method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            tensors = json.loads(response.read())
        for (key, _), tensor in zip(wanted, tensors):
            out[key] = decode_tensor(tensor)
    return out


def summarize_traj(episode):
    """The same summary from an AReaL 2.0 batch: rows are padded, attention_mask marks real tokens."""
    t = fetch_traj(episode["traj"])
    rows = len(t["input_ids"])
    assert rows == len(episode["rewards"]), "one row per group member"
    for key in ("loss_mask", "logprobs", "versions", "turn_ids", "attention_mask"):
        assert [len(r) for r in t[key]] == [len(r) for r in t["input_ids"]], key
    tokens = sum(sum(1 for m in row if m) for row in t["attention_mask"])
    generated = sum(sum(row) for row in t["loss_mask"])
    versions = sorted({v for vr, mr in zip(t["versions"], t["loss_mask"]) for v, m in zip(vr, mr) if m})
    return {"task_id": episode["task_id"], "rewards": episode["rewards"], "tokens": tokens,
            "generated": generated, "versions": versions, "rows": rows,
            "traj_rewards": [round(r, 6) for r in t["rewards"]]}


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
    # allow_abbrev=False: a shortened or mistyped flag is refused (exit 2), as the services do.
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--controller", default=os.environ.get("CONTROLLER_URL", "http://127.0.0.1:8090"))
    parser.add_argument("--admin-key", default=os.environ.get("ADMIN_API_KEY", "areal-admin-key"))
    parser.add_argument("--agent", default="examples/math-agent/agent.mjs")
    parser.add_argument("--dataset", default="examples/math-agent/dataset.jsonl")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--group-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--areal2", action="store_true",
                        help="ask for AReaL 2.0 `traj` batches (RPC encoding, shards fetched from the data proxies)")
    args = parser.parse_args()
    export = {"schema": "traj", "format": "rpc"} if args.areal2 else {}
    summary = summarize_traj if args.areal2 else summarize

    controller = Controller(args.controller, args.admin_key)
    version = controller.call("GET", "/get_version")["version"]
    report = {"steps": []}
    for step in range(args.steps):
        batch = controller.prepare_batch(dataset=args.dataset, agent=args.agent, batch_size=args.batch_size,
                                         group_size=args.group_size, timeout_s=300, **export)
        if batch["timed_out"]:
            raise RuntimeError("prepare_batch timed out")
        episodes = [summary(e) for e in batch["trajectories"]]
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
    batch = controller.rollout_batch(items=items, agent=args.agent, group_size=args.group_size, timeout_s=300,
                                     **export)
    report["batch"] = {"accepted": batch["accepted"], "rejected": batch["rejected"],
                       "episodes": [summary(e) for e in batch["trajectories"]]}
    report["version"] = version
    print(json.dumps(report))


if __name__ == "__main__":
    main()
